"""The custom checks of 02-snowflakes, 03-the-99-percent-upgrade and 04-half-configured, on
scripted servers and logs: what they accept, and the reasons a learner reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import drift
from lab.checks.base import CheckContext
from lab.checks.executor import HttpResult
from lab.repo.specs import PackageRef
from lab.settings import Settings
from tests.helpers import load_exercise_checks
from tests.unit.checks.fakes import FakeExecutor

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
THREE = ["web1", "web2", "web3"]
EIGHT = [f"web{number}" for number in range(1, 9)]
SETTINGS = Settings(home=Path("/nonexistent"), student="learner")  # never used: faked away




SNOWFLAKES = load_exercise_checks("02-snowflakes")
UPGRADE = load_exercise_checks("03-the-99-percent-upgrade")
HALF = load_exercise_checks("04-half-configured")


# --- 02: the report against exercise.yaml's hand edits ------------------------------------

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
    context = CheckContext(EXERCISES / "02-snowflakes", workspace=tmp_path)
    verdicts: list[tuple[bool, str]] = SNOWFLAKES.report_names_every_drift(
        FakeExecutor(), THREE, context)
    return verdicts


def test_the_truth_is_read_from_the_hand_edits_and_holds_of_exercise_yaml() -> None:
    assert SNOWFLAKES.hand_made_changes(EXERCISES / "02-snowflakes") == {
        "web1": {("file-changed", "/etc/motd")},
        "web2": {("conffile-changed", "/etc/webapp/webapp.conf"),
                 ("file-added", "/etc/webapp/hotfix")},
        "web3": {("package-added", "tree"), ("held", "libwebapp")},
    }


def test_a_true_report_passes_and_words_after_kind_and_subject_are_notes(
        tmp_path: Path) -> None:
    assert all(ok for ok, _ in snowflakes(tmp_path, TRUE_REPORT))


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
                                  f"with a kind `lab drift` shows ({', '.join(SNOWFLAKES.KINDS)})")
    assert verdicts[0][0] and verdicts[1][0], "the other servers are still judged"


def test_the_starter_report_fails_on_every_server(tmp_path: Path) -> None:
    starter = (EXERCISES / "02-snowflakes" / "workspace" / "report.yaml").read_text()
    assert not any(ok for ok, _ in snowflakes(tmp_path, starter))


def test_no_report_is_one_failed_verdict(tmp_path: Path) -> None:
    [(ok, reason)] = snowflakes(tmp_path, None)
    assert not ok and reason.startswith("there is no report.yaml in your workspace")


# --- 02: every server changed alike -------------------------------------------------------

PROVISIONED = (drift.Finding(drift.Kind.PACKAGE_ADDED, "webapp", "1.0, not in the image"),
               drift.Finding(drift.Kind.PACKAGE_ADDED, "libwebapp", "1.0, not in the image"))
HOTFIX = drift.Finding(drift.Kind.FILE_ADDED, "/etc/webapp/hotfix", "not in the image")


def fleet(**findings: tuple[drift.Finding, ...]) -> drift.FleetDrift:
    return drift.FleetDrift("02-snowflakes", tuple(
        drift.ServerDrift(drift.Server(name, f"{name}-id", "server", "sha256:1"), found)
        for name, found in findings.items()))


def alike(monkeypatch: pytest.MonkeyPatch, result: drift.FleetDrift) -> list[tuple[bool, str]]:
    monkeypatch.setattr(SNOWFLAKES.drift, "fleet_drift", lambda settings, servers: result)
    context = CheckContext(EXERCISES / "02-snowflakes", settings=SETTINGS)
    verdicts: list[tuple[bool, str]] = SNOWFLAKES.every_server_changed_alike(
        FakeExecutor(), THREE, context)
    return verdicts


def test_servers_changed_the_same_way_are_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    verdicts = alike(monkeypatch, fleet(web1=PROVISIONED, web2=PROVISIONED, web3=PROVISIONED))
    assert all(ok for ok, _ in verdicts)


def test_a_change_of_one_server_or_one_it_lacks_makes_it_a_snowflake(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verdicts = alike(monkeypatch, fleet(web1=PROVISIONED, web2=(*PROVISIONED, HOTFIX),
                                        web3=PROVISIONED[:1]))
    assert verdicts == [
        (True, "web1: changed since its image exactly as the other servers"),
        (False, "web2: 1 change the other servers do not have (see `lab drift`)"),
        (False, "web3: lacks 1 change the other servers have (see `lab drift`)"),
    ]


# --- 03: where the rollout left each server -----------------------------------------------

WEBAPP_2 = "/pool/webapp_2.0_all.deb"


def log(*lines: str) -> list[object]:
    parsed: list[object] = UPGRADE.parse_access_log(
        "".join(f"172.18.0.9 {line} 2026-01-01T00:00:00+00:00\n" for line in lines))
    return parsed


ONE_AT_A_TIME = log(
    *(f"web{n} {status} {path}" for n in range(1, 6)
      for status, path in (("304", "/Release"), ("200", WEBAPP_2))),
    "web6 444 /InRelease", "web6 444 /InRelease", f"web6 444 {WEBAPP_2}",
    # After `lab repo heal`: the rollout again, which must not change the story.
    *(f"web{n} 200 {WEBAPP_2}" for n in range(6, 9)),
)


def test_the_outcomes_follow_the_order_the_repository_answered_in() -> None:
    outcomes = UPGRADE.rollout_outcomes(ONE_AT_A_TIME, EIGHT, PackageRef("webapp", "2.0"))
    assert outcomes == {**{f"web{n}": "upgraded" for n in range(1, 6)},
                        "web6": "failed", "web7": "untouched", "web8": "untouched"}


def test_a_script_that_carries_on_makes_every_later_server_failed() -> None:
    requests = log(f"web1 200 {WEBAPP_2}", f"web2 444 {WEBAPP_2}", "web3 444 /InRelease",
                   f"web3 444 {WEBAPP_2}")
    outcomes = UPGRADE.rollout_outcomes(requests, THREE, PackageRef("webapp", "2.0"))
    assert outcomes == {"web1": "upgraded", "web2": "failed", "web3": "failed"}


def test_without_a_refused_request_there_is_no_rollout_to_judge() -> None:
    requests = log(*(f"web{n} 200 {WEBAPP_2}" for n in range(1, 9)))
    assert UPGRADE.rollout_outcomes(requests, EIGHT, PackageRef("webapp", "2.0")) is None


def test_only_the_watched_package_counts() -> None:
    assert UPGRADE.is_deb_of("/pool/webapp_2.0_all.deb", PackageRef("webapp", "2.0"))
    assert not UPGRADE.is_deb_of("/pool/webapp_2.0.1_all.deb", PackageRef("webapp", "2.0"))
    assert not UPGRADE.is_deb_of("/pool/libwebapp_2.0_all.deb", PackageRef("webapp", "2.0"))


def rollout_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   report: str) -> list[tuple[bool, str]]:
    (tmp_path / "report.yaml").write_text(report)
    monkeypatch.setattr(UPGRADE, "access_log", lambda settings: ONE_AT_A_TIME)
    context = CheckContext(EXERCISES / "03-the-99-percent-upgrade", workspace=tmp_path,
                           settings=SETTINGS)
    verdicts: list[tuple[bool, str]] = UPGRADE.report_matches_the_rollout(
        FakeExecutor(), EIGHT, context)
    return verdicts


def test_a_wrong_word_is_answered_with_the_repositorys_evidence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = "".join(f"web{n}: upgraded\n" for n in range(1, 6)) + \
        "web6: untouched\nweb7: broken\n"
    verdicts = rollout_report(tmp_path, monkeypatch, report)
    assert all(ok for ok, _ in verdicts[:5])
    assert verdicts[5:] == [
        (False, "web6: your report says untouched, but it asked for webapp 2.0 during the "
                "outage and the repository refused it"),
        (False, "web7: your report says 'broken'; write one of upgraded, failed, untouched"),
        (False, "web8: your report says nothing; write one of upgraded, failed, untouched"),
    ]


def test_the_starter_report_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    starter = EXERCISES / "03-the-99-percent-upgrade" / "workspace" / "report.yaml"
    verdicts = rollout_report(tmp_path, monkeypatch, starter.read_text())
    assert not any(ok for ok, _ in verdicts)


# --- 04: the page each server serves against dpkg -----------------------------------------


def test_a_half_configured_server_still_serving_the_old_page_is_named() -> None:
    fake = (FakeExecutor().when("dpkg-query", stdout="ii  2.0.1")
            .when("dpkg-query", stdout="iF  2.0", server="web2"))
    fake.pages = {("web1", 80, "/version"): HttpResult(200, "2.0.1\n"),
                  ("web2", 80, "/version"): HttpResult(200, "1.0\n"),
                  ("web3", 80, "/version"): ConnectionRefusedError("refused")}
    assert HALF.page_matches_package(fake, THREE) == [
        (True, "web1: serves webapp 2.0.1, the version dpkg has installed"),
        (False, "web2: the page serves version 1.0, but dpkg has webapp 2.0, half-configured "
                "(its postinst failed)"),
        (False, "web3: nothing answers GET /version on port 80 (refused)"),
    ]
