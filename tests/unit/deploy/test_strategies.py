"""The strategies (Elastic Beanstalk's five policies and blue/green) on a fake engine
(exercise 12: four servers behind a load balancer): which containers each makes, what the
balancer serves at every reload (capacity, versions), and what a bad release leaves, as users
and `lab status` would see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.deploy import strategies
from lab.deploy.release import Release
from lab.deploy.state import StateStore
from lab.deploy.strategies import Options, Rollout, StrategyFailed
from lab.exercises.catalogue import Catalogue
from lab.settings import Settings
from tests.unit.deploy.fake_engine import KEY, FakeEngine, start

EXERCISE = "12-deployment-strategies"
SERVERS = ["web1", "web2", "web3", "web4"]
N = len(SERVERS)
OLD, GOOD, BAD = "immutable-lab/server:latest", "sha256:good", "sha256:bad"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strategies, "DRAIN_SECONDS", 0)
    monkeypatch.setattr(strategies, "HEALTH_EVERY", 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "home", "learner")


@pytest.fixture
def engine(settings: Settings) -> FakeEngine:
    made = FakeEngine(unhealthy={BAD})
    start(settings, EXERCISE, made)
    return made


def rollout(settings: Settings, engine: FakeEngine, image: str) -> Rollout:
    exercise = Catalogue.of(settings).load(EXERCISE)
    release = Release(settings, exercise, KEY, image, f"app:{image}", {}, deployment=1)
    return Rollout(release, engine.by_name(container("lb")).id, mark=lambda *_: None,
                   report=lambda _: None, engine=engine)


def container(server: str) -> str:
    return f"lab-learner-{EXERCISE}-{server}"


def deploy(settings: Settings, engine: FakeEngine, strategy: str, image: str = GOOD,
           batch: int = 1) -> Rollout:
    done = rollout(settings, engine, image)
    strategies.run(done, Options(strategy, batch=batch, canary=10, evaluate=0.01))
    return done


def serving(engine: FakeEngine) -> dict[str, str]:
    """The server containers there are, by name, and their image."""
    return engine.images()


def every_server_runs(engine: FakeEngine, image: str) -> bool:
    return serving(engine) == {container(server): image for server in SERVERS}


def capacities(engine: FakeEngine) -> list[int]:
    return [len(reload.containers) for reload in engine.reloads]


def test_rolling_replaces_one_batch_at_a_time_and_keeps_the_rest_serving(
        settings: Settings, engine: FakeEngine) -> None:
    done = deploy(settings, engine, "rolling", batch=2)

    assert min(capacities(engine)) == N - 2  # 4 servers, a batch of 2 out at a time
    assert any(len(set(reload.images)) == 2 for reload in engine.reloads)  # both versions
    assert set(engine.reloads[-1].images) == {GOOD} and capacities(engine)[-1] == N
    assert done.replaced == SERVERS
    assert every_server_runs(engine, GOOD)


def test_rolling_takes_out_and_replaces_the_servers_in_order(settings: Settings,
                                                             engine: FakeEngine) -> None:
    engine.done.clear()
    deploy(settings, engine, "rolling")

    assert [name for verb, name in engine.done] == [
        container(server) for server in SERVERS for _ in ("remove", "create")]
    assert min(capacities(engine)) == N - 1


def test_a_failing_rolling_batch_stays_out_and_stops_the_rollout(settings: Settings,
                                                                 engine: FakeEngine) -> None:
    with pytest.raises(StrategyFailed) as failure:
        deploy(settings, engine, "rolling", image=BAD)

    assert failure.value.message.startswith("batch web1 failed its health check: web1 ")
    assert not failure.value.rolled_back
    assert serving(engine)[container("web1")] == BAD  # replaced, and out of the balancer
    assert {serving(engine)[container(server)] for server in SERVERS[1:]} == {OLD}
    assert set(engine.reloads[-1].images) == {OLD} and capacities(engine)[-1] == N - 1


def test_rolling_with_an_additional_batch_never_drops_below_full_capacity(
        settings: Settings, engine: FakeEngine) -> None:
    deploy(settings, engine, "rolling-batch")

    assert min(capacities(engine)) == N
    assert max(capacities(engine)) == N + 1  # the extra batch
    assert every_server_runs(engine, GOOD)  # and the extra batch is gone


def test_immutable_doubles_capacity_then_drops_the_old_group(settings: Settings,
                                                             engine: FakeEngine) -> None:
    deploy(settings, engine, "immutable")

    assert max(capacities(engine)) == 2 * N
    assert set(engine.reloads[-1].images) == {GOOD}
    assert every_server_runs(engine, GOOD)


@pytest.mark.parametrize("strategy", ["immutable", "rolling-batch", "blue-green"])
def test_a_bad_release_leaves_the_old_servers_serving(settings: Settings, engine: FakeEngine,
                                                      strategy: str) -> None:
    before = serving(engine)
    with pytest.raises(StrategyFailed) as failure:
        deploy(settings, engine, strategy, image=BAD)

    assert failure.value.rolled_back
    assert serving(engine) == before  # the same containers, and none of the new ones
    assert all(set(reload.images) == {OLD} for reload in engine.reloads)


def test_traffic_split_gives_the_new_group_its_share_then_all(settings: Settings,
                                                              engine: FakeEngine) -> None:
    deploy(settings, engine, "traffic-split")

    split = next(reload for reload in engine.reloads if len(set(reload.images)) == 2)
    weights = dict(zip(split.images, split.weights, strict=False))
    assert (weights[OLD], weights[GOOD]) == (90, 10)
    assert set(engine.reloads[-1].images) == {GOOD}
    assert every_server_runs(engine, GOOD)


def test_traffic_split_sends_the_traffic_back_when_the_new_group_turns_unhealthy(
        settings: Settings, engine: FakeEngine) -> None:
    before = serving(engine)
    with pytest.raises(StrategyFailed) as failure:
        deploy(settings, engine, "traffic-split", image=BAD)

    assert failure.value.rolled_back
    assert any(BAD in reload.images for reload in engine.reloads)  # its share met the release
    assert set(engine.reloads[-1].images) == {OLD} and capacities(engine)[-1] == N
    assert serving(engine) == before


def test_blue_green_switches_in_one_reload_and_keeps_blue_on_standby(
        settings: Settings, engine: FakeEngine) -> None:
    blue = {engine.by_name(container(server)).id for server in SERVERS}

    done = deploy(settings, engine, "blue-green")

    assert len(engine.reloads) == 1 and set(engine.reloads[0].images) == {GOOD}
    assert capacities(engine) == [N]
    assert set(done.standby) == blue
    assert {engine.found[standby].name for standby in blue} == {
        container(f"{server}-blue") for server in SERVERS}
    # Blue is still there, under names of its own; green has the servers' names.
    assert {name: image for name, image in serving(engine).items()
            if not name.endswith("-blue")} == {container(server): GOOD for server in SERVERS}


def test_blue_green_switches_back_to_blue_in_one_reload(settings: Settings,
                                                        engine: FakeEngine) -> None:
    standby = deploy(settings, engine, "blue-green").standby
    StateStore.of(settings, EXERCISE).update(  # as `lab deploy` records it
        lambda state: state.model_copy(update={"standby": tuple(standby)}))

    strategies.switch_back(rollout(settings, engine, GOOD), standby)

    assert set(engine.reloads[-1].containers) == set(standby)
    assert every_server_runs(engine, OLD)  # green gone, blue back under the servers' names


def test_all_at_once_is_an_outage_then_every_server_new(settings: Settings,
                                                       engine: FakeEngine) -> None:
    deploy(settings, engine, "all-at-once")

    assert len(engine.reloads) == 1 and set(engine.reloads[0].images) == {GOOD}
    assert every_server_runs(engine, GOOD)


def test_all_at_once_with_a_bad_release_leaves_every_server_on_it(settings: Settings,
                                                                   engine: FakeEngine) -> None:
    with pytest.raises(StrategyFailed) as failure:
        deploy(settings, engine, "all-at-once", image=BAD)

    assert not failure.value.rolled_back
    assert every_server_runs(engine, BAD)
    assert capacities(engine) == [0]  # nothing healthy to send traffic to
