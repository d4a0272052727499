"""The history-reading checks of 13-blue-green, on hand-made deployment records: which story
counts as a switch and a switch back, and how a switch's lost requests are told from green's
own HTTP 500s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lab.deploy.state import Deployment
from tests.helpers import load_exercise_checks

CHECKS = load_exercise_checks("13-blue-green")
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def deployment(number: int, strategy: str, kind: str = "deploy", result: str = "succeeded",
               **summary: object) -> Deployment:
    return Deployment.model_validate({
        "number": number, "kind": kind, "image": f"lab-learner/app:v{number}",
        "image_id": f"sha256:{number:064d}", "strategy": strategy,
        "started_at": START + timedelta(minutes=number),
        "finished_at": START + timedelta(minutes=number, seconds=4), "result": result,
        "summary": {"requests": 200, **summary} if summary else None})


def test_a_switch_to_green_and_a_switch_back_is_the_story() -> None:
    blue, green = deployment(1, "rolling"), deployment(2, "blue-green")
    back = deployment(3, "switch back", kind="rollback")
    assert CHECKS.the_switches([blue, green, back]) == (green, back)


def test_what_is_missing_from_the_story() -> None:
    blue, green = deployment(1, "rolling"), deployment(2, "blue-green")
    assert "no blue/green deployment" in CHECKS.the_switches([blue])
    assert "nothing switched back yet: `lab rollback`" in CHECKS.the_switches([blue, green])
    redeployed = deployment(3, "rolling", kind="rollback")
    assert "deployed lab-learner/app:v3 afresh" in CHECKS.the_switches(
        [blue, green, redeployed])
    failed = deployment(2, "blue-green", result="failed")
    assert "blue/green deployment #2 failed" in CHECKS.the_switches([blue, failed])


def test_green_s_own_errors_are_not_the_switch_s() -> None:
    clean = deployment(2, "blue-green", failed=12, failed_by_status={"500": 12},
                       lost_near_changes=0)
    ok, reason = CHECKS.lost_in(clean, "the switch to green")
    assert ok, reason
    assert "green itself answered 12 of 200 requests with HTTP 500" in reason


def test_a_request_lost_around_a_switch_fails_it() -> None:
    lossy = deployment(3, "switch back", failed=5, failed_by_status={"502": 3, "500": 2},
                       lost_near_changes=3)
    ok, reason = CHECKS.lost_in(lossy, "the switch back")
    assert not ok
    assert "3 request(s) went unanswered or met the balancer's error" in reason
    assert "HTTP 500: 2, HTTP 502: 3" in reason
    unmeasured = deployment(3, "switch back")
    assert not CHECKS.lost_in(unmeasured, "the switch back")[0]
