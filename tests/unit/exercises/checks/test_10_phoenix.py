"""10-phoenix's checks, read from hand-made records (deployments, chaos and repairs) and the
fleet's containers: chaos after the deployment, fallen servers back in time, edited servers
replaced, the fleet whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from lab.authoring import CheckContext, Container, Deployment, Desired, Event, History
from tests.helpers import load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "10-phoenix"
CHECKS = load_exercise_checks(EXERCISE)
WEBS = ("web1", "web2", "web3", "web4")
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
IMAGE = "sha256:" + "a" * 64
DEPLOYED = Deployment(1, "deploy", "lab-learner/app:v2", IMAGE, "one-at-a-time",
                      START + timedelta(minutes=1), START + timedelta(minutes=2), "succeeded")
DESIRED = Desired("lab-learner/app:v2", IMAGE, WEBS)


def at(seconds: float) -> datetime:
    return START + timedelta(minutes=3, seconds=seconds)


CHAOS = (Event(at(0), "kill", "web2", "old-web2"), Event(at(0), "stop", "web4", "old-web4"),
         Event(at(10), "edit", "web3", "old-web3"))
REPAIRS = (Event(at(2), "create", "web2", "new-web2"), Event(at(3), "create", "web4", "new-web4"),
           Event(at(15), "replace", "web3", "new-web3"))


def container(server: str, image_id: str = IMAGE, state: str = "running") -> Container:
    return Container(server, f"lab-learner-10-phoenix-{server}", f"new-{server}", image_id,
                     state, START)


def context(events: Sequence[Event], containers: Sequence[Container] = (),
            deployments: Sequence[Deployment] = (DEPLOYED,)) -> CheckContext:
    history = History(tuple(deployments), tuple(events), DESIRED if deployments else None)
    return exercise_context(EXERCISE, marks={"start": START}, history=lambda: history,
                            containers=lambda: list(containers))


def test_chaos_answered_by_the_loop_holds_every_goal() -> None:
    ctx = context(CHAOS + REPAIRS, [container(server) for server in WEBS])
    assert CHECKS.chaos_after_deployment(ctx) == [
        (True, "2 servers taken down and 1 changed by hand since your last deployment")]
    back = CHECKS.fallen_servers_came_back(ctx)
    assert [ok for ok, _ in back] == [True, True]
    assert back[0][1].startswith("web2 (killed at ") and back[0][1].endswith(
        "was back, healthy, 2.0 s later")
    assert CHECKS.edited_servers_were_replaced(ctx) == [
        (True, "web3 runs a new container (new-web3) in place of the one changed by hand")]
    assert CHECKS.fleet_is_whole(ctx) == [
        (True, "all 4 servers run lab-learner/app:v2 (aaaaaaaaaaaa), and no other container "
               "does")]


def test_before_any_deployment_every_goal_says_to_deploy_first() -> None:
    ctx = context(CHAOS, deployments=())
    assert CHECKS.chaos_after_deployment(ctx) == [
        (False, "nothing was deployed since the servers started: `lab build v2`, then "
                "`lab deploy v2`")]
    assert CHECKS.fleet_is_whole(ctx) == [
        (False, "nothing was deployed yet, so there is no desired state: `lab build v2`, "
                "then `lab deploy v2`")]


def test_a_slow_repair_and_a_repaired_server_fail() -> None:
    slow = (Event(at(90), "create", "web2", "new-web2"), REPAIRS[1])
    ctx = context(CHAOS + slow, [container(server) for server in WEBS[:2]]
                  + [Container("web3", "c", "old-web3", IMAGE, "running", START),
                     container("web4")])
    [(late, reason), (quick, _)] = CHECKS.fallen_servers_came_back(ctx)
    assert (late, quick) == (False, True)
    assert "was back only 90.0 s later; a loop that watches notices within seconds" in reason
    assert CHECKS.edited_servers_were_replaced(ctx) == [
        (False, "web3 still runs the container that was changed by hand (old-web3): the loop "
                "replaces a drifted server, so let `lab reconcile` do it, and repair nothing "
                "by hand")]


def test_a_fleet_that_is_not_whole_names_each_problem() -> None:
    ctx = context(CHAOS + REPAIRS, [container("web1"), container("web2", state="exited"),
                                    container("web3", image_id="sha256:" + "b" * 64)])
    assert CHECKS.fleet_is_whole(ctx) == [
        (False, "web2 is exited: `lab reconcile` makes the fleet match the desired state"),
        (False, "web3 runs image bbbbbbbbbbbb, not the desired aaaaaaaaaaaa: `lab reconcile` "
                "makes the fleet match the desired state"),
        (False, "web4 is missing: `lab reconcile` makes the fleet match the desired state"),
    ]
