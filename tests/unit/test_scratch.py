"""Throwaway servers: labelled for their exercise, on its network, and always removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab import scratch
from lab.docker import containers
from lab.docker.containers import ContainerSpec, ExecResult
from lab.errors import EngineError, StateError
from lab.settings import Settings

SETTINGS = Settings(home=Path("/nonexistent"), student="ann")
EXERCISE = "06-provisioning-drift"
NETWORK = f"lab-ann-{EXERCISE}"


class FakeEngine:
    """Just enough of lab.docker.containers: what was created, run and removed."""

    def __init__(self, networks: tuple[str, ...] = (NETWORK,), fail_start: bool = False):
        self.networks = networks
        self.fail_start = fail_start
        self.created: list[ContainerSpec] = []
        self.removed: list[str] = []
        self.commands: list[tuple[str, str]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
        monkeypatch.setattr(containers, "find_networks",
                            lambda **_: [(f"id-{name}", name) for name in self.networks])
        monkeypatch.setattr(containers, "create_and_start", self.create_and_start)
        monkeypatch.setattr(containers, "find", self.find)
        monkeypatch.setattr(containers, "remove", self.removed.append)
        monkeypatch.setattr(containers, "exec_run", self.exec_run)
        return self

    def create_and_start(self, spec: ContainerSpec) -> str:
        self.created.append(spec)
        if self.fail_start:
            raise EngineError("the engine refused to start it")
        return f"id-{spec.name}"

    def find(self, **labels: str) -> list[Any]:
        token = labels.get("scratch")
        return [type("Info", (), {"id": f"id-{spec.name}"})() for spec in self.created
                if spec.labels.get("lab.scratch") == token]

    def exec_run(self, container_id: str, command: str, user: str = "root") -> ExecResult:
        self.commands.append((container_id, command))
        return ExecResult(0, "Debian\n", "")


def test_a_scratch_server_carries_the_exercise_labels_and_joins_its_network() -> None:
    spec = scratch.scratch_spec(SETTINGS, EXERCISE, "some-image", "check", "0123abcd")
    assert spec.network == NETWORK
    assert spec.name == f"{NETWORK}-check-0123abcd"
    assert spec.image == "some-image"
    assert spec.labels == {"lab.managed": "true", "lab.student": "ann",
                           "lab.exercise": EXERCISE, "lab.role": "check",
                           "lab.scratch": "0123abcd"}
    assert "lab.server" not in spec.labels, "never counted as one of the fleet's servers"
    assert spec.ports == (), "nothing published on the host"


def test_it_runs_commands_and_is_removed_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine().install(monkeypatch)
    with scratch.scratch_server(SETTINGS, EXERCISE, image="img") as server:
        result = server.run("cat /etc/os-release")
        assert engine.removed == []
    assert result.ok and result.stdout == "Debian\n"
    assert engine.commands == [(server.container_id, "cat /etc/os-release")]
    assert engine.removed == [server.container_id]
    assert [spec.image for spec in engine.created] == ["img"]


def test_it_is_removed_when_the_block_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine().install(monkeypatch)
    with pytest.raises(RuntimeError, match="boom"), \
            scratch.scratch_server(SETTINGS, EXERCISE, image="img"):
        raise RuntimeError("boom")
    assert len(engine.removed) == 1


def test_two_scratch_servers_never_share_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine().install(monkeypatch)
    with scratch.scratch_server(SETTINGS, EXERCISE, image="img"), \
            scratch.scratch_server(SETTINGS, EXERCISE, image="img"):
        pass
    names = [spec.name for spec in engine.created]
    assert len(set(names)) == 2


def test_a_container_that_did_not_start_is_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(fail_start=True).install(monkeypatch)
    with pytest.raises(EngineError), scratch.scratch_server(SETTINGS, EXERCISE, image="img"):
        pytest.fail("the block must not run")
    assert engine.removed == [f"id-{engine.created[0].name}"]


def test_without_the_exercise_network_it_says_to_start_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(networks=("lab-ann-01-first-fleet",)).install(monkeypatch)
    with pytest.raises(StateError) as raised, \
            scratch.scratch_server(SETTINGS, EXERCISE, image="img"):
        pytest.fail("the block must not run")
    assert raised.value.line() == ("the network of 06-provisioning-drift does not exist. "
                                   "Run `lab start 06-provisioning-drift` first.")
    assert engine.created == []
