"""The replaced check: a server counts as replaced only if its container is newer than the mark."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.unit.checks.fakes import FakeExecutor, make_check, server_info, verdicts

START = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def fleet() -> FakeExecutor:
    return FakeExecutor(
        infos={
            "web1": server_info("web1", created=START - timedelta(seconds=5)),
            "web2": server_info("web2", created=START + timedelta(minutes=10)),
        }
    )


def test_only_the_server_created_after_the_start_counts_as_replaced() -> None:
    check = make_check({"kind": "replaced"}, marks={"start": START})
    web1, web2 = verdicts(check, fleet(), ["web1", "web2"])
    assert (web1.ok, web2.ok) == (False, True)
    assert web1.reason.startswith("web1: its container was created at ")
    assert web1.reason.endswith("it has not been replaced")
    assert web2.reason.startswith("web2: replaced at ")


def test_naive_and_aware_times_compare_as_utc() -> None:
    naive_start = START.replace(tzinfo=None)
    check = make_check({"kind": "replaced"}, marks={"start": naive_start})
    assert [result.ok for result in verdicts(check, fleet(), ["web1", "web2"])] == [False, True]


def test_without_a_recorded_start_the_check_fails_and_says_why() -> None:
    [result] = verdicts(make_check({"kind": "replaced"}), fleet(), ["web2"])
    assert not result.ok
    assert result.reason == (
        "web2: cannot tell: the lab has no record of when the exercise's servers were brought up"
    )
