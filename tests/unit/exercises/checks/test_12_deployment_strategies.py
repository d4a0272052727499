"""12-deployment-strategies' check: the learner's table against their own recorded, measured
deployments; the reasons a learner reads for each row."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lab.authoring import Deployment, History
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "12-deployment-strategies"
CHECKS = load_exercise_checks(EXERCISE)
NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def deployment(number: int, strategy: str, result: str, failed: int = 0, mixed: float = 0.0,
               fewest: int = 4, replaced: tuple[str, ...] = ()) -> Deployment:
    return Deployment(number, "deploy", "lab-x/app:v2", "sha256:ab", strategy, NOW, NOW, result,
                      replaced=replaced,
                      summary={"failed": failed, "mixed_seconds": mixed, "min_backends": fewest})


HISTORY = History((
    deployment(1, "rolling", "succeeded", mixed=4.5, fewest=3,
               replaced=("web1", "web2", "web3", "web4")),
    deployment(2, "rolling", "failed", replaced=("web1",)),
    deployment(3, "immutable", "succeeded", mixed=1.0, replaced=("web1", "web2")),
))


def verdicts(table: str, tmp_path: Path) -> list[tuple[bool, str]]:
    (tmp_path / "strategies.yaml").write_text(table)
    ctx = exercise_context(EXERCISE, workspace=tmp_path, history=lambda: HISTORY)
    return list(CHECKS.table_matches_history(ctx))


def test_a_row_that_says_what_the_history_says_holds(tmp_path: Path) -> None:
    table = ("rolling: {zero_downtime: yes, failed_release_kept_old_servers: no, "
             "two_versions_served: yes, fewest_backends: 3}\n")
    found = verdicts(table, tmp_path)
    assert found[1] == (True, "rolling: agrees with deployments #1 (good) and #2 (bad)")
    assert found[0] == (False, "all-at-once: not filled in yet (zero_downtime, "
                               "failed_release_kept_old_servers, two_versions_served, "
                               "fewest_backends)")


def test_a_wrong_cell_is_named_with_the_deployments_that_say_otherwise(tmp_path: Path) -> None:
    table = ("rolling: {zero_downtime: yes, failed_release_kept_old_servers: yes, "
             "two_versions_served: yes, fewest_backends: 3}\n")
    assert verdicts(table, tmp_path)[1] == (
        False, "rolling: failed_release_kept_old_servers is yes, but deployments #1 and #2 "
               "say no")


def test_a_strategy_not_deployed_both_ways_fails_even_when_filled_in(tmp_path: Path) -> None:
    table = ("immutable: {zero_downtime: yes, failed_release_kept_old_servers: yes, "
             "two_versions_served: yes, fewest_backends: 4}\n")
    ok, reason = verdicts(table, tmp_path)[3]
    assert not ok
    assert "no measured deployment of a bad release that failed" in reason


def test_a_name_that_is_no_strategy_is_said(tmp_path: Path) -> None:
    assert verdicts("canary: {}\n", tmp_path) == [
        (False, "strategies.yaml names canary, which is not a strategy: use all-at-once, "
                "rolling, rolling-batch, immutable, traffic-split, blue-green")]


def test_a_table_that_is_not_yaml_is_told_with_its_line(tmp_path: Path) -> None:
    [(ok, reason)] = verdicts("rolling: {zero_downtime: yes\n", tmp_path)
    assert not ok and reason.startswith("strategies.yaml is not valid YAML: line 2")


def test_the_starter_table_is_all_unfilled(tmp_path: Path) -> None:
    found = verdicts((EXERCISES / EXERCISE / "workspace" / "strategies.yaml").read_text(),
                     tmp_path)
    assert len(found) == 6 and all(not ok and "not filled in yet" in text for ok, text in found)
