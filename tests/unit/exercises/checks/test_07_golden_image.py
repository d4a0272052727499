"""07-golden-image's checks: the learner's Dockerfile (is every package pinned, at the tested
versions?) and the newest image they built in the exercise, judged by its labels and by a
throwaway container of it; the reasons a learner reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lab.authoring import CheckContext, Image, Smoke
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.checks.fakes import judge
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "07-golden-image"
CHECKS = load_exercise_checks(EXERCISE)
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
TESTED = "webapp ii  2.0\nlibwebapp ii  1.0\n"
BUILT, PINS, HOLDS, LABEL, HEALTHY = range(5)
PINNED = """ARG SERVER_IMAGE=immutable-lab/server:latest
FROM ${SERVER_IMAGE}
RUN apt-get update \\
 && apt-get install -y --no-install-recommends webapp=2.0 libwebapp=1.0 \\
 && apt-get clean && rm -rf /var/lib/apt/lists/*
LABEL version="2.0"
"""
UNPINNED = PINNED.replace(" libwebapp=1.0", "")


def golden(labels: dict[str, str] | None = None, built: datetime = START + timedelta(minutes=3),
           exercise: str = EXERCISE) -> Image:
    return Image("sha256:" + "7" * 64, "lab-learner/app:v2", ("lab-learner/app:v2",),
                 {"version": "2.0"} if labels is None else labels, built, exercise)


def context(*images: Image, dpkg: str = TESTED, healthy: bool = True,
            workspace: Path = Path("/nonexistent-workspace")) -> CheckContext:
    def smoke(image_id: str, probes: Sequence[str]) -> Smoke:
        detail = "answered ok" if healthy else "answered 'fail'"
        return Smoke(healthy, detail, {probe: dpkg for probe in probes})
    return exercise_context(EXERCISE, marks={"start": START}, images=lambda: list(images),
                            smoke=smoke, workspace=workspace)


def with_dockerfile(tmp_path: Path, text: str, dpkg: str = TESTED) -> CheckContext:
    (tmp_path / "Dockerfile").write_text(text)
    return context(golden(), workspace=tmp_path, dpkg=dpkg)


def goals(ctx: CheckContext) -> list[tuple[bool, str]]:
    return [verdict for index in range(5) for verdict in judge(ctx, index)]


def test_a_pinned_golden_image_holds_every_goal(tmp_path: Path) -> None:
    built = CHECKS.clock(START + timedelta(minutes=3))
    assert goals(with_dockerfile(tmp_path, PINNED)) == [
        (True, f"lab-learner/app:v2 (777777777777), built at {built}"),
        (True, "your Dockerfile installs webapp=2.0 libwebapp=1.0: every version named"),
        (True, "lab-learner/app:v2 (777777777777): webapp 2.0 and libwebapp 1.0, installed "
               "and configured (ii): the versions tested on web"),
        (True, "lab-learner/app:v2 (777777777777) is labelled version=2.0"),
        (True, "a new container of lab-learner/app:v2 (777777777777) answered ok on /health"),
    ]


def test_a_dockerfile_pinning_only_webapp_is_told_to_pin_the_library(tmp_path: Path) -> None:
    [(ok, reason)] = judge(with_dockerfile(tmp_path, UNPINNED), PINS)
    assert not ok
    assert reason.startswith("your Dockerfile pins webapp but not libwebapp, which webapp "
                             "depends on: apt installs whatever libwebapp is newest")
    assert reason.endswith("Pin the one tested on web: libwebapp=1.0")


def test_an_image_built_unpinned_after_the_release_holds_the_new_library(
        tmp_path: Path) -> None:
    newer = TESTED.replace("1.0", "1.1")
    assert judge(with_dockerfile(tmp_path, UNPINNED, dpkg=newer), HOLDS) == [
        (False, "lab-learner/app:v2 (777777777777) holds libwebapp 1.1, released after you "
                "started: your Dockerfile installs whatever libwebapp is newest, so this "
                "image is not the one tested. Pin it: libwebapp=1.0, then `lab build v2`")]


def test_unpinned_wrongly_pinned_or_missing_installs_are_named(tmp_path: Path) -> None:
    loose = PINNED.replace("webapp=2.0 libwebapp=1.0", "webapp libwebapp=1.0 tree")
    [(_, unpinned)] = judge(with_dockerfile(tmp_path, loose), PINS)
    assert unpinned.startswith("your Dockerfile installs webapp, tree without a version: apt "
                               "takes whatever is newest")
    assert unpinned.endswith("Pin it: webapp=2.0 tree=VERSION")
    wrong = PINNED.replace("libwebapp=1.0", "libwebapp=1.1")
    assert judge(with_dockerfile(tmp_path, wrong), PINS) == [
        (False, "your Dockerfile pins libwebapp=1.1, but the release tested on web is "
                "webapp=2.0 libwebapp=1.0")]
    starter = EXERCISES / EXERCISE / "workspace" / "Dockerfile"
    [(_, nothing)] = judge(with_dockerfile(tmp_path, starter.read_text()), PINS)
    assert nothing.startswith("your Dockerfile installs nothing: add a RUN step")
    [(_, missing)] = judge(context(golden(), workspace=tmp_path / "absent"), PINS)
    assert missing.startswith("there is no Dockerfile in your workspace")


def test_apt_installs_reads_run_steps_as_the_shell_would() -> None:
    dockerfile = ("RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y \\\n"
                  "    -o Dpkg::Options::=--force-confold install webapp=2.0; apt install jq\n"
                  "# RUN apt-get install commented\nRUN echo apt-get install nothing | cat\n")
    assert CHECKS.apt_installs(dockerfile) == ["webapp=2.0", "jq"]


def test_without_an_image_of_this_exercise_every_image_goal_says_how_to_build_one() -> None:
    reason = ("you have not built an image in this exercise yet: write your Dockerfile, then "
              "`lab build v2`")
    ctx = context(golden(exercise="08-replace-dont-repair"))
    assert [verdict for index in (BUILT, HOLDS, LABEL, HEALTHY)
            for verdict in judge(ctx, index)] == [(False, reason)] * 4


def test_an_image_from_before_a_reset_does_not_count() -> None:
    [(ok, reason)] = judge(context(golden(built=START - timedelta(minutes=1))), BUILT)
    assert not ok
    assert reason.startswith("your newest image, lab-learner/app:v2 (777777777777), was built "
                             "at ")
    assert reason.endswith("run `lab build v2` again (docker's cache makes it quick)")


def test_the_starter_dockerfile_s_image_lacks_webapp_and_its_label() -> None:
    ctx = context(golden(labels={}), dpkg="")
    assert judge(ctx, HOLDS) == [
        (False, "lab-learner/app:v2 (777777777777): webapp is not installed in the image: "
                "install it in a RUN step of your Dockerfile, then `lab build v2`")]
    assert judge(ctx, LABEL) == [
        (False, "lab-learner/app:v2 (777777777777) has no `version` label: add "
                "`LABEL version=\"2.0\"` to your Dockerfile, then `lab build v2`")]


def test_the_wrong_release_or_a_half_install_is_named() -> None:
    [(_, newer)] = judge(context(golden(), dpkg=TESTED.replace("2.0", "2.1")), HOLDS)
    assert newer.startswith("lab-learner/app:v2 (777777777777): webapp 2.1 is installed, not "
                            "2.0: name the version in the install command (webapp=2.0)")
    [(_, half)] = judge(context(golden(), dpkg=TESTED.replace("webapp ii ", "webapp iF ", 1)),
                        HOLDS)
    assert half == ("lab-learner/app:v2 (777777777777): webapp 2.0 is in dpkg state iF, not ii "
                    "(installed and configured): its installation did not finish")
    assert judge(context(golden(), healthy=False), HEALTHY) == [
        (False, "a new container of lab-learner/app:v2 (777777777777): answered 'fail'")]
