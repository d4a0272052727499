"""`lab compare` on a real engine, once (it takes minutes): every strategy with a good and a
bad release of exercise 12 under the probe, and the flags it reports against AWS's table."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

STRATEGIES = ("all-at-once", "rolling", "rolling-batch", "immutable", "traffic-split",
              "blue-green")


def lab(*args: str, env: dict[str, str], exit_code: int = 0,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env, timeout=timeout)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def test_compare_measures_every_strategy_both_ways_and_flags_what_differs(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    lab("start", "12", env=env)
    lab("build", "v1", "--build-arg", "WEBAPP_VERSION=1.0", env=env)
    lab("build", "v2", env=env)
    lab("build", "v3", "--build-arg", "WEBAPP_VERSION=3.0", env=env)
    lab("deploy", "v1", env=env)

    done = lab("compare", "--rate", "50", "--evaluate", "2", "--json", env=env,
               timeout=1800)
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
