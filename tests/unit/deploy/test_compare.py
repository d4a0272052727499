"""lab compare's pure part (lab.deploy.strategy_table, lab.deploy.disagreements): the measured
cells, the deploy-time ranks and the flags, from hand-made summaries."""

from __future__ import annotations

from lab.deploy import compare, disagreements, strategy_table
from lab.deploy.strategy_table import BAD, GOOD, SWITCH_BACK, Run
from lab.deploy.summary import Summary

FLEET = 4


def summary(failed: int = 0, min_backends: int = 4, max_backends: int = 4,
            seconds: float = 5.0, versions: dict[str, int] | None = None,
            rollback: float | None = None) -> Summary:
    requests = 500
    return Summary(requests=requests, failed=failed,
                   availability=100.0 * (requests - failed) / requests,
                   longest_error_window=0.4 if failed else 0.0, mixed_seconds=0.0,
                   min_backends=min_backends, max_backends=max_backends,
                   deploy_seconds=seconds, rollback_seconds=rollback,
                   versions=versions if versions is not None else {"1.0": requests - failed})


def as_aws_says() -> list[Run]:
    """Runs that agree with AWS's table wherever the lab can (deploy times in AWS's order)."""
    return [
        Run("all-at-once", GOOD, summary(failed=80, min_backends=0, seconds=2.0), True),
        Run("all-at-once", BAD, summary(failed=300, min_backends=0, seconds=2.0), False),
        Run("rolling", GOOD, summary(min_backends=3, seconds=4.0), True),
        Run("rolling", BAD, summary(min_backends=3, seconds=1.5), False),
        Run("rolling-batch", GOOD, summary(max_backends=5, seconds=6.0), True),
        Run("rolling-batch", BAD, summary(seconds=1.0), False, old_kept=False),
        Run("immutable", GOOD, summary(max_backends=8, seconds=9.0), True),
        Run("immutable", BAD, summary(seconds=1.0), False, rolled_back=True, old_kept=True),
        Run("traffic-split", GOOD, summary(max_backends=8, seconds=9.5), True),
        Run("traffic-split", BAD, summary(versions={"1.0": 450, "3.0": 50}), False,
            rolled_back=True, old_kept=True),
        Run("blue-green", GOOD, summary(seconds=10.0), True),
        Run("blue-green", SWITCH_BACK, summary(rollback=0.01), True),
        Run("blue-green", BAD, summary(seconds=1.0), False, rolled_back=True, old_kept=True),
    ]


def flagged(runs: list[Run]) -> dict[tuple[str, str], str]:
    return {(flag.strategy, flag.column): flag.reason
            for flag in disagreements.flags(runs, FLEET, evaluate=10.0)}


# --- ranks ---------------------------------------------------------------------------------


def test_ranks_are_dense_and_the_fastest_is_one() -> None:
    assert strategy_table.ranks({"a": 3.0, "b": 1.0, "c": 9.0}) == {"b": 1, "a": 2, "c": 3}


def test_times_within_fifteen_percent_of_a_ranks_fastest_share_it() -> None:
    ranked = strategy_table.ranks({"a": 10.0, "b": 11.4, "c": 11.6, "d": 13.2})
    assert ranked == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_no_times_no_ranks() -> None:
    assert strategy_table.ranks({}) == {}


# --- the measured cells --------------------------------------------------------------------


def test_an_outage_is_downtime() -> None:
    bad = Run("all-at-once", BAD, summary(failed=300, min_backends=0), False)
    assert strategy_table.impact_kind(bad, FLEET) == strategy_table.DOWNTIME


def test_a_batch_lost_with_the_old_servers_changed_is_a_batch() -> None:
    bad = Run("rolling", BAD, summary(min_backends=3), False)
    assert strategy_table.impact_kind(bad, FLEET) == strategy_table.BATCH


def test_old_servers_kept_and_nobody_met_the_release_is_minimal() -> None:
    bad = Run("immutable", BAD, summary(), False, rolled_back=True, old_kept=True)
    assert strategy_table.impact_kind(bad, FLEET) == strategy_table.MINIMAL


def test_users_who_met_the_new_release_make_a_share() -> None:
    bad = Run("traffic-split", BAD, summary(versions={"1.0": 450, "3.0": 50}), False,
              rolled_back=True, old_kept=True)
    assert strategy_table.impact_kind(bad, FLEET) == strategy_table.SHARE
    assert "3.0: 50" in strategy_table.impact_cell(bad, FLEET)


def test_zero_downtime_is_zero_failed_requests_of_the_good_release() -> None:
    good = strategy_table.zero_downtime_cell(Run("rolling", GOOD, summary(), True))
    assert good.startswith("Yes")
    cell = strategy_table.zero_downtime_cell(Run("all-at-once", GOOD, summary(failed=7), True))
    assert cell.startswith("No (7 failed")


def test_rollback_follows_how_the_bad_release_ended() -> None:
    manual = Run("rolling", BAD, summary(), False)
    automatic = Run("immutable", BAD, summary(), False, rolled_back=True, old_kept=True)
    switched = Run("blue-green", SWITCH_BACK, summary(rollback=0.02), True)
    assert strategy_table.rollback_kind(manual, None) == strategy_table.MANUAL
    assert strategy_table.rollback_kind(automatic, None) == strategy_table.AUTOMATIC
    assert strategy_table.rollback_kind(automatic, switched) == strategy_table.SWITCH
    assert "switch back in 0.02 s" in strategy_table.rollback_cell(automatic, switched)


def test_the_measured_table_has_a_row_per_strategy_measured_both_ways() -> None:
    runs = as_aws_says()
    rows = strategy_table.measured_rows(runs, FLEET)
    assert list(rows) == list(strategy_table.COMPARED)
    assert rows["all-at-once"].deploy_time == "1 (2.0 s)"
    only_good = strategy_table.measured_rows([runs[0]], FLEET)
    assert only_good == {}


# --- the flags -----------------------------------------------------------------------------


def test_what_the_lab_cannot_agree_with_is_always_flagged_with_why() -> None:
    found = flagged(as_aws_says())
    assert "rather than a DNS name" in found[("blue-green", "No DNS change")]
    for strategy in ("all-at-once", "rolling", "rolling-batch"):
        assert "never changed in place" in found[(strategy, "Deployed to")]
    assert ("blue-green", "Rollback") not in found
    assert ("immutable", "Rollback") not in found


def test_runs_as_aws_describes_them_raise_no_other_flag() -> None:
    found = flagged(as_aws_says())
    assert set(found) == {("blue-green", "No DNS change"), ("all-at-once", "Deployed to"),
                          ("rolling", "Deployed to"), ("rolling-batch", "Deployed to")}


def test_a_good_release_with_failed_requests_is_flagged_against_zero_downtime() -> None:
    runs = as_aws_says()
    runs[2] = Run("rolling", GOOD, summary(failed=12, min_backends=3, seconds=4.0), True)
    reason = flagged(runs)[("rolling", "Zero downtime")]
    assert "12 of 500 requests failed" in reason


def test_all_at_once_without_failures_is_flagged_too() -> None:
    runs = as_aws_says()
    runs[0] = Run("all-at-once", GOOD, summary(min_backends=0, seconds=2.0), True)
    assert "AWS says No" in flagged(runs)[("all-at-once", "Zero downtime")]


def test_a_deploy_time_out_of_awss_order_says_the_rank_and_why() -> None:
    runs = as_aws_says()
    runs[6] = Run("immutable", GOOD, summary(max_backends=8, seconds=2.1), True)  # ties 1st
    runs[8] = Run("traffic-split", GOOD, summary(max_backends=8, seconds=30.0), True)
    found = flagged(runs)
    assert "measured rank 1 (2.1 s)" in found[("immutable", "Deploy time")]
    assert "10 s evaluation" in found[("traffic-split", "Deploy time")]


def test_a_rolling_batch_failing_in_the_extra_batch_rolls_back_by_itself() -> None:
    runs = as_aws_says()
    runs[5] = Run("rolling-batch", BAD, summary(seconds=1.0), False, rolled_back=True,
                  old_kept=True)
    found = flagged(runs)
    assert "before any existing server was touched" in found[("rolling-batch", "Rollback")]
    assert ("rolling-batch", "Impact of failed deployment") not in found


def test_an_impact_unlike_awss_names_the_kind_measured() -> None:
    runs = as_aws_says()
    runs[7] = Run("immutable", BAD, summary(min_backends=0, failed=40), False)
    reason = flagged(runs)[("immutable", "Impact of failed deployment")]
    assert reason.startswith("AWS says 'Minimal'; measured downtime")


def test_the_json_holds_runs_both_tables_and_flags() -> None:
    done = compare.Comparison(compare.Plan(), FLEET, tuple(as_aws_says()))
    figures = done.as_json()
    assert len(figures["runs"]) == 13  # type: ignore[arg-type]
    assert set(figures["measured"]) == set(strategy_table.COMPARED)  # type: ignore[arg-type]
    assert figures["aws"]["blue-green"]["rollback"] == "Swap URL"  # type: ignore[index]
    columns = {(flag["strategy"], flag["column"]) for flag in figures["flags"]}  # type: ignore[attr-defined,index]
    assert ("blue-green", "No DNS change") in columns
