"""`lab reconcile --max-age`: the duration as written, which servers are old enough to be
replaced, and the rotation on a fake engine behind a load balancer, one server at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab.deploy.reconcile import Reconciler, parse_age, too_old
from lab.deploy.state import Desired, StateStore
from lab.docker.containers import ContainerInfo
from lab.errors import UsageError
from lab.settings import Settings
from tests.helpers import assert_one_line_error, run_lab
from tests.unit.deploy.fake_engine import FakeEngine, start

GOOD = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
EXERCISE = "12-deployment-strategies"  # four servers behind a load balancer
SERVERS = ("web1", "web2", "web3", "web4")


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1.5m", 90),
    (" 10M ", 600),
])
def test_a_duration_is_a_number_and_a_unit(text: str, seconds: float) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "10x", "-5m", "m", "10 m", "5m and more"])
def test_anything_else_is_refused_in_one_line_saying_how_to_write_it(text: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_age(text)
    assert refused.value.line() == (f"--max-age {text!r} is not a duration. Write a number and "
                                    "a unit (s, m, h or d), like 90s, 10m or 2h.")


def test_a_maximum_age_of_nothing_is_refused_too() -> None:
    with pytest.raises(UsageError) as refused:
        parse_age("0m")
    assert refused.value.line() == ("--max-age '0m' is no age at all: every server would be "
                                    "replaced at every pass. Give a duration longer than 0, "
                                    "like 90s.")


def test_the_command_refuses_a_bad_duration_before_asking_the_engine() -> None:
    result = run_lab("reconcile", "--max-age", "ten minutes",
                     env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    line = assert_one_line_error(result, exit_code=3)  # the lab's usage error
    assert line == ("error: --max-age 'ten minutes' is not a duration. Write a number and a "
                    "unit (s, m, h or d), like 90s, 10m or 2h.")


def server(name: str, age: timedelta, *, image_id: str = GOOD,
           state: str = "running") -> ContainerInfo:
    return ContainerInfo(
        id=f"id-{name}", name=f"lab-learner-10-{name}", image=image_id, image_id=image_id,
        labels={"lab.managed": "true", "lab.role": "server", "lab.server": name},
        state=state, status="", created=NOW - age, ports=())


def test_only_running_servers_of_the_desired_image_older_than_the_maximum_are_chosen() -> None:
    desired = Desired(image="lab-learner/app:v2", image_id=GOOD, servers=SERVERS)
    observed = [server("web1", timedelta(minutes=12)),
                server("web2", timedelta(minutes=3)),  # young: kept
                server("web3", timedelta(hours=1), state="exited"),  # wrong: plan() repairs it
                server("web4", timedelta(hours=1), image_id=OTHER)]  # wrong too
    [action] = too_old(desired, observed, 600, NOW)
    assert (action.server, action.kind, action.container_id) == ("web1", "replace", "id-web1")
    assert action.text == "web1: older than 10m (made 12m ago); replaced"
    assert too_old(desired, observed, 3600, NOW) == []
    assert [action.reason for action in too_old(desired, observed, 90, NOW)] == [
        "older than 90s (made 12m ago)", "older than 90s (made 3m ago)"]  # 90s, not "1m"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr("lab.deploy.reconcile.DRAIN_SECONDS", 0)
    return Settings(tmp_path / "home", "learner")


def container(server_name: str) -> str:
    return f"lab-learner-{EXERCISE}-{server_name}"


def test_a_rotation_replaces_old_servers_one_at_a_time_through_the_balancer(
        settings: Settings) -> None:
    engine = FakeEngine()
    start(settings, EXERCISE, engine)  # every container made at the fake's CREATED, long ago
    image = engine.by_name(container("web1")).image_id
    StateStore.of(settings, EXERCISE).update(lambda state: state.model_copy(update={
        "desired": Desired(image="lab-learner/app:v2", image_id=image, servers=SERVERS)}))
    young = engine.by_name(container("web3"))
    engine.found[young.id] = replace(young, created=datetime.now(timezone.utc))
    engine.done.clear()
    said: list[str] = []

    rotated = Reconciler.current(settings, said.append, engine).rotate(600)

    assert [action.server for action in rotated] == ["web1", "web2", "web4"]
    assert engine.done == [(verb, container(name)) for name in ("web1", "web2", "web4")
                           for verb in ("remove", "create")]  # one server at a time
    assert engine.by_name(container("web3")).id == young.id
    drained = [reload for reload in engine.reloads if len(reload.containers) == 3]
    assert len(drained) == 3  # each server left the balancer before it was removed
    assert len(engine.reloads[-1].containers) == 4  # and all four serve at the end
    assert any(line.startswith("web1: older than 10m (made ") for line in said)
    events = StateStore.of(settings, EXERCISE).load().events
    assert [(event.server, event.kind) for event in events] == [
        ("web1", "replace"), ("web2", "replace"), ("web4", "replace")]


def test_a_rotation_stops_at_the_first_server_that_comes_back_unhealthy(
        settings: Settings) -> None:
    engine = FakeEngine(unhealthy={"sha256:broken"})
    start(settings, EXERCISE, engine)
    StateStore.of(settings, EXERCISE).update(lambda state: state.model_copy(update={
        "desired": Desired(image="lab-learner/app:v2", image_id="sha256:broken",
                           servers=SERVERS)}))
    for name in SERVERS:  # as if the broken image had been deployed somehow
        info = engine.by_name(container(name))
        engine.found[info.id] = replace(info, image_id="sha256:broken")
    engine.done.clear()

    said: list[str] = []
    loop = Reconciler.current(settings, said.append, engine)
    assert loop.rotate(1) == []
    assert engine.done == [("remove", container("web1")), ("create", container("web1"))]
    assert said[-1] == ("rotation stopped: a new server of the desired image is unhealthy; the "
                        "others are left as they are")
    assert loop.rotate(1) == []  # nor on the next pass of a watching loop
    assert len(engine.done) == 2


def test_the_watching_loop_rotates_one_old_server_a_pass(settings: Settings) -> None:
    engine = FakeEngine()
    start(settings, EXERCISE, engine)
    image = engine.by_name(container("web1")).image_id
    StateStore.of(settings, EXERCISE).update(lambda state: state.model_copy(update={
        "desired": Desired(image="lab-learner/app:v2", image_id=image, servers=SERVERS)}))
    engine.done.clear()

    loop = Reconciler.current(settings, lambda _: None, engine)
    assert loop.watch(drift_every=float("inf"), stop_after=0.01, max_age=600) == 1
    assert engine.done == [("remove", container("web1")), ("create", container("web1"))]
