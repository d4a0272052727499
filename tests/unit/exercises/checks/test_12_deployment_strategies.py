"""12-deployment-strategies' checks against the learner's own recorded, measured deployments:
predictions fingerprinted before the first measured deployment and kept; the table, cell by
cell; the scenarios, each judged by the numbers of the strategy the learner chose; and the
reasons a learner reads."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import yaml

from lab.authoring import Deployment, History
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context, holds

EXERCISE = "12-deployment-strategies"
CHECKS = load_exercise_checks(EXERCISE)
NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)
STARTER = EXERCISES / EXERCISE / "workspace"


def deployment(number: int, strategy: str, result: str, failed: int = 0, mixed: float = 0.0,
               fewest: int = 4, most: int = 4, replaced: tuple[str, ...] = (),
               kind: str = "deploy", **more: object) -> Deployment:
    return Deployment(number, kind, "lab-x/app:v2", "sha256:ab", strategy, NOW, NOW, result,
                      replaced=replaced,
                      summary={"failed": failed, "mixed_seconds": mixed, "min_backends": fewest,
                               "max_servers": most, **more})


HISTORY = History((
    deployment(1, "rolling", "succeeded", mixed=4.5, fewest=3,
               replaced=("web1", "web2", "web3", "web4")),
    deployment(2, "rolling", "failed", replaced=("web1",)),
    deployment(3, "immutable", "succeeded", mixed=1.0, most=8, replaced=("web1", "web2")),
))


def verdicts(table: str, tmp_path: Path) -> list[tuple[bool, str]]:
    (tmp_path / "strategies.yaml").write_text(table)
    ctx = exercise_context(EXERCISE, workspace=tmp_path, history=lambda: HISTORY)
    return list(CHECKS.table_matches_history(ctx))


# --- the table ---------------------------------------------------------------------------


def test_a_row_that_says_what_the_history_says_holds(tmp_path: Path) -> None:
    table = ("rolling: {zero_downtime: yes, failed_release_kept_old_servers: no, "
             "two_versions_served: yes, fewest_backends: 3, most_servers: 4}\n")
    found = verdicts(table, tmp_path)
    assert found[1] == (True, "rolling: agrees with deployments #1 (good) and #2 (bad)")
    assert found[0] == (False, "all-at-once: not filled in yet (zero_downtime, "
                               "failed_release_kept_old_servers, two_versions_served, "
                               "fewest_backends, most_servers)")


def test_a_wrong_cell_is_named_with_the_deployments_that_say_otherwise(tmp_path: Path) -> None:
    table = ("rolling: {zero_downtime: yes, failed_release_kept_old_servers: yes, "
             "two_versions_served: yes, fewest_backends: 3, most_servers: 4}\n")
    assert verdicts(table, tmp_path)[1] == (
        False, "rolling: failed_release_kept_old_servers is yes, but deployments #1 and #2 "
               "say no")


def test_a_strategy_not_deployed_both_ways_fails_even_when_filled_in(tmp_path: Path) -> None:
    table = ("immutable: {zero_downtime: yes, failed_release_kept_old_servers: yes, "
             "two_versions_served: yes, fewest_backends: 4, most_servers: 8}\n")
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
    found = verdicts((STARTER / "strategies.yaml").read_text(), tmp_path)
    assert len(found) == 6 and all(not ok and "not filled in yet" in text for ok, text in found)


# --- predictions, before the numbers -------------------------------------------------------

PREDICTED = {strategy: {"zero_downtime": "yes", "failed_release_kept_old_servers": "yes",
                        "two_versions_served": "no", "most_servers": 4}
             for strategy in CHECKS.STRATEGIES}


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def predicted(tmp_path: Path, text: str, taken: str | None) -> tuple[bool, str]:
    """The predictions check, predictions.yaml holding `text`, the first measured deployment
    having fingerprinted `taken` (None: no predictions.yaml then)."""
    (tmp_path / "predictions.yaml").write_text(text)
    more = {"predictions_sha256": taken} if taken else {}
    first = deployment(1, "rolling", "succeeded", mixed=4.5, fewest=3,
                       replaced=("web1", "web2", "web3", "web4"), **more)
    history = History((first, *HISTORY.deployments[1:]))
    ctx = exercise_context(EXERCISE, workspace=tmp_path, history=lambda: history)
    return CHECKS.predictions_made_before_measuring(ctx)


def test_predictions_written_before_the_first_measured_deployment_hold_and_teach(
        tmp_path: Path) -> None:
    text = yaml.safe_dump(PREDICTED)
    ok, reason = predicted(tmp_path, text, fingerprint(text))
    assert ok, reason
    assert reason.startswith("predictions.yaml was written before deployment #1, the first the "
                             "probe measured, and is unchanged; 2 of 4 predictions held")
    assert "rolling two_versions_served (you said no, measured yes)" in reason


def test_predictions_changed_after_the_numbers_fail(tmp_path: Path) -> None:
    before = yaml.safe_dump(PREDICTED)
    after = yaml.safe_dump({**PREDICTED, "rolling": {**PREDICTED["rolling"],
                                                     "two_versions_served": "yes"}})
    ok, reason = predicted(tmp_path, after, fingerprint(before))
    assert not ok
    assert reason.startswith("predictions.yaml changed after deployment #1, the first the "
                             "probe measured: a prediction rewritten after the numbers is not one")


def test_predictions_filled_in_after_measuring_with_the_starter_fail(tmp_path: Path) -> None:
    starter = (STARTER / "predictions.yaml").read_text()
    ok, reason = predicted(tmp_path, yaml.safe_dump(PREDICTED), fingerprint(starter))
    assert not ok
    assert "began while predictions.yaml was still the empty starter: predict first" in reason


def test_predictions_missing_when_measuring_began_fail(tmp_path: Path) -> None:
    ok, reason = predicted(tmp_path, yaml.safe_dump(PREDICTED), None)
    assert not ok
    assert "began with no predictions.yaml in your workspace" in reason


def test_the_starter_predictions_are_not_predictions(tmp_path: Path) -> None:
    starter = (STARTER / "predictions.yaml").read_text()
    ok, reason = predicted(tmp_path, starter, fingerprint(starter))
    assert not ok
    assert reason.startswith("predictions.yaml: all-at-once, rolling, rolling-batch, immutable, "
                             "traffic-split, blue-green not predicted yet: before you deploy")


# --- the scenarios ------------------------------------------------------------------------

MEASURED = History((
    deployment(1, "all-at-once", "succeeded", failed=90, fewest=0, mixed=0.0),
    deployment(2, "all-at-once", "failed", failed=160, fewest=0, replaced=("web1",)),
    deployment(3, "rolling", "succeeded", mixed=4.5, fewest=3),
    deployment(4, "rolling", "failed", replaced=("web1",)),
    deployment(5, "traffic-split", "succeeded", mixed=10.0, most=8),
    deployment(6, "traffic-split", "failed", most=8, rollback_seconds=0.62),
    deployment(7, "blue-green", "succeeded", mixed=0.5, most=8),
    deployment(8, "switch back", "succeeded", most=8, kind="rollback", rollback_seconds=0.08),
    deployment(9, "blue-green", "failed", most=8),
))


def scenarios(tmp_path: Path, **answers: str) -> list[tuple[bool, str]]:
    (tmp_path / "scenarios.yaml").write_text(yaml.safe_dump(answers))
    ctx = exercise_context(EXERCISE, workspace=tmp_path, history=lambda: MEASURED)
    return list(CHECKS.scenarios_from_measurements(ctx))


def test_choices_the_learner_s_own_numbers_support_hold(tmp_path: Path) -> None:
    found = scenarios(tmp_path, capacity_is_tight="rolling", fastest_rollback="blue-green",
                      schema_change="all-at-once")
    assert holds(found), found
    assert found[0] == (True, "capacity_is_tight: rolling never ran more than 4 servers in #3 "
                              "and #4; it paid with capacity instead (fewest healthy "
                              "backends: 3)")
    assert found[1] == (True, "fastest_rollback: blue-green went back in 0.08 s (#8), the "
                              "fastest rollback you measured")
    assert found[2] == (True, "schema_change: all-at-once never served two versions at once "
                              "in #1, at the price of 90 failed requests")
    assert holds(scenarios(tmp_path, capacity_is_tight="all-at-once",
                           fastest_rollback="blue-green", schema_change="blue-green"))


def test_choices_the_numbers_refute_say_why_without_giving_the_answer(tmp_path: Path) -> None:
    capacity, rollback, schema = scenarios(
        tmp_path, capacity_is_tight="blue-green", fastest_rollback="traffic-split",
        schema_change="rolling")
    assert capacity == (False, "capacity_is_tight: blue-green ran 8 servers at once in your "
                               "deployments #7 and #9, more than the fleet's 4: when no extra "
                               "server fits, which strategy never starts a new server before "
                               "an old one is gone? (most_servers in your table)")
    assert rollback == (False, "fastest_rollback: traffic-split went back in 0.62 s (#6), and "
                               "another strategy went back faster in your measurements: "
                               "compare every rollback_seconds in `lab history --json`")
    assert schema[0] is False
    assert schema[1].startswith("schema_change: rolling served two versions side by side for "
                                "4.5 s in your deployment #3")
    assert not any("blue-green" in reason for _, reason in (rollback, schema))


def test_a_rollback_the_history_does_not_time_is_explained(tmp_path: Path) -> None:
    _, (ok, reason), _ = scenarios(tmp_path, fastest_rollback="rolling")
    assert not ok
    assert reason.startswith("fastest_rollback: your measurements record no rollback time for "
                             "rolling (going back means deploying the old release again")


def test_unanswered_unknown_and_unmeasured_choices_are_told(tmp_path: Path) -> None:
    capacity, rollback, schema = scenarios(tmp_path, fastest_rollback="canary",
                                           schema_change="immutable")
    assert capacity == (False, "capacity_is_tight: not answered yet: which strategy would you "
                               "choose, by your own numbers?")
    assert rollback[1].startswith("fastest_rollback: canary is not a strategy")
    assert schema[1].startswith("schema_change: immutable cannot be judged by your numbers "
                                "yet: the history has no measured deployment of a good release")


def test_the_starter_scenarios_are_unanswered(tmp_path: Path) -> None:
    (tmp_path / "scenarios.yaml").write_text((STARTER / "scenarios.yaml").read_text())
    ctx = exercise_context(EXERCISE, workspace=tmp_path, history=lambda: MEASURED)
    found = CHECKS.scenarios_from_measurements(ctx)
    assert len(found) == 3 and all(not ok and "not answered yet" in text for ok, text in found)
