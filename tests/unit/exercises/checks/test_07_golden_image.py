"""07-golden-image's checks: the newest image the learner built in the exercise, judged by its
labels and by a throwaway container of it; the reasons a learner reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from lab.authoring import CheckContext, Image, Smoke
from tests.helpers import load_exercise_checks
from tests.unit.checks.fakes import judge
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "07-golden-image"
CHECKS = load_exercise_checks(EXERCISE)
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
DPKG = CHECKS.DPKG_PROBE


def golden(labels: dict[str, str] | None = None, built: datetime = START + timedelta(minutes=3),
           exercise: str = EXERCISE) -> Image:
    return Image("sha256:" + "7" * 64, "lab-learner/app:v2", ("lab-learner/app:v2",),
                 {"version": "2.0"} if labels is None else labels, built, exercise)


def context(*images: Image, dpkg: str = "ii 2.0", healthy: bool = True) -> CheckContext:
    def smoke(image_id: str, probes: Sequence[str]) -> Smoke:
        detail = "answered ok" if healthy else "answered 'fail'"
        return Smoke(healthy, detail, {probe: dpkg for probe in probes})
    return exercise_context(EXERCISE, marks={"start": START}, images=lambda: list(images),
                            smoke=smoke)


def goals(ctx: CheckContext) -> list[tuple[bool, str]]:
    return [verdict for index in range(4) for verdict in judge(ctx, index)]


def test_a_golden_image_holds_every_goal() -> None:
    built = CHECKS.clock(START + timedelta(minutes=3))
    assert goals(context(golden())) == [
        (True, f"lab-learner/app:v2 (777777777777), built at {built}"),
        (True, "lab-learner/app:v2 (777777777777): webapp 2.0 is installed and configured (ii)"),
        (True, "lab-learner/app:v2 (777777777777) is labelled version=2.0"),
        (True, "a new container of lab-learner/app:v2 (777777777777) answered ok on /health"),
    ]


def test_without_an_image_of_this_exercise_every_goal_says_how_to_build_one() -> None:
    reason = ("you have not built an image in this exercise yet: write your Dockerfile, then "
              "`lab build v2`")
    assert goals(context(golden(exercise="08-replace-dont-repair"))) == [(False, reason)] * 4


def test_an_image_from_before_a_reset_does_not_count() -> None:
    [(ok, reason)] = judge(context(golden(built=START - timedelta(minutes=1))), 0)
    assert not ok
    assert reason.startswith("your newest image, lab-learner/app:v2 (777777777777), was built "
                             "at ")
    assert reason.endswith("run `lab build v2` again (docker's cache makes it quick)")


def test_the_starter_dockerfile_s_image_lacks_webapp_and_its_label() -> None:
    ctx = context(golden(labels={}), dpkg="")
    assert judge(ctx, 1) == [
        (False, "lab-learner/app:v2 (777777777777): webapp is not installed in the image: "
                "install it in a RUN step of your Dockerfile, then `lab build v2`")]
    assert judge(ctx, 2) == [
        (False, "lab-learner/app:v2 (777777777777) has no `version` label: add "
                "`LABEL version=\"2.0\"` to your Dockerfile, then `lab build v2`")]


def test_the_wrong_release_or_a_half_install_is_named() -> None:
    [(_, newer)] = judge(context(golden(), dpkg="ii 2.1"), 1)
    assert newer.startswith("lab-learner/app:v2 (777777777777): webapp 2.1 is installed, not "
                            "2.0: name the version in the install command (webapp=2.0)")
    [(_, half)] = judge(context(golden(), dpkg="iF 2.0"), 1)
    assert half == ("lab-learner/app:v2 (777777777777): webapp 2.0 is in dpkg state iF, not ii "
                    "(installed and configured): its installation did not finish")
    assert judge(context(golden(), healthy=False), 3) == [
        (False, "a new container of lab-learner/app:v2 (777777777777): answered 'fail'")]
