"""06-provisioning-drift's checks: the learner's report and manifest, the manifest tried on a
throwaway server, and the reference server left alone; the reasons a learner reads."""

from __future__ import annotations

from pathlib import Path

from lab.authoring import CheckContext
from lab.authoring.testing import FakeFleet
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.checks.fakes import judge, server_info
from tests.unit.exercises.checks.helpers import exercise_context, scratch_of

EXERCISE = "06-provisioning-drift"
CHECKS = load_exercise_checks(EXERCISE)
WEB1 = "ii |webapp|1.0\nhi |libwebapp|1.0\nii |base-files|12.4\nrc |old|1\n"


def context(workspace: Path, executor: FakeFleet | None = None,
            made: list[str | None] | None = None,
            fresh: FakeFleet | None = None) -> CheckContext:
    scratch = scratch_of(fresh or FakeFleet(), made if made is not None else [])
    return exercise_context(EXERCISE, executor, workspace=workspace, scratch=scratch)


# --- report.txt --------------------------------------------------------------------------


def test_the_report_takes_the_first_word_of_each_line() -> None:
    entries = [CHECKS.Entry(1, "libwebapp: 1.0 on web1, 1.1 elsewhere"), CHECKS.Entry(2, "Tree")]
    assert CHECKS.reported_packages(entries) == {"libwebapp", "tree"}


def test_a_report_naming_every_difference_passes(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("libwebapp: 1.0 on web1\ntree  # web3 only\n")
    assert judge(context(tmp_path), 0) == [
        (True, "report.txt names libwebapp, tree: every difference, and no other")]


def test_a_report_missing_a_package_does_not_give_its_name_away() -> None:
    ok, reason = CHECKS.judge_report({"libwebapp", "webapp"})
    assert not ok
    assert reason == ("report.txt names libwebapp, webapp; webapp did not differ between the "
                      "servers; 1 more package differed (`lab drift` lists them under "
                      "'packages that differ')")
    assert "tree" not in reason


def test_the_starter_report_names_nothing(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text(
        (EXERCISES / EXERCISE / "workspace" / "report.txt").read_text())
    assert judge(context(tmp_path), 0) == [
        (False, "report.txt names no package yet: write one package name a line")]


# --- manifest.txt ------------------------------------------------------------------------


def test_a_missing_workspace_file_fails_the_goal_and_says_how_to_get_it_back(
        tmp_path: Path) -> None:
    [(ok, reason)] = judge(context(tmp_path), 1)
    assert not ok
    assert reason.startswith(f"there is no manifest.txt in your workspace {tmp_path}")
    assert "`lab start 06` puts the starter file back" in reason


def test_every_manifest_line_needs_a_version(tmp_path: Path) -> None:
    (tmp_path / "manifest.txt").write_text("# comment\nwebapp=1.0  # the app\n"
                                           "libwebapp\nnot a package\n")
    assert judge(context(tmp_path), 1) == [
        (False, "manifest.txt, line 3: libwebapp has no version, so apt picks the newest it "
                "knows; write libwebapp=VERSION"),
        (False, "manifest.txt, line 4: 'not a package' is not NAME=VERSION, like webapp=1.0"),
    ]
    (tmp_path / "manifest.txt").write_text("webapp=1.0\nlibwebapp=1.0\n")
    assert judge(context(tmp_path), 1) == [
        (True, "manifest.txt pins all 2 of its packages to an exact version")]


def web1(image_id: str = "sha256:feed") -> FakeFleet:
    fake = FakeFleet(infos={"web1": server_info("web1", image_id=image_id)})
    return fake.when("dpkg-query", stdout=WEB1)


def test_a_fresh_server_is_compared_package_by_package(tmp_path: Path) -> None:
    (tmp_path / "manifest.txt").write_text("webapp\n")
    made: list[str | None] = []
    fresh = (FakeFleet().when("apt-get install", stdout="")
             .when("dpkg-query", stdout="ii |webapp|1.0\nii |libwebapp|1.1\n"
                                        "ii |base-files|12.4\nii |tree|2.1\n"))
    assert judge(context(tmp_path, web1(), made, fresh), 2) == [
        (False, "libwebapp: web1 has 1.0, a fresh server from manifest.txt gets 1.1"),
        (False, "tree: a fresh server from manifest.txt gets 2.1, web1 does not have it"),
    ]
    assert made == ["sha256:feed"], "from web1's own image"
    assert "apt-get install -y -qq -o Dpkg::Use-Pty=0 webapp >/dev/null" in fresh.calls[0][1]


def test_an_identical_fresh_server_passes(tmp_path: Path) -> None:
    (tmp_path / "manifest.txt").write_text("webapp=1.0\nlibwebapp=1.0\n")
    fresh = FakeFleet().when("apt-get", stdout="").when("dpkg-query", stdout=WEB1)
    assert judge(context(tmp_path, web1(), fresh=fresh), 2) == [
        (True, "a fresh server built from manifest.txt has web1's 3 packages, each at the "
               "same version")]


def test_a_manifest_apt_cannot_install_says_what_apt_said(tmp_path: Path) -> None:
    (tmp_path / "manifest.txt").write_text("webapp=9.9\n")
    fresh = FakeFleet().when("apt-get", exit_code=100,
                                stderr="E: Version '9.9' for 'webapp' was not found\n")
    assert judge(context(tmp_path, web1(), fresh=fresh), 2) == [
        (False, "installing manifest.txt on a fresh server failed: E: Version '9.9' for "
                "'webapp' was not found")]


def test_a_malformed_manifest_builds_nothing(tmp_path: Path) -> None:
    (tmp_path / "manifest.txt").write_text("webapp 1.0\n")
    made: list[str | None] = []
    assert judge(context(tmp_path, web1(), made), 2) == [
        (False, "manifest.txt, line 1: 'webapp 1.0' is not NAME=VERSION, like webapp=1.0")]
    assert made == []


# --- web1 left alone ---------------------------------------------------------------------


def test_web1_as_the_lab_left_it_passes(tmp_path: Path) -> None:
    fake = FakeFleet().when("dpkg-query", stdout="hi |libwebapp|1.0\nii |webapp|1.0\n",
                               exit_code=1, stderr="dpkg-query: no packages found matching tree")
    assert judge(context(tmp_path, fake), 3) == [(True, "web1 runs what it ran when you arrived")]


def test_an_upgraded_or_unheld_web1_fails(tmp_path: Path) -> None:
    fake = FakeFleet().when(
        "dpkg-query", stdout="ii |libwebapp|1.1\nii |tree|2.1.0-1\nii |webapp|1.0\n")
    assert judge(context(tmp_path, fake), 3) == [
        (False, "web1: libwebapp is 1.1, it was 1.0 when you arrived; your job is to "
                "describe web1, not to change it"),
        (False, "web1: tree is 2.1.0-1, it was not installed when you arrived; your job is "
                "to describe web1, not to change it"),
    ]
    unheld = FakeFleet().when("dpkg-query", stdout="ii |libwebapp|1.0\nii |webapp|1.0\n")
    [(ok, reason)] = judge(context(tmp_path, unheld), 3)
    assert not ok
    assert reason.startswith("web1: libwebapp is no longer held; it was held when you arrived")

