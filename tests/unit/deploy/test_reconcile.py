"""`lab reconcile` on a fake engine (exercise 12, behind a load balancer): a lost server is made
again from the desired image and given to the balancer, and a repair that fails is said and
not retried at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.deploy.reconcile import Reconciler
from lab.deploy.state import Desired, StateStore
from lab.settings import Settings
from tests.unit.deploy.fake_engine import FakeEngine, start

EXERCISE = "12-deployment-strategies"
SERVERS = ("web1", "web2", "web3", "web4")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "home", "learner")


def desire(settings: Settings, image_id: str) -> None:
    StateStore.of(settings, EXERCISE).update(lambda state: state.model_copy(update={
        "desired": Desired(image="lab-learner/app:v2", image_id=image_id, servers=SERVERS)}))


def container(server: str) -> str:
    return f"lab-learner-{EXERCISE}-{server}"


def test_a_lost_server_is_made_again_from_the_desired_image(settings: Settings) -> None:
    engine = FakeEngine()
    start(settings, EXERCISE, engine)
    desire(settings, "sha256:v2")
    engine.remove(engine.by_name(container("web2")).id)
    said: list[str] = []

    repairs = Reconciler.current(settings, said.append, engine).once(check_drift=False)

    assert [(repair.server, repair.kind) for repair in repairs] == [
        ("web1", "replace"), ("web2", "create"), ("web3", "replace"), ("web4", "replace")]
    assert set(engine.images().values()) == {"sha256:v2"}
    assert any(line.startswith("web2: missing; recreated, healthy in") for line in said)
    events = StateStore.of(settings, EXERCISE).load().events
    assert sorted(event.server for event in events) == list(SERVERS)
    assert sorted(engine.reloads[-1].containers) == sorted(
        engine.by_name(container(server)).id for server in SERVERS)


def test_a_failed_repair_is_said_and_left_alone_for_a_while(settings: Settings) -> None:
    engine = FakeEngine(unhealthy={"sha256:broken"})
    start(settings, EXERCISE, engine)
    desire(settings, "sha256:broken")
    engine.remove(engine.by_name(container("web1")).id)
    said: list[str] = []
    loop = Reconciler.current(settings, said.append, engine)

    assert loop.once(check_drift=False) == []  # nothing repaired: every new one is unhealthy
    assert any(line.startswith("web1: missing; its new container is unhealthy "
                               "(/health answered 'fail'); retrying in") for line in said)
    engine.done.clear()
    assert loop.once(check_drift=False) == []
    assert engine.done == []  # not retried at once
