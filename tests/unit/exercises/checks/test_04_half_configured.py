"""04-half-configured's check: each server's /version page against the webapp dpkg has."""

from __future__ import annotations

from pathlib import Path

from lab.authoring import HttpResult
from lab.authoring.testing import FakeFleet
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "04-half-configured"
CHECKS = load_exercise_checks(EXERCISE)
WEBS = ("web1", "web2", "web3", "web4", "web5")


def fleet(**pages: HttpResult | OSError) -> FakeFleet:
    fake = FakeFleet().when("dpkg-query", stdout="ii |webapp|2.0.1\n")
    fake.pages = {(server, 80, "/version"): page for server, page in pages.items()}
    return fake


def test_every_server_serving_the_installed_version_passes() -> None:
    fake = fleet(**dict.fromkeys(WEBS, HttpResult(200, "2.0.1\n")))
    assert CHECKS.page_matches_package(exercise_context(EXERCISE, fake)) == [
        (True, f"{server}: serves webapp 2.0.1, the version dpkg has installed")
        for server in WEBS]


def test_a_half_configured_server_still_serving_the_old_page_is_named() -> None:
    fake = fleet(web1=HttpResult(200, "2.0.1\n"), web2=HttpResult(200, "1.0\n"),
                 web3=ConnectionRefusedError("refused"))
    fake.when("dpkg-query", stdout="iF |webapp|2.0\n", server="web2")
    ctx = exercise_context(EXERCISE, fake, servers=WEBS[:3])
    assert CHECKS.page_matches_package(ctx) == [
        (True, "web1: serves webapp 2.0.1, the version dpkg has installed"),
        (False, "web2: the page serves version 1.0, but dpkg has webapp 2.0, half-configured "
                "(its postinst failed)"),
        (False, "web3: nothing answers GET /version on port 80 (refused)"),
    ]


def test_a_server_without_webapp_says_so() -> None:
    fake = fleet(**dict.fromkeys(WEBS, HttpResult(200, "2.0.1\n")))
    fake.when("dpkg-query", exit_code=1, server="web3",
              stderr="dpkg-query: no packages found matching webapp\n")
    verdicts = CHECKS.page_matches_package(exercise_context(EXERCISE, fake))
    assert verdicts[2] == (False, "web3: webapp is not installed")


# --- why.txt: judged against each server's apt log ----------------------------------------

HEALTHY_LOG = """
Log started: 2026-12-04  18:54:08
Preparing to unpack .../archives/webapp_2.0_all.deb ...
Unpacking webapp (2.0) over (1.0) ...
Setting up webapp (2.0) ...
Log ended: 2026-12-04  18:54:08
"""
FAILED_LOG = """
Log started: 2026-12-04  18:54:08
Unpacking webapp (2.0) over (1.0) ...
Setting up webapp (2.0) ...
webapp 2.0: /etc/webapp/hotfix exists (a change made by hand); refusing to configure
dpkg: error processing package webapp (--configure):
 installed webapp package post-installation script subprocess returned error exit status 1
Errors were encountered while processing:
 webapp
Log ended: 2026-12-04  18:54:08
"""
REAL_REPORT = ("# apt's log on each server\n"
               "web2: its postinst refused: /etc/webapp/hotfix exists\n"
               "web4: /etc/webapp/hotfix, a change made by hand\n")


def logged_fleet() -> FakeFleet:
    fake = FakeFleet().when("term.log", stdout=HEALTHY_LOG)
    for server in ("web2", "web4"):
        fake.when("term.log", stdout=FAILED_LOG + HEALTHY_LOG.replace("2.0", "2.0.1"),
                  server=server)
    return fake


def judge(tmp_path: Path, report: str | None) -> list[tuple[bool, str]]:
    if report is not None:
        (tmp_path / "why.txt").write_text(report)
    ctx = exercise_context(EXERCISE, logged_fleet(), workspace=tmp_path)
    return list(CHECKS.report_explains_the_failure(ctx))


def test_the_postinst_reason_is_read_from_apt_log_and_outlives_the_fix() -> None:
    assert CHECKS.postinst_refusal(FAILED_LOG + HEALTHY_LOG) == (
        "webapp 2.0: /etc/webapp/hotfix exists (a change made by hand); refusing to configure")
    assert CHECKS.postinst_refusal(HEALTHY_LOG) is None
    assert CHECKS.postinst_refusal("") is None


def test_the_report_naming_the_servers_and_the_file_passes(tmp_path: Path) -> None:
    assert judge(tmp_path, REAL_REPORT) == [
        (True, "why.txt: web2, web4 were left half-configured, and why, as their apt logs say")]


def test_the_tutorials_words_without_the_logs_reason_fail_and_say_where_to_read(
        tmp_path: Path) -> None:
    verdicts = judge(tmp_path, "web2: postinst failed, state iF (half-configured)\n"
                               "web4: dpkg --audit says only half configured\n")
    assert verdicts[0] == (
        False, "why.txt, web2: you wrote 'postinst failed, state iF (half-configured)', which "
               "does not name what stopped its postinst; the line it printed just before "
               "`dpkg: error processing package webapp` does "
               "(`lab run -s web2 -- tail -n 6 /var/log/apt/term.log`)")
    assert len(verdicts) == 2 and not verdicts[1][0]


def test_a_healthy_server_named_and_a_broken_one_missed_are_both_told(tmp_path: Path) -> None:
    assert judge(tmp_path, "web1: /etc/webapp/hotfix\nweb2: /etc/webapp/hotfix\n") == [
        (False, "why.txt, web1: apt's log shows no failed postinst there, so the rollout "
                "finished on it (`lab run -s web1 -- tail /var/log/apt/term.log`)"),
        (False, "why.txt, 1 more server was left half-configured: apt's log shows the "
                "postinst failing there too (`lab run --all -- tail -n 6 "
                "/var/log/apt/term.log`)"),
    ]


def test_an_empty_missing_or_malformed_report_says_what_to_write(tmp_path: Path) -> None:
    starter = EXERCISES / EXERCISE / "workspace" / "why.txt"
    assert judge(tmp_path, starter.read_text()) == [
        (False, "why.txt names no server yet: write a line `SERVER: why` for each server the "
                "rollout left half-configured")]
    assert judge(tmp_path, "web9: the hotfix\n") == [
        (False, "why.txt, line 1: 'web9: the hotfix' is not `SERVER: why`, with SERVER one of "
                "web1, web2, web3, web4, web5")]
    (tmp_path / "why.txt").unlink()
    verdict = judge(tmp_path, None)
    assert not verdict[0][0] and "there is no why.txt in your workspace" in verdict[0][1]
