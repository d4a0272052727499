"""09-rollback's checks, read from a hand-made deployment history: a failed release of webapp
3.0, a rollback after it, and the fleet back on the last good image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lab.authoring import CheckContext, Deployment, History, Image, Smoke
from lab.authoring.testing import FakeFleet
from tests.helpers import EXERCISES, load_exercise_checks
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


# --- rollback.yaml: the learner's account, against the history -------------------------------

STOPPED = deployment(2, V3, result="failed",
                     message="web1 failed its health check on lab-learner/app:v3: /health "
                             "answered 'fail'. The rollout stopped; web2, web3, web4 were not "
                             "touched")
STOPPED = replace(STOPPED, replaced=("web1",))
RIGHT = ("failed: 2\nstopped_at: web1\nhealth: fail\nuntouched: [web2, web3, web4]\n"
         "back_to: 222222222222\n")


def account(tmp_path: Path, text: str | None) -> CheckContext:
    if text is not None:
        (tmp_path / "rollback.yaml").write_text(text)
    ctx = context([GOOD, STOPPED, ROLLBACK], dict.fromkeys(WEBS, V2))
    return exercise_context(EXERCISE, FakeFleet(infos={}), workspace=tmp_path,
                            history=lambda: ctx.history())


def test_an_account_read_from_the_history_holds(tmp_path: Path) -> None:
    assert CHECKS.account_matches_the_history(account(tmp_path, RIGHT)) == [
        (True, "rollback.yaml tells the history right: #2 stopped at web1, whose /health said "
               "'fail'; web2, web3, web4 never ran it; rollback #3 deployed 222222222222")]


def test_the_template_left_as_it_is_says_what_each_line_wants(tmp_path: Path) -> None:
    template = (EXERCISES / EXERCISE / "workspace" / "rollback.yaml").read_text()
    verdicts = CHECKS.account_matches_the_history(account(tmp_path, template))
    assert (False, "rollback.yaml has no failed: the number of the newest deployment "
                   "`lab history` marks failed") in verdicts
    assert len(verdicts) == 5 and not any(ok for ok, _ in verdicts)


def test_a_tag_is_not_an_image_id(tmp_path: Path) -> None:
    verdicts = CHECKS.account_matches_the_history(
        account(tmp_path, RIGHT.replace("222222222222", "v2")))
    assert verdicts == [(False, "rollback.yaml says back_to: v2, which is not an image ID: a "
                                "tag like v2 can be moved to another image at any time, an ID "
                                "cannot. Write the 12 hex digits of `lab history`'s id column "
                                "on the rollback's line")]


def test_the_tutorials_numbers_copied_without_reading_the_history_fail(tmp_path: Path) -> None:
    copied = RIGHT.replace("222222222222", "31302404eb59").replace("untouched: [web2, web3, "
                                                                   "web4]", "untouched: [web2]")
    verdicts = CHECKS.account_matches_the_history(account(tmp_path, copied))
    assert [reason.split(":")[0] for _, reason in verdicts] == [
        "rollback.yaml says untouched", "rollback.yaml says back_to"]
    assert "not the tutorial's" in verdicts[1][1]


def test_without_the_file_the_check_says_where_to_write_it(tmp_path: Path) -> None:
    [(ok, reason)] = CHECKS.account_matches_the_history(account(tmp_path, None))
    assert not ok and reason.startswith("there is no rollback.yaml in your workspace")
