"""What a deploy summary and timeline tell the learner, from hand-made probe records: an
outage's availability and error window, mixed versions, capacity from the markers, rollback
time (the terminal's rendering: test_deploy_views.py)."""

from __future__ import annotations

import pytest

from lab.deploy.summary import Bucket, Marker, summarize, timeline
from lab.deploy.traffic import ProbeRecord, Sample
from tests.unit.deploy.records import STARTED, record


def test_an_outage_of_n_requests() -> None:
    summary = summarize(record(["1.0"] * 200 + [0] * 30 + ["1.0"] * 270), [], (0.0, 10.0))

    assert (summary.requests, summary.failed) == (500, 30)
    assert summary.availability == pytest.approx(94.0)
    assert summary.longest_error_window == pytest.approx(30 / 50)
    assert summary.versions == {"1.0": 470}


def test_the_longest_of_several_error_windows_counts() -> None:
    answers: list[str | int] = ["1.0"] * 10 + [502] * 5 + ["1.0"] * 10 + [0, 503] * 6 + ["1.0"]
    summary = summarize(record(answers), [], (0.0, 1.0))

    assert summary.failed == 5 + 12
    assert summary.longest_error_window == pytest.approx(12 / 50)


def test_no_failure_no_window() -> None:
    summary = summarize(record(["1.0"] * 100), [], (0.0, 2.0))

    assert (summary.failed, summary.availability, summary.longest_error_window) == (0, 100.0, 0.0)
    assert summary.mixed_seconds == 0.0


def test_a_single_failure_is_one_request_interval() -> None:
    summary = summarize(record(["1.0"] * 10 + [0] + ["1.0"] * 10, rate=20), [], (0.0, 1.0))

    assert summary.longest_error_window == pytest.approx(1 / 20)


def test_two_versions_in_a_bucket_count_as_mixed() -> None:
    # 10 requests a second: 5 a half-second bucket
    answers: list[str | int] = (["1.0"] * 5 + ["1.0", "2.0", "1.0", "2.0", "2.0"]
                                + ["2.0"] * 5 + ["2.0", 0, "2.0", "2.0", "2.0"]
                                + ["1.0", "2.0"] + ["2.0"] * 3)
    summary = summarize(record(answers, rate=10), [], (0.0, 2.5))

    assert summary.mixed_seconds == pytest.approx(1.0)  # the second and the last bucket
    assert summary.versions == {"1.0": 8, "2.0": 16}


def test_markers_give_the_fewest_and_most_backends_during_the_deploy() -> None:
    markers = [Marker(0.0, 4), Marker(5.0, 3, "web1 out"), Marker(6.0, 4, "web1 in"),
               Marker(10.0, 6, "extra batch"), Marker(20.0, 2, "after the deploy")]
    probed = record(["1.0"] * 1250)

    summary = summarize(probed, markers, (4.0, 12.0))
    assert (summary.min_backends, summary.max_backends) == (3, 6)
    # only the marker in force at the start applies to a span without changes
    assert (summarize(probed, markers, (7.0, 9.0)).min_backends,
            summarize(probed, markers, (7.0, 9.0)).max_backends) == (4, 4)
    # markers arrive in any order
    assert summarize(probed, markers[::-1], (4.0, 12.0)).min_backends == 3
    assert summarize(probed, [], (4.0, 12.0)).min_backends == 0


def test_deploy_and_rollback_times() -> None:
    probed = record(["1.0"] * 300)

    summary = summarize(probed, [], (1.0, 3.25), rollback=(3.25, 4.75))
    assert summary.deploy_seconds == pytest.approx(2.25)
    assert summary.rollback_seconds == pytest.approx(1.5)
    assert summarize(probed, [], (1.0, 3.25)).rollback_seconds is None


def test_as_json_gives_the_raw_numbers() -> None:
    figures = summarize(record(["1.0"] * 2 + [0]), [Marker(0, 2)], (0.0, 1 / 3),
                        servers=4).as_json()

    assert figures == {"requests": 3, "failed": 1, "availability": 66.667,
                       "longest_error_window": 0.02, "mixed_seconds": 0.0, "min_backends": 2,
                       "max_backends": 2, "deploy_seconds": 0.333, "rollback_seconds": None,
                       "versions": {"1.0": 2}, "failed_by_status": {"0": 1},
                       "lost_near_changes": 1, "max_servers": 4}


def test_timeline_buckets_by_send_time_and_keeps_empty_intervals() -> None:
    samples = (Sample(0.0, 0.0, 0.01, 200, "1.0"), Sample(0.1, 0.1, 0.01, 503, ""),
               Sample(0.2, 1.3, 0.01, 200, "2.0"),  # sent late: it met the fleet at 1.3 s
               Sample(0.3, 0.3, 0.01, 200, "2.0"))
    buckets = timeline(ProbeRecord(10, STARTED, 2.0, samples), interval=0.5)

    assert buckets == [Bucket(0.0, {"1.0": 1, "2.0": 1}, 1), Bucket(0.5, {}, 0),
                       Bucket(1.0, {"2.0": 1}, 0), Bucket(1.5, {}, 0)]


def test_an_empty_record() -> None:
    empty = ProbeRecord(50, STARTED, 0.0, ())

    summary = summarize(empty, [], (0.0, 0.0))
    assert (summary.requests, summary.failed, summary.availability) == (0, 0, 0.0)
    assert timeline(empty) == [Bucket(0.0, {}, 0)]


def test_failures_are_counted_by_status() -> None:
    answers: list[str | int] = ["1.0"] * 10 + [500, 0, 500, 502] + ["1.0"] * 10
    summary = summarize(record(answers), [], (0.0, 1.0))

    assert summary.failed_by_status == {"0": 1, "500": 2, "502": 1}
    assert summary.as_json()["failed_by_status"] == {"0": 1, "500": 2, "502": 1}


def test_requests_lost_near_a_change_are_told_from_a_release_s_own_errors() -> None:
    # At 50 req/s: a switch at 1.0 s; a lost request at 0.5 s and a 502 at 1.9 s are near it,
    # a 503 at 3.0 s is not; the 500s near it are the release's, not the switch's.
    answers: list[str | int] = ["1.0"] * 200
    for k, status in ((25, 0), (95, 502), (50, 500), (52, 500), (150, 503)):
        answers[k] = status
    summary = summarize(record(answers), [Marker(1.0, 4, "switch")], (0.5, 2.0))

    assert summary.failed == 5
    assert summary.lost_near_changes == 2
    assert summarize(record(["1.0"] * 10), [], (0.0, 0.2)).lost_near_changes == 0
