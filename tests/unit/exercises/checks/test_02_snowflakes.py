"""02-snowflakes' checks: the learner's report against the hand edits of exercise.yaml, and
`lab drift` finding every server changed alike; the reasons a learner reads."""

from __future__ import annotations

from pathlib import Path

from lab.authoring import Change, Drift
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "02-snowflakes"
CHECKS = load_exercise_checks(EXERCISE)

TRUE_REPORT = """\
web1:
  - file-changed /etc/motd      # chmod 666, by whom?
web2:
  - conffile-changed /etc/webapp/webapp.conf
  - file-added /etc/webapp/hotfix
web3: [package-added tree, held libwebapp]
"""


def snowflakes(tmp_path: Path, report: str | None) -> list[tuple[bool, str]]:
    if report is not None:
        (tmp_path / "report.yaml").write_text(report)
    verdicts: list[tuple[bool, str]] = CHECKS.report_names_every_drift(
        exercise_context(EXERCISE, workspace=tmp_path))
    return verdicts


def test_the_truth_is_read_from_the_hand_edits_and_holds_of_exercise_yaml() -> None:
    assert CHECKS.hand_made_changes(exercise_context(EXERCISE)) == {
        "web1": {("file-changed", "/etc/motd")},
        "web2": {("conffile-changed", "/etc/webapp/webapp.conf"),
                 ("file-added", "/etc/webapp/hotfix")},
        "web3": {("package-added", "tree"), ("held", "libwebapp")},
    }


def test_a_true_report_passes_and_words_after_kind_and_subject_are_notes(
        tmp_path: Path) -> None:
    assert snowflakes(tmp_path, TRUE_REPORT) == [
        (True, "web1: your report names the 1 change made by hand here"),
        (True, "web2: your report names the 2 changes made by hand here"),
        (True, "web3: your report names the 2 changes made by hand here"),
    ]


def test_a_missing_change_is_counted_not_named_and_an_extra_one_is_named(
        tmp_path: Path) -> None:
    report = TRUE_REPORT.replace("  - file-added /etc/webapp/hotfix\n", "").replace(
        "web1:\n", "web1:\n  - package-added webapp\n")
    web1, web2, web3 = snowflakes(tmp_path, report)
    assert web1 == (False, "web1: package-added webapp is not made by hand on web1 (on every "
                           "server alike? then it is no difference)")
    assert web2 == (False, "web2: your report names 1 of the 2 changes made by hand here "
                           "(`lab drift web2` shows them until you undo them)")
    assert web3[0]


def test_a_line_that_is_not_kind_and_subject_is_explained_on_its_server(tmp_path: Path) -> None:
    verdicts = snowflakes(tmp_path, TRUE_REPORT.replace("held libwebapp", "libwebapp is held"))
    assert verdicts[2] == (False, "web3: in report.yaml, 'libwebapp is held' is not 'KIND WHAT' "
                                  f"with a kind `lab drift` shows ({', '.join(CHECKS.KINDS)})")
    assert verdicts[0][0] and verdicts[1][0], "the other servers are still judged"


def test_the_starter_report_fails_on_every_server(tmp_path: Path) -> None:
    starter = (EXERCISES / EXERCISE / "workspace" / "report.yaml").read_text()
    assert not any(ok for ok, _ in snowflakes(tmp_path, starter))


def test_no_report_is_one_failed_verdict(tmp_path: Path) -> None:
    [(ok, reason)] = snowflakes(tmp_path, None)
    assert not ok and reason.startswith("there is no report.yaml in your workspace")


PROVISIONED = (Change("package-added", "webapp", "1.0, not in the image"),
               Change("package-added", "libwebapp", "1.0, not in the image"))
HOTFIX = Change("file-added", "/etc/webapp/hotfix", "not in the image")


def alike(**changes: tuple[Change, ...]) -> list[tuple[bool, str]]:
    drifts = [Drift(name, found) for name, found in changes.items()]
    verdicts: list[tuple[bool, str]] = CHECKS.every_server_changed_alike(
        exercise_context(EXERCISE, drift=lambda servers: drifts))
    return verdicts


def test_servers_changed_the_same_way_are_alike() -> None:
    assert alike(web1=PROVISIONED, web2=PROVISIONED, web3=PROVISIONED) == [
        (True, f"{server}: changed since its image exactly as the other servers")
        for server in ("web1", "web2", "web3")]


def test_a_change_of_one_server_or_one_it_lacks_makes_it_a_snowflake() -> None:
    assert alike(web1=PROVISIONED, web2=(*PROVISIONED, HOTFIX), web3=PROVISIONED[:1]) == [
        (True, "web1: changed since its image exactly as the other servers"),
        (False, "web2: 1 change the other servers do not have (see `lab drift`)"),
        (False, "web3: lacks 1 change the other servers have (see `lab drift`)"),
    ]
