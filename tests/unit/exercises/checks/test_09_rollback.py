"""09-rollback's checks, read from a hand-made deployment history: a failed release of webapp
3.0, a rollback after it, and the fleet back on the last good image."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from lab.authoring import CheckContext, Deployment, History, Image, Smoke
from lab.authoring.testing import FakeFleet
from tests.helpers import load_exercise_checks
from tests.unit.checks.fakes import server_info
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "09-rollback"
CHECKS = load_exercise_checks(EXERCISE)
WEBS = ["web1", "web2", "web3", "web4"]
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
V2, V3 = "sha256:" + "2" * 64, "sha256:" + "3" * 64
RELEASES = {V2: "2.0", V3: "3.0"}


def deployment(number: int, image_id: str, kind: str = "deploy",
               result: str = "succeeded", message: str = "") -> Deployment:
    tag = "v2" if image_id == V2 else "v3"
    return Deployment(number, kind, f"lab-learner/app:{tag}", image_id, "one-at-a-time",
                      START + timedelta(minutes=number), result=result, message=message)


GOOD = deployment(1, V2)
BROKEN = deployment(2, V3, result="failed",
                    message="web1 failed its health check. The rollout stopped")
ROLLBACK = deployment(3, V2, kind="rollback")


def context(deployments: Sequence[Deployment], on: dict[str, str]) -> CheckContext:
    tags = {V2: ("lab-learner/app:v2",), V3: ("lab-learner/app:v3",)}
    fake = FakeFleet(infos={server: server_info(server, image_id=image_id, tags=tags[image_id])
                               for server, image_id in on.items()})

    def smoke(image_id: str, probes: Sequence[str]) -> Smoke:
        return Smoke(True, "answered ok", {probe: RELEASES[image_id] for probe in probes})

    return exercise_context(
        EXERCISE, fake, history=lambda: History(tuple(deployments)), smoke=smoke,
        image=lambda image_id: Image(image_id, image_id[7:19]) if image_id in RELEASES else None)


def test_after_a_rollback_both_goals_read_from_the_history_hold() -> None:
    ctx = context([GOOD, BROKEN, ROLLBACK], dict.fromkeys(WEBS, V2))
    assert CHECKS.back_on_the_last_good_image(ctx) == [
        (True, "web1, web2, web3, web4 run lab-learner/app:v2 (222222222222) again, the image "
               "of deployment #1, the last good one before #2 failed")]
    assert CHECKS.failure_then_rollback(ctx) == (
        True, "deployment #2 (lab-learner/app:v3, 333333333333) of webapp 3.0 failed: web1 "
              "failed its health check; rollback #3 to lab-learner/app:v2 succeeded")


def test_the_fleet_stopped_halfway_names_the_server_on_the_broken_release() -> None:
    ctx = context([GOOD, BROKEN], {"web1": V3, "web2": V2, "web3": V2, "web4": V2})
    assert CHECKS.back_on_the_last_good_image(ctx) == [
        (False, "web1 runs lab-learner/app:v3 (333333333333), not lab-learner/app:v2 "
                "(222222222222) of deployment #1, the last that succeeded before #2 "
                "(lab-learner/app:v3, 333333333333) failed: `lab rollback`")]
    assert CHECKS.failure_then_rollback(ctx) == (
        False, "deployment #2 (lab-learner/app:v3, 333333333333) failed; no rollback "
               "followed it yet: `lab rollback`")


def test_a_redeploy_by_hand_is_not_a_rollback() -> None:
    ctx = context([GOOD, BROKEN, deployment(3, V2)], dict.fromkeys(WEBS, V2))
    ok, reason = CHECKS.failure_then_rollback(ctx)
    assert not ok
    assert "#3 deployed lab-learner/app:v2 by hand with `lab deploy`, which is not a " \
           "rollback" in reason


def test_without_a_failure_there_is_nothing_to_come_back_from() -> None:
    ctx = context([GOOD], dict.fromkeys(WEBS, V2))
    [(ok, reason)] = CHECKS.back_on_the_last_good_image(ctx)
    assert not ok and reason.startswith("no deployment has failed yet")
    assert CHECKS.failure_then_rollback(context([], dict.fromkeys(WEBS, V2))) == (
        False, "nothing was deployed yet: `lab history` is empty. Start with `lab deploy v2`")
