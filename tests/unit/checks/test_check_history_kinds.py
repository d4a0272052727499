"""The kinds that read what the lab recorded: `deployment` (the deployment history holds one
like this, maybe after another) and `download` (the repository's access log)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from lab.checks.records import Deployment, Desired, History
from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts

START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def deployment(number: int, strategy: str = "one-at-a-time", kind: str = "deploy",
               result: str = "succeeded", minutes: int | None = None) -> Deployment:
    return Deployment(number, kind, f"lab-learner/app:v{number}", "sha256:" + str(number) * 64,
                      strategy, START + timedelta(minutes=number if minutes is None else minutes),
                      result=result)


def judged(fields: dict[str, Any], *deployments: Deployment,
           desired: Desired | None = None) -> tuple[bool, str]:
    check = make_check({"kind": "deployment", **fields}, marks={"start": START},
                       history=lambda: History(deployments, desired=desired))
    [result] = verdicts(check, FakeExecutor(), ["web1", "web2"])
    return result.ok, result.reason


def test_a_successful_deployment_since_the_start_holds() -> None:
    assert judged({}, deployment(1)) == (
        True, "#1 (lab-learner/app:v1, 111111111111): deploy (one-at-a-time), succeeded")


def test_one_from_before_the_start_does_not_count_and_the_remedy_is_said() -> None:
    assert judged({"remedy": "`lab deploy v1`"}, deployment(1, minutes=-5)) == (
        False, "no successful deployment since the servers started: `lab deploy v1`")
    assert judged({"since": "ever"}, deployment(1, minutes=-5))[0]


def test_a_story_needs_its_steps_in_order() -> None:
    story = {"action": "rollback", "strategy": "switch back",
             "after": {"strategy": "blue-green"}}
    green = deployment(2, "blue-green")
    back = deployment(3, "switch back", kind="rollback")
    ok, reason = judged(story, deployment(1), green, back)
    assert ok
    assert reason.endswith(", after #2 (lab-learner/app:v2, 222222222222): deploy (blue-green), "
                           "succeeded")
    assert judged(story, deployment(1)) == (
        False, "no successful deployment with strategy blue-green since the servers started "
               "(the last: #1 (lab-learner/app:v1, 111111111111): deploy (one-at-a-time), "
               "succeeded)")
    redeployed = deployment(3, kind="rollback")
    assert judged(story, green, redeployed) == (
        False, "no successful rollback with strategy switch back after #2 "
               "(lab-learner/app:v2, 222222222222) (the last: #3 (lab-learner/app:v3, "
               "333333333333): rollback (one-at-a-time), succeeded)")


def test_the_volumes_the_fleet_keeps_its_data_in_are_named_as_deploy_was_given_them() -> None:
    def desired(**volumes: str) -> Desired:
        return Desired("lab-learner/app:v1", "sha256:" + "1" * 64, ("web1", "web2"), volumes)

    assert judged({}, deployment(1), desired=desired(guestbook="/var/lib/guestbook")) == (
        True, "#1 (lab-learner/app:v1, 111111111111): deploy (one-at-a-time), succeeded; the "
              "fleet runs lab-learner/app:v1 with the volume guestbook:/var/lib/guestbook")
    assert judged({}, deployment(1), desired=desired(a="/srv/a", b="/srv/b"))[1].endswith(
        "with the volumes a:/srv/a, b:/srv/b")
    assert judged({}, deployment(1), desired=desired())[1].endswith("succeeded")


def test_a_failed_deployment_is_asked_for_by_its_result() -> None:
    assert judged({"result": "failed"}, deployment(1), deployment(2, result="failed"))[0]
    assert not judged({"result": "failed"}, deployment(1))[0]
