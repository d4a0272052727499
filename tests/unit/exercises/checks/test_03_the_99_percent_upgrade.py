"""03-the-99-percent-upgrade's check: the learner's report of where the rollout left each
server, against the order in which the repository answered (its access log)."""

from __future__ import annotations

from pathlib import Path

from lab.authoring import Request
from lab.checking.sources import parse_access_log
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "03-the-99-percent-upgrade"
CHECKS = load_exercise_checks(EXERCISE)
THREE = ["web1", "web2", "web3"]
EIGHT = [f"web{number}" for number in range(1, 9)]
WEBAPP_2 = "/pool/webapp_2.0_all.deb"


def log(*lines: str) -> list[Request]:
    return parse_access_log(
        "".join(f"172.18.0.9 {line} 2026-01-01T00:00:00+00:00\n" for line in lines))


ONE_AT_A_TIME = log(
    *(f"web{n} {status} {path}" for n in range(1, 6)
      for status, path in (("304", "/Release"), ("200", WEBAPP_2))),
    "web6 444 /InRelease", "web6 444 /InRelease", f"web6 444 {WEBAPP_2}",
    # After `lab repo heal`: the rollout again, which must not change the story.
    *(f"web{n} 200 {WEBAPP_2}" for n in range(6, 9)),
)


def test_the_watched_package_is_the_one_whose_download_takes_the_repository_down() -> None:
    assert CHECKS.watched_package(exercise_context(EXERCISE)) == ("webapp", "2.0")


def test_the_outcomes_follow_the_order_the_repository_answered_in() -> None:
    outcomes = CHECKS.rollout_outcomes(ONE_AT_A_TIME, EIGHT, ("webapp", "2.0"))
    assert outcomes == {**{f"web{n}": "upgraded" for n in range(1, 6)},
                        "web6": "failed", "web7": "untouched", "web8": "untouched"}


def test_a_script_that_carries_on_makes_every_later_server_failed() -> None:
    requests = log(f"web1 200 {WEBAPP_2}", f"web2 444 {WEBAPP_2}", "web3 444 /InRelease",
                   f"web3 444 {WEBAPP_2}", "web3 200 /pool/libwebapp_2.0_all.deb")
    outcomes = CHECKS.rollout_outcomes(requests, THREE, ("webapp", "2.0"))
    assert outcomes == {"web1": "upgraded", "web2": "failed", "web3": "failed"}


def rollout_report(tmp_path: Path, report: str | None,
                   requests: list[Request] = ONE_AT_A_TIME) -> list[tuple[bool, str]]:
    if report is not None:
        (tmp_path / "report.yaml").write_text(report)
    ctx = exercise_context(EXERCISE, workspace=tmp_path, repository_log=lambda: requests)
    verdicts: list[tuple[bool, str]] = CHECKS.report_matches_the_rollout(ctx)
    return verdicts


def test_a_true_report_passes_with_the_repository_s_evidence(tmp_path: Path) -> None:
    report = "".join(f"web{n}: upgraded\n" for n in range(1, 6)) + \
        "web6: failed\nweb7: untouched\nweb8: untouched\n"
    verdicts = rollout_report(tmp_path, report)
    assert all(ok for ok, _ in verdicts)
    assert verdicts[5] == (True, "web6: failed: it asked for webapp 2.0 during the outage and "
                                 "the repository refused it")


def test_a_wrong_word_is_answered_with_the_repository_s_evidence(tmp_path: Path) -> None:
    report = "".join(f"web{n}: upgraded\n" for n in range(1, 6)) + \
        "web6: untouched\nweb7: broken\n"
    verdicts = rollout_report(tmp_path, report)
    assert all(ok for ok, _ in verdicts[:5])
    assert verdicts[5:] == [
        (False, "web6: your report says untouched, but it asked for webapp 2.0 during the "
                "outage and the repository refused it"),
        (False, "web7: your report says 'broken'; write one of upgraded, failed, untouched"),
        (False, "web8: your report says nothing; write one of upgraded, failed, untouched"),
    ]


def test_the_starter_report_fails(tmp_path: Path) -> None:
    starter = EXERCISES / EXERCISE / "workspace" / "report.yaml"
    assert not any(ok for ok, _ in rollout_report(tmp_path, starter.read_text()))


def test_before_the_outage_there_is_nothing_to_report_on(tmp_path: Path) -> None:
    [(ok, reason)] = rollout_report(tmp_path, None, log(f"web1 200 {WEBAPP_2}"))
    assert not ok
    assert reason.startswith("the repository has not dropped out yet, so there is no rollout "
                             "to report on: run `python fabfile.py` first")
