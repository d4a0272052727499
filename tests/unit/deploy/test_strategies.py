"""The six strategies' logic on a fake fleet: which containers each makes, and what the
balancer serves at every step (capacity, versions), for a good and for a bad release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from lab.deploy import strategies
from lab.deploy.balancer import Backend
from lab.deploy.health import Health
from lab.deploy.strategies import Live, Options, Rollout, StrategyFailed
from lab.exercises.schema import Server

SERVERS = [Server(f"web{n}", "web", "server", (80,)) for n in range(1, 5)]


@dataclass
class FakeFleet:
    """Containers by id, each with a version; the balancer's backends as container ids."""

    healthy_new: bool
    containers: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> server, version
    # The backends of every reload: (container id, its version) as it was at that moment.
    routes: list[list[tuple[str, str]]] = field(default_factory=list)
    made: int = 0
    keys: dict[str, str] = field(default_factory=dict)  # address -> container id

    def address(self, key: str) -> str:
        address = f"10.0.0.{len(self.keys) + 2}"
        self.keys[address] = key
        return address


class FakeRollout(Rollout):
    def __init__(self, fake: FakeFleet) -> None:
        self.fake = fake
        self.replaced = []
        self.standby = []
        self.rollback_span = None
        self.report = lambda line: None
        self.mark = lambda backends, note: None
        self.clock = lambda: 0.0
        for server in SERVERS:
            fake.containers[f"old-{server.name}"] = (server.name, "old")
            fake.address(f"old-{server.name}")

    @property
    def servers(self) -> list[Server]:
        return SERVERS

    def running(self) -> list[Live]:
        standby = set(self.standby)
        by_name = {server.name: server for server in SERVERS}
        addresses = {key: address for address, key in self.fake.keys.items()}
        return [Live(by_name[server], key, addresses[key], key) for key, (server, _) in
                self.fake.containers.items() if key not in standby]

    def make(self, servers: Sequence[Server], suffix: str,
             healthy_first: bool = True) -> list[tuple[Live, Health]]:
        made = []
        for server in servers:
            self.fake.made += 1
            key = f"new{self.fake.made}-{server.name}"
            self.fake.containers[key] = (server.name, "new")
            ok = self.fake.healthy_new or not healthy_first
            live = Live(server, key, self.fake.address(key), key)
            made.append((live, Health(ok, "answered 'fail'")))
        return made

    def route(self, backends: Sequence[Backend], note: str) -> None:
        keys = [self.fake.keys[backend.address] for backend in backends]
        self.fake.routes.append([(key, self.fake.containers[key][1]) for key in keys])

    def remove(self, lives: Sequence[Live]) -> None:
        for live in lives:
            self.fake.containers.pop(live.container_id, None)

    def settle(self, lives: Sequence[Live]) -> None:
        self.replaced += [live.server.name for live in lives]

    def set_aside(self, lives: Sequence[Live]) -> None:
        self.standby += [live.container_id for live in lives]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strategies, "DRAIN_SECONDS", 0)
    monkeypatch.setattr(strategies, "_evaluate",
                        lambda new, seconds: "" if FAKE_HEALTH["ok"] else "web1: answered 'fail'")


FAKE_HEALTH = {"ok": True}


def deploy(strategy: str, good: bool = True, batch: int = 1) -> tuple[FakeFleet, FakeRollout]:
    FAKE_HEALTH["ok"] = good
    fake = FakeFleet(healthy_new=good)
    rollout = FakeRollout(fake)
    strategies.run(rollout, Options(strategy=strategy, batch=batch, canary=10, evaluate=1))
    return fake, rollout


def versions(fake: FakeFleet, route: list[tuple[str, str]]) -> set[str]:
    return {version for _, version in route}


def test_rolling_keeps_all_but_a_batch_in_service_and_mixes_versions() -> None:
    fake, rollout = deploy("rolling", batch=2)
    assert min(len(route) for route in fake.routes) == 2  # 4 servers, a batch of 2 out
    assert any(len(versions(fake, route)) == 2 for route in fake.routes)
    assert set(rollout.replaced) == {server.name for server in SERVERS}
    assert {version for _, version in fake.containers.values()} == {"new"}


def test_a_failing_rolling_batch_stays_out_and_stops_the_rollout() -> None:
    with pytest.raises(StrategyFailed) as failure:
        deploy("rolling", good=False)
    assert "batch web1 failed" in failure.value.message
    assert not failure.value.rolled_back


def test_rolling_with_an_additional_batch_never_drops_below_full_capacity() -> None:
    fake, _ = deploy("rolling-batch", batch=1)
    during = fake.routes[:-1]  # the last reload takes the extra batch out again
    assert min(len(route) for route in during) >= len(SERVERS)
    assert max(len(route) for route in fake.routes) == len(SERVERS) + 1
    assert len(fake.containers) == len(SERVERS)  # the extra batch is gone at the end


def test_immutable_doubles_capacity_then_drops_the_old_group() -> None:
    fake, _ = deploy("immutable")
    assert max(len(route) for route in fake.routes) == 2 * len(SERVERS)
    assert versions(fake, fake.routes[-1]) == {"new"}
    assert not any(key.startswith("old-") for key in fake.containers)


@pytest.mark.parametrize("strategy", ["immutable", "rolling-batch", "blue-green"])
def test_a_bad_release_leaves_the_old_servers_untouched(strategy: str) -> None:
    with pytest.raises(StrategyFailed) as failure:
        deploy(strategy, good=False)
    assert failure.value.rolled_back


def test_bad_immutable_never_sends_traffic_to_the_new_group() -> None:
    FAKE_HEALTH["ok"] = False
    fake = FakeFleet(healthy_new=False)
    rollout = FakeRollout(fake)
    with pytest.raises(StrategyFailed):
        strategies.run(rollout, Options(strategy="immutable"))
    assert all(route and all(key.startswith("old-") for key, _ in route)
               for route in fake.routes)
    assert sorted(fake.containers) == sorted(f"old-{server.name}" for server in SERVERS)


def test_traffic_split_gives_the_new_group_its_share_then_all_or_nothing() -> None:
    fake, _ = deploy("traffic-split")
    assert any(len(versions(fake, route)) == 2 for route in fake.routes)
    assert versions(fake, fake.routes[-1]) == {"new"}

    FAKE_HEALTH["ok"] = False
    bad = FakeFleet(healthy_new=False)
    rollout = FakeRollout(bad)
    with pytest.raises(StrategyFailed) as failure:
        strategies.run(rollout, Options(strategy="traffic-split", canary=10, evaluate=1))
    assert failure.value.rolled_back
    assert versions(bad, bad.routes[-1]) == {"old"}  # the traffic went back
    assert sorted(bad.containers) == sorted(f"old-{server.name}" for server in SERVERS)


def test_blue_green_switches_in_one_reload_and_keeps_blue_on_standby() -> None:
    fake, rollout = deploy("blue-green")
    assert len(fake.routes) == 1
    assert versions(fake, fake.routes[0]) == {"new"}
    assert sorted(rollout.standby) == sorted(f"old-{server.name}" for server in SERVERS)


def test_all_at_once_leaves_no_server_in_between() -> None:
    fake, _ = deploy("all-at-once")
    assert len(fake.routes) == 1 and versions(fake, fake.routes[0]) == {"new"}
    with pytest.raises(StrategyFailed) as failure:
        deploy("all-at-once", good=False)
    assert not failure.value.rolled_back
