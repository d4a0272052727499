"""10-phoenix's checks, read from hand-made records (deployments, chaos and repairs) and the
fleet's containers: chaos after the deployment, fallen servers back in time, edited servers
replaced, the fleet whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lab.authoring import CheckContext, Container, Deployment, Desired, Event, History
from tests.helpers import EXERCISES, load_exercise_checks
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


# --- repairs.yaml, and the rotation by age -------------------------------------------------

SAID = (Event(at(2), "create", "web2", "new-web2", "missing"),
        Event(at(3), "replace", "web4", "new-web4", "was exited"),
        Event(at(15), "replace", "web3", "new-web3", "drifted from its image"))
ROTATION = (Event(at(60), "replace", "web1", "new-web1", "older than 1m (made 3m ago)"),)


def accounted(tmp_path: Path, text: str | None, events: Sequence[Event] = CHAOS + SAID,
              containers: Sequence[Container] = ()) -> CheckContext:
    if text is not None:
        (tmp_path / "repairs.yaml").write_text(text)
    history = History((DEPLOYED,), tuple(events), DESIRED)
    return exercise_context(EXERCISE, workspace=tmp_path, marks={"start": START},
                            history=lambda: history, containers=lambda: list(containers))


def test_an_account_of_each_repair_and_its_reason_holds(tmp_path: Path) -> None:
    ctx = accounted(tmp_path, "web2: missing\nweb3: drifted\nweb4: stopped\n",
                    CHAOS + SAID + ROTATION)  # the rotation is no repair: not accounted for
    assert CHECKS.account_of_the_repairs(ctx) == [
        (True, "repairs.yaml names every server the loop remade, and why: web2 missing; web3 "
               "drifted; web4 stopped")]


def test_the_tutorials_victims_copied_instead_of_ones_own_fail(tmp_path: Path) -> None:
    ctx = accounted(tmp_path, "web1: missing\nweb2: missing\nweb3: drifted\n")
    assert CHECKS.account_of_the_repairs(ctx) == [
        (False, "repairs.yaml says the loop remade web1 (missing), but it did not since your "
                "last deployment: nothing broke web1, so the loop had no reason to touch it. "
                "Leave it out"),
        (False, "the loop remade web4 since your last deployment, and repairs.yaml does not "
                "say so: `lab history --json` lists each repair under events, with its "
                "reason")]


def test_a_wrong_reason_is_explained(tmp_path: Path) -> None:
    ctx = accounted(tmp_path, "web2: missing\nweb3: stopped\nweb4: stopped\n")
    assert CHECKS.account_of_the_repairs(ctx) == [
        (False, "repairs.yaml says web3 was remade because it was stopped, but the loop "
                "remade it because it was drifted: drifted, it still ran, but no longer "
                "matched its image: a hand edit")]
    [(ok, reason)] = CHECKS.account_of_the_repairs(
        accounted(tmp_path, "web2: gone\nweb3: drifted\nweb4: stopped\n"))
    assert not ok and reason == ("repairs.yaml says web2: gone; write why the loop remade it, "
                                 "in its own words: missing, stopped, drifted, wrong image")


def test_the_template_as_it_is_lists_nothing(tmp_path: Path) -> None:
    template = (EXERCISES / EXERCISE / "workspace" / "repairs.yaml").read_text()
    verdicts = CHECKS.account_of_the_repairs(accounted(tmp_path, template))
    assert [ok for ok, _ in verdicts] == [False, False, False]


def test_a_server_nothing_broke_lives_on_until_a_rotation_renews_it(tmp_path: Path) -> None:
    old_web1 = Container("web1", "lab-learner-10-phoenix-web1", "deployed-web1", IMAGE,
                         "running", START + timedelta(minutes=2))
    others = [container(server) for server in WEBS[1:]]
    [(ok, reason)] = CHECKS.fleet_renewed_after_the_chaos(
        accounted(tmp_path, None, CHAOS + SAID, [old_web1, *others]))
    assert not ok
    assert reason.startswith("web1 still runs container deployed-web, made at ")
    assert reason.endswith("before your chaos began: nothing broke it, so the loop left it "
                           "alone, and it can live on for months. Burn it down on purpose: "
                           "`lab reconcile --max-age DURATION`, with a DURATION shorter than "
                           "its age, replaces every server older than that")
    renewed = accounted(tmp_path, None, CHAOS + SAID + ROTATION,
                        [container(server) for server in WEBS])
    assert CHECKS.fleet_renewed_after_the_chaos(renewed) == [
        (True, "every server runs a container made since your chaos began; the rotation "
               "renewed web1")]


def test_a_fleet_renewed_only_by_faults_still_wants_a_rotation(tmp_path: Path) -> None:
    every = CHAOS + SAID + (Event(at(4), "create", "web1", "new-web1", "missing"),)
    [(ok, reason)] = CHECKS.fleet_renewed_after_the_chaos(
        accounted(tmp_path, None, every, [container(server) for server in WEBS]))
    assert not ok and reason.startswith("every server was remade because something broke it")
