"""The custom checks of 05-moving-target and 06-provisioning-drift, on scripted servers: what
they accept, and the reasons a learner reads when they fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.checks.base import CheckContext
from lab.checks.executor import ExecResult
from lab.checks.registry import build_check
from lab.checks.specs import PythonSpec
from tests.helpers import load_exercise_checks
from tests.unit.checks.fakes import FakeExecutor, server_info, verdicts

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
WEBS = ["web1", "web2", "web3", "web4"]




MOVING = load_exercise_checks("05-moving-target")
DRIFT = load_exercise_checks("06-provisioning-drift")


# --- 05: the next unpinned install -------------------------------------------------------

KEEPS_2_0 = "Reading package lists...\nwebapp is already the newest version (2.0).\n"
UPGRADES = "Inst webapp [2.0] (2.1 repo [all])\nConf webapp (2.1 repo [all])\n"
DOWNGRADES = ("The following packages will be DOWNGRADED:\n  webapp\n"
              "Inst webapp [2.1] (2.0 repo [all])\n")
HELD = ("The following held packages will be changed:\n  webapp\n"
        "Inst webapp [2.0] (2.1 repo [all])\n")


def simulated(**outputs: str) -> FakeExecutor:
    fake = FakeExecutor()
    for server, stdout in outputs.items():
        fake.when("--simulate webapp", stdout=stdout, server=server)
    return fake


def test_a_pinned_fleet_keeps_its_version() -> None:
    fake = simulated(**dict.fromkeys(WEBS, KEEPS_2_0))
    [(ok, reason)] = MOVING.next_install_keeps_the_pin(fake, WEBS)
    assert ok, reason
    assert "Dir::State::Lists=" in fake.calls[0][1], "apt reads a throwaway index"


def test_servers_with_the_same_problem_are_named_together() -> None:
    fake = simulated(web1=UPGRADES, web2=UPGRADES, web3=KEEPS_2_0.replace("2.0", "2.1"),
                     web4=DOWNGRADES)
    assert MOVING.next_install_keeps_the_pin(fake, WEBS) == [
        (False, "web1, web2: the next `apt-get install webapp` would move webapp from 2.0 "
                "to 2.1: nothing pins 2.0"),
        (False, "web3: the next install keeps webapp 2.1, expected 2.0"),
        (False, "web4: webapp 2.1 is installed, not 2.0 (the next `apt-get install webapp` "
                "would install 2.0)"),
    ]


def test_a_hold_is_told_apart_from_a_pin() -> None:
    problem = MOVING.next_install_problem(ExecResult(0, HELD))
    assert problem.endswith("it is held, so `apt-get install -y` would stop with an error "
                            "instead: a hold is not a pin")


def test_apt_failing_is_reported_with_its_last_line() -> None:
    problem = MOVING.next_install_problem(
        ExecResult(100, "", "W: something\nE: Unable to locate package webapp\n"))
    assert problem == ("cannot ask apt what it would install "
                       "(exit 100: E: Unable to locate package webapp)")


def test_a_server_without_webapp_would_install_it() -> None:
    problem = MOVING.next_install_problem(ExecResult(0, "Inst webapp (2.1 repo [all])\n"))
    assert problem == "webapp is not installed; the next `apt-get install webapp` would install 2.1"


# --- 06: report.txt and manifest.txt ----------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path


def context(workspace: Path) -> CheckContext:
    return CheckContext(EXERCISES / "06-provisioning-drift", workspace=workspace)


def test_the_report_takes_the_first_word_of_each_line() -> None:
    entries = [DRIFT.Entry(1, "libwebapp: 1.0 on web1, 1.1 elsewhere"), DRIFT.Entry(2, "Tree")]
    assert DRIFT.reported_packages(entries) == {"libwebapp", "tree"}


def test_a_report_missing_a_package_does_not_give_its_name_away() -> None:
    ok, reason = DRIFT.judge_report({"libwebapp", "webapp"})
    assert not ok
    assert reason == ("report.txt names libwebapp, webapp; webapp did not differ between the "
                      "servers; 1 more package differed (`lab drift` lists them under "
                      "'packages that differ')")
    assert "tree" not in reason


def test_the_starter_report_names_nothing(workspace: Path) -> None:
    (workspace / "report.txt").write_text(
        (EXERCISES / "06-provisioning-drift" / "workspace" / "report.txt").read_text())
    assert DRIFT.report_names_the_differences(FakeExecutor(), ["web1"], context(workspace)) == [
        (False, "report.txt names no package yet: write one package name a line")]


def test_a_missing_workspace_file_fails_the_goal_and_says_how_to_get_it_back(
        workspace: Path) -> None:
    [(ok, reason)] = DRIFT.manifest_is_pinned(FakeExecutor(), ["web1"], context(workspace))
    assert not ok
    assert reason.startswith(f"there is no manifest.txt in your workspace {workspace}")
    assert "`lab start 06` puts the starter file back" in reason


def test_lab_check_gives_the_workspace_to_the_checks_reading_it(workspace: Path) -> None:
    """Run through the `python` check kind, as `lab check` does: one line per verdict."""
    (workspace / "manifest.txt").write_text("webapp\nlibwebapp\n")
    spec = PythonSpec(kind="python", goal="pinned", function="checks:manifest_is_pinned")
    check = build_check(spec, context(workspace))
    results = verdicts(check, FakeExecutor(), ["web1", "web2", "web3"])
    assert [(result.ok, result.reason.split(":")[0]) for result in results] == [
        (False, "manifest.txt, line 1"), (False, "manifest.txt, line 2")]


def test_every_manifest_line_needs_a_version(workspace: Path) -> None:
    (workspace / "manifest.txt").write_text("# comment\nwebapp=1.0  # the app\n"
                                            "libwebapp\nnot a package\n")
    assert DRIFT.manifest_is_pinned(FakeExecutor(), ["web1"], context(workspace)) == [
        (False, "manifest.txt, line 3: libwebapp has no version, so apt picks the newest it "
                "knows; write libwebapp=VERSION"),
        (False, "manifest.txt, line 4: 'not a package' is not NAME=VERSION, like webapp=1.0"),
    ]


WEB1 = "ii |webapp|1.0\nhi |libwebapp|1.0\nii |base-files|12.4\nrc |old|1\n"


def test_a_fresh_server_is_compared_package_by_package(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "manifest.txt").write_text("webapp\n")
    built: list[tuple[str, list[str]]] = []

    def build_fresh(_: CheckContext, image: str, requests: list[str]) -> dict[str, str]:
        built.append((image, requests))
        return {"webapp": "1.0", "libwebapp": "1.1", "base-files": "12.4", "tree": "2.1"}

    monkeypatch.setattr(DRIFT, "build_fresh", build_fresh)
    fake = FakeExecutor(infos={"web1": server_info("web1", image_id="sha256:feed")})
    fake.when("dpkg-query", stdout=WEB1)
    verdicts = DRIFT.manifest_reproduces_web1(fake, ["web1"], context(workspace))
    assert built == [("sha256:feed", ["webapp"])], "from web1's own image"
    assert verdicts == [
        (False, "libwebapp: web1 has 1.0, a fresh server from manifest.txt gets 1.1"),
        (False, "tree: a fresh server from manifest.txt gets 2.1, web1 does not have it"),
    ]


def test_an_identical_fresh_server_passes(workspace: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "manifest.txt").write_text("webapp=1.0\nlibwebapp=1.0\n")
    monkeypatch.setattr(DRIFT, "build_fresh", lambda *_: DRIFT.installed(WEB1))
    fake = FakeExecutor(infos={"web1": server_info("web1")}).when("dpkg-query", stdout=WEB1)
    assert DRIFT.manifest_reproduces_web1(fake, ["web1"], context(workspace)) == [
        (True, "a fresh server built from manifest.txt has web1's 3 packages, each at the "
               "same version")]


def test_a_malformed_manifest_builds_nothing(workspace: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "manifest.txt").write_text("webapp 1.0\n")
    monkeypatch.setattr(DRIFT, "build_fresh", lambda *_: pytest.fail("nothing to build"))
    assert DRIFT.manifest_reproduces_web1(FakeExecutor(), ["web1"], context(workspace)) == [
        (False, "manifest.txt, line 1: 'webapp 1.0' is not NAME=VERSION, like webapp=1.0")]


# --- 06: web1 left alone -----------------------------------------------------------------


def test_web1_as_the_lab_left_it_passes() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="hi |libwebapp|1.0\nii |webapp|1.0\n")
    assert DRIFT.web1_is_untouched(fake, ["web1"]) == [
        (True, "web1 runs what it ran when you arrived")]


def test_an_upgraded_or_unheld_web1_fails() -> None:
    fake = FakeExecutor().when(
        "dpkg-query", stdout="ii |libwebapp|1.1\nii |tree|2.1.0-1\nii |webapp|1.0\n")
    assert DRIFT.web1_is_untouched(fake, ["web1"]) == [
        (False, "web1: libwebapp is 1.1, it was 1.0 when you arrived; your job is to "
                "describe web1, not to change it"),
        (False, "web1: tree is 2.1.0-1, it was not installed when you arrived; your job is "
                "to describe web1, not to change it"),
    ]
    unheld = FakeExecutor().when("dpkg-query", stdout="ii |libwebapp|1.0\nii |webapp|1.0\n")
    [(ok, reason)] = DRIFT.web1_is_untouched(unheld, ["web1"])
    assert not ok
    assert reason.startswith("web1: libwebapp is no longer held; it was held when you arrived")
