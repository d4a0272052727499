"""02-snowflakes' checks: the learner's report against the hand edits of exercise.yaml, and
`lab drift` finding every server back at its baseline; the reasons a learner reads."""

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


PROVISIONED = (Change("package-added", "webapp", "1.0, not in the image",
                      "webapp installed"),
               Change("package-added", "libwebapp", "1.0, not in the image",
                      "libwebapp installed"))
HOTFIX = Change("file-added", "/etc/webapp/hotfix", "not in the image",
                "/etc/webapp/hotfix added")
MOTD = Change("file-changed", "/etc/motd", "mode 644 → 666", "/etc/motd mode 644 → 666")
TREE = Change("package-added", "tree", "2.1.0-1, not in the image", "tree installed")
AGREED = ("the servers agree on {} instead of on their baseline. Undo {} on every server; "
          "`lab drift` compares each server with its image, not with the others")


def baseline(**changes: tuple[Change, ...]) -> list[tuple[bool, str]]:
    drifts = [Drift(name, found) for name, found in changes.items()]
    verdicts: list[tuple[bool, str]] = CHECKS.every_server_at_its_baseline(
        exercise_context(EXERCISE, drift=lambda servers: drifts))
    return verdicts


def test_the_baseline_is_what_provisioning_installed_from_the_lab_repository() -> None:
    assert CHECKS.provisioned(exercise_context(EXERCISE)) == {
        ("package-added", "webapp"), ("package-added", "libwebapp")}


def test_servers_with_only_the_provisioning_are_at_their_baseline() -> None:
    assert baseline(web1=PROVISIONED, web2=PROVISIONED[::-1], web3=PROVISIONED) == [
        (True, f"{server}: back at its baseline, the image plus the lab's provisioning")
        for server in ("web1", "web2", "web3")]


def test_a_change_beyond_the_baseline_or_a_missing_package_keeps_a_server_a_snowflake() -> None:
    assert baseline(web1=PROVISIONED, web2=(*PROVISIONED, HOTFIX), web3=PROVISIONED[:1]) == [
        (True, "web1: back at its baseline, the image plus the lab's provisioning"),
        (False, "web2: 1 change beyond its baseline (the image plus the lab's provisioning): "
                "still a snowflake (see `lab drift web2`)"),
        (False, "web3: lacks 1 change the lab's provisioning made (package-added libwebapp) "
                "(see `lab drift web3`)"),
    ]


def test_a_change_on_two_of_three_servers_is_undone_not_spread() -> None:
    """The majority does not make a hand change right: web3, without it, is fine."""
    verdicts = baseline(web1=(*PROVISIONED, MOTD), web2=(*PROVISIONED, MOTD), web3=PROVISIONED)
    assert [ok for ok, _ in verdicts] == [False, False, True]


def test_servers_made_alike_by_spreading_hand_changes_fail_and_are_told_why() -> None:
    spread = (*PROVISIONED, MOTD, TREE)
    assert baseline(web1=spread, web2=spread, web3=spread) == [(False, (
        "web1, web2, web3 are alike, but every one has 2 changes that neither the image nor "
        "the lab's provisioning made (/etc/motd mode 644 → 666, tree installed): "
        + AGREED.format("hand changes", "them")))]


def test_a_shared_hand_change_beside_a_snowflake_is_named_once_and_the_snowflake_counted(
        ) -> None:
    verdicts = baseline(web1=(*PROVISIONED, MOTD), web2=(*PROVISIONED, MOTD, HOTFIX),
                        web3=(*PROVISIONED, MOTD))
    assert verdicts == [
        (False, "web1, web2, web3 all have 1 change that neither the image nor the lab's "
                "provisioning made (/etc/motd mode 644 → 666): "
                + AGREED.format("a hand change", "it")),
        (False, "web2: 1 change beyond its baseline (the image plus the lab's provisioning): "
                "still a snowflake (see `lab drift web2`)"),
    ]


def test_the_readme_quotes_the_reasons_the_check_gives() -> None:
    readme = (EXERCISES / EXERCISE / "README.md").read_text()
    [(_, web3)] = [verdict for verdict in baseline(web1=PROVISIONED, web2=PROVISIONED,
                                                   web3=(*PROVISIONED, TREE)) if not verdict[0]]
    spread = (*PROVISIONED, MOTD)
    [(_, agreed)] = baseline(web1=spread, web2=spread, web3=spread)
    assert f"\n    {web3}\n" in readme
    assert f"\n    {agreed}\n" in readme
