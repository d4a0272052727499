"""13-blue-green's checks on hand-made deployment records and a fake fleet: which story counts
as a switch and a switch back, the decision made from green's error rate as the learner read
it, a switch's lost requests told from green's own HTTP 500s, the fleet back on blue's own
containers, and an entry written through green read through the load balancer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lab.checks.context import CheckContext
from lab.checks.executor import HttpResult
from lab.checks.host import Host
from lab.checks.records import Deployment, History
from lab.checks.views import Container, Image
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.checks.fakes import FakeExecutor
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "13-blue-green"
CHECKS = load_exercise_checks(EXERCISE)
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
BLUE_IMAGE = "sha256:" + "1" * 64
STARTER = EXERCISES / EXERCISE / "workspace"


def deployment(number: int, strategy: str, kind: str = "deploy", result: str = "succeeded",
               **summary: object) -> Deployment:
    return Deployment(number, kind, f"lab-learner/app:v{number}",
                      BLUE_IMAGE if number != 2 else "sha256:" + "2" * 64, strategy,
                      START + timedelta(minutes=number),
                      START + timedelta(minutes=number, seconds=4), result,
                      summary={"requests": 200, **summary} if summary else None)


BLUE, GREEN = deployment(1, "rolling"), deployment(2, "blue-green")
BACK = deployment(3, "switch back", kind="rollback", rollback_seconds=0.25,
                  failed_by_status={"500": 3}, lost_near_changes=0)


def test_a_switch_to_green_and_a_switch_back_is_the_story() -> None:
    assert CHECKS.the_switches([BLUE, GREEN, BACK]) == (GREEN, BACK)


def test_what_is_missing_from_the_story() -> None:
    assert "no blue/green deployment" in CHECKS.the_switches([BLUE])
    assert "nothing switched back yet: `lab rollback`" in CHECKS.the_switches([BLUE, GREEN])
    redeployed = deployment(3, "rolling", kind="rollback")
    assert "deployed lab-learner/app:v3 afresh" in CHECKS.the_switches(
        [BLUE, GREEN, redeployed])
    failed = deployment(2, "blue-green", result="failed")
    assert "blue/green deployment #2 failed" in CHECKS.the_switches([BLUE, failed])


def test_green_s_own_errors_are_not_the_switch_s() -> None:
    clean = deployment(2, "blue-green", failed=12, failed_by_status={"500": 12},
                       lost_near_changes=0)
    ok, reason = CHECKS.lost_in(clean, "the switch to green")
    assert ok, reason
    assert "green itself answered 12 of 200 requests with HTTP 500" in reason


def test_a_request_lost_around_a_switch_fails_it() -> None:
    lossy = deployment(3, "switch back", failed=5, failed_by_status={"502": 3, "500": 2},
                       lost_near_changes=3)
    ok, reason = CHECKS.lost_in(lossy, "the switch back")
    assert not ok
    assert "3 request(s) went unanswered or met the balancer's error" in reason
    assert "HTTP 500: 2, HTTP 502: 3" in reason
    assert not CHECKS.lost_in(deployment(3, "switch back"), "the switch back")[0]


def blue(server: str, minutes: float = 0.5, image_id: str = BLUE_IMAGE) -> Container:
    return Container(server, f"lab-learner-13-blue-green-{server}", f"{server}-blue-id",
                     image_id, "running", START + timedelta(minutes=minutes))


def context(containers: list[Container], standby: tuple[str, ...] = (),
            balancer: Host | None = None, **more: Any) -> CheckContext:
    history = History((BLUE, GREEN, BACK), standby=standby)
    return exercise_context(EXERCISE, marks={"start": START}, history=lambda: history,
                            containers=lambda: containers, balancer=lambda: balancer, **more)


def test_the_fleet_on_blue_s_own_containers_holds() -> None:
    verdicts = CHECKS.ends_on_blue(context([blue("web1"), blue("web2"), blue("web3")]))
    assert verdicts[0] == (True, "web1 is blue's own container (web1-blue-id, made "
                                 f"{blue('web1').created:%H:%M:%S}), on lab-learner/app:v3")
    assert all(ok for ok, _ in verdicts)


def test_a_new_container_or_a_standby_left_behind_fails() -> None:
    late = blue("web2", minutes=2.5)
    leftover = Container("web1", "lab-learner-13-blue-green-web1-green", "g", BLUE_IMAGE,
                         "running", START, standby=True)
    verdicts = CHECKS.ends_on_blue(context([blue("web1"), late, leftover], standby=("g",)))
    assert verdicts[1] == (False, f"web2 is a container made at {late.created:%H:%M:%S}, after "
                                  "the switch to green began: not blue's own. A switch back "
                                  "keeps blue's containers; a new deployment replaces them")
    assert verdicts[2] == (False, "web3 is not running: `lab status` shows the fleet")
    assert verdicts[3] == (False, "an environment is still on standby "
                                  "(lab-learner-13-blue-green-web1-green): the switch back "
                                  "removes green")


def entries(*names_and_times: tuple[str, datetime]) -> str:
    return json.dumps([{"name": name, "type": "file",
                        "mtime": moment.strftime("%a, %d %b %Y %H:%M:%S GMT")}
                       for name, moment in names_and_times])


@dataclass
class Balancer(FakeExecutor):
    """The load balancer's guestbook: a listing of entries, and what each read answers."""

    listing: str = "[]"
    reads: list[HttpResult] = field(default_factory=list)

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        return HttpResult(200, self.listing) if path == "/entries/" else self.reads.pop(0)


def balancer(listing: str, reads: list[HttpResult]) -> Host:
    return Host("lb", Balancer(listing=listing, reads=reads))


def test_an_entry_written_through_green_is_read_through_blue_even_after_a_500() -> None:
    written = START + timedelta(minutes=2, seconds=30)
    lb = balancer(entries(("old", START), ("ada", written)),
                  [HttpResult(500, "oops"), HttpResult(200, "Hello from Ada\n")])
    assert CHECKS.entry_from_green_survives(context([], balancer=lb)) == (
        True, "the entry 'ada' ('Hello from Ada'), written through green, is read through the "
              "load balancer from blue: the data lives outside both colours")


def test_no_entry_from_green_s_time_says_how_to_write_one() -> None:
    ok, reason = CHECKS.entry_from_green_survives(
        context([], balancer=balancer(entries(("old", START)), [])))
    assert not ok
    assert reason.startswith("no entry written between the switch to green")
    assert "keep the entries in a named volume (`--volume guestbook:/var/lib/guestbook`)" in reason
    assert CHECKS.entry_from_green_survives(context([])) == (
        False, "the load balancer is not running: `lab start` brings it back")


# --- the decision, from green's error rate -------------------------------------------------

# Green: 11 HTTP 500s and 47 answers of 2.2 during the switch to green (19.0 %); 10 and 54
# during the switch back (15.6 %); 17.2 % over both. 11 of all 194 requests is 5.7 %.
SEEN_GREEN = deployment(2, "blue-green", requests=194, failed=11, failed_by_status={"500": 11},
                        versions={"2.0": 136, "2.2": 47})
SEEN_BACK = deployment(3, "switch back", kind="rollback", failed_by_status={"500": 10},
                       versions={"2.2": 54, "2.0": 116}, rollback_seconds=0.3)


def decided(tmp_path: Path, text: str, labelled: bool = True) -> tuple[bool, str]:
    (tmp_path / "decision.yaml").write_text(text)
    history = History((BLUE, SEEN_GREEN, SEEN_BACK))
    blue_image = Image(BLUE_IMAGE, "lab-learner/app:v1",
                       labels={"version": "2.0"} if labelled else {})
    ctx = exercise_context(EXERCISE, workspace=tmp_path, marks={"start": START},
                           history=lambda: history,
                           image=lambda ref: blue_image if ref == BLUE_IMAGE else None)
    return CHECKS.decided_from_green_s_errors(ctx)


def test_green_s_error_rate_read_from_the_probe_and_a_switch_back_hold(tmp_path: Path) -> None:
    ok, reason = decided(tmp_path, "green_error_rate: 19\ndecision: switch back\n")
    assert (ok, reason) == (True, "you read green's error rate as 19 % (the probe measured "
                                  "19.0 %) and decided to switch back: evidence from real "
                                  "traffic, not from the health check")
    assert decided(tmp_path, "green_error_rate: 15.6 %\ndecision: Switch  back\n")[0]
    # Without blue's version label, the first version the probe heard is blue's.
    assert decided(tmp_path, "green_error_rate: 17\ndecision: switch back\n", labelled=False)[0]


def test_a_rate_over_every_request_is_not_green_s(tmp_path: Path) -> None:
    ok, reason = decided(tmp_path, "green_error_rate: 5.7\ndecision: switch back\n")
    assert not ok
    assert reason.startswith("green_error_rate is 5.7 %: that is the failures over every "
                             "request the probe sent, blue's answers included")


def test_a_rate_not_read_from_the_probe_fails_without_giving_it_away(tmp_path: Path) -> None:
    ok, reason = decided(tmp_path, "green_error_rate: 30\ndecision: switch back\n")
    assert not ok
    assert reason.startswith("green_error_rate is 30 %, which is not what the probe measured "
                             "for green in deployment #2 or in the switch back")
    assert not any(figure in reason for figure in ("19", "15.6", "17.2"))


def test_keeping_a_green_that_fails_one_request_in_five_fails(tmp_path: Path) -> None:
    ok, reason = decided(tmp_path, "green_error_rate: 19\ndecision: keep green\n")
    assert not ok
    assert reason.startswith("you read green's error rate as 19 % and decided to keep it: "
                             "about one request in 5 failing, for every user")


def test_the_starter_decision_asks_for_a_reading(tmp_path: Path) -> None:
    ok, reason = decided(tmp_path, (STARTER / "decision.yaml").read_text())
    assert not ok
    assert reason.startswith("decision.yaml: green_error_rate is not a percentage yet: read "
                             "the probe's summary of your switch to green")
