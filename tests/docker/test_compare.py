"""Exercise 12's reference solution on a real engine, step by step as its exercise.yaml
writes it: predictions first; its `lab compare` (minutes: every strategy with a good and a
bad release under the probe) is asked for JSON too, and what it measured and flagged against
AWS's table is checked; then the learner's table is filled in. The shortcut that passed
before (compare, then fill_table.py) now fails until the scenarios are answered; with them
the exercise's checks pass; predictions rewritten after the numbers, and a choice the
learner's own numbers refute, fail with what to think about.

This is the proof that exercise 12 is solved by its solution; `lab dev check` proves the
others (tests/docker/test_engine.py), so the suite runs the long comparison only once."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import EXERCISES, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "12-deployment-strategies"
STRATEGIES = ("all-at-once", "rolling", "rolling-batch", "immutable", "traffic-split",
              "blue-green")


def lab(*args: str, env: dict[str, str], exit_code: int = 0,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env, timeout=timeout)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def workspace_of(student: str) -> Path:
    return Path(os.environ["LAB_HOME"]) / "students" / student / "workspace" / EXERCISE


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What `lab check` printed, its lines unwrapped."""
    return " ".join((result.stdout + result.stderr).split())


def run_solution(student: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Every step of the reference solution, as `lab solve` runs them; returns what its
    `lab compare` (asked for --json as well) said. Before the scenarios are answered, the
    old shortcut (compare, then fill_table.py) is checked: it no longer passes."""
    steps: list[Any] = yaml.safe_load(
        (EXERCISES / EXERCISE / "exercise.yaml").read_text())["solution"]
    workspace = workspace_of(student)
    compared = None
    for step in steps:
        if isinstance(step, str):
            words = shlex.split(step)[1:]
            if words[0] == "compare":
                compared = lab(*words, "--json", env=env, timeout=1800)
            else:
                lab(*words, env=env)
        elif "write" in step:
            if step["write"] == "scenarios.yaml":
                shortcut = said(lab("check", env=env, exit_code=1))
                assert "3/4 goals hold" in shortcut, shortcut
                assert "capacity_is_tight: not answered yet: which strategy would you " \
                       "choose, by your own numbers?" in shortcut, shortcut
            (workspace / step["write"]).write_text(step["content"])
        else:
            assert set(step) <= {"python", "args"}, step
            subprocess.run([sys.executable, step["python"], *step.get("args", [])],
                           cwd=workspace, env={**os.environ, **env}, check=True, timeout=120)
    assert compared is not None, "the solution runs `lab compare`"
    return compared


def test_the_solution_measures_every_strategy_both_ways_and_solves_exercise_12(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    lab("start", "12", env=env)
    lab("check", env=env, exit_code=1)  # unsolved at the start
    done = run_solution(student, env)
    report = json.loads(done.stdout)
    runs = {(run["strategy"], run["release"]): run for run in report["runs"]}
    assert set(runs) == {(strategy, release) for strategy in STRATEGIES
                         for release in ("good", "bad")} | {("blue-green", "switch back")}
    assert "blue-green good: ok" in done.stderr  # one progress line per run

    good = {strategy: runs[strategy, "good"] for strategy in STRATEGIES}
    assert all(run["succeeded"] for run in good.values())
    assert good["all-at-once"]["summary"]["failed"] > 0
    assert good["all-at-once"]["summary"]["min_backends"] == 0
    for strategy in STRATEGIES[1:]:
        assert good[strategy]["summary"]["failed"] == 0, strategy
    assert good["rolling"]["summary"]["min_backends"] == 3
    assert good["rolling-batch"]["summary"]["min_backends"] >= 4
    assert {strategy: run["summary"]["max_servers"] for strategy, run in good.items()} == {
        "all-at-once": 4, "rolling": 4, "rolling-batch": 5, "immutable": 8,
        "traffic-split": 8, "blue-green": 8}

    bad = {strategy: runs[strategy, "bad"] for strategy in STRATEGIES}
    assert not any(run["succeeded"] for run in bad.values())
    for strategy in ("rolling-batch", "immutable", "traffic-split", "blue-green"):
        assert bad[strategy]["rolled_back"] and bad[strategy]["old_kept"], strategy
    for strategy in ("all-at-once", "rolling"):
        assert not bad[strategy]["rolled_back"] and not bad[strategy]["old_kept"], strategy
    assert runs["blue-green", "switch back"]["summary"]["rollback_seconds"] < 1.0

    flags = {(flag["strategy"], flag["column"]): flag["reason"] for flag in report["flags"]}
    assert "rather than a DNS name" in flags["blue-green", "No DNS change"]
    for strategy in ("all-at-once", "rolling", "rolling-batch"):
        assert "never changed in place" in flags[strategy, "Deployed to"]
    assert ("all-at-once", "Zero downtime") not in flags  # AWS says No; it had failures
    assert not any(column == "Zero downtime" for _, column in flags)
    assert ("blue-green", "Rollback") not in flags  # the switch back was measured
    assert set(report["measured"]) == set(STRATEGIES)

    checked = said(lab("check", env=env))  # predictions, table and choices: all the learner's
    assert "4/4 goals hold" in checked, checked

    # Predictions rewritten after the numbers are not predictions.
    workspace = workspace_of(student)
    predictions = workspace / "predictions.yaml"
    predictions.write_text(predictions.read_text().replace("two_versions_served: no",
                                                           "two_versions_served: yes"))
    rewritten = said(lab("check", env=env, exit_code=1))
    assert "predictions.yaml changed after deployment #1, the first the probe measured: a " \
           "prediction rewritten after the numbers is not one" in rewritten, rewritten
    # A choice the learner's own numbers refute: blue/green ran twice the fleet.
    scenarios = workspace / "scenarios.yaml"
    scenarios.write_text(scenarios.read_text().replace("capacity_is_tight: rolling",
                                                       "capacity_is_tight: blue-green"))
    refuted = said(lab("check", env=env, exit_code=1))
    assert "capacity_is_tight: blue-green ran 8 servers at once in your deployments" in refuted, \
        refuted
