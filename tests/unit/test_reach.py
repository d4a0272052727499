"""Where the lab reaches a published port: the decision for each kind of DOCKER_HOST."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab import reach


@pytest.mark.parametrize("engine", [
    "", "unix:///var/run/docker.sock", "npipe:////./pipe/docker_engine", "fd://",
    "tcp://127.0.0.1:2375", "tcp://localhost:2376", "tcp://[::1]:2375", "http://127.0.0.2:2375",
])
def test_a_local_engine_is_reached_at_the_published_port_itself(
        engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine)
    assert reach.engine_kind(engine) == reach.LOCAL
    assert reach.address(49153) == ("127.0.0.1", 49153)


def test_an_unset_docker_host_is_local_and_never_loads_paramiko(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delitem(sys.modules, "paramiko", raising=False)
    monkeypatch.delitem(sys.modules, "lab.ssh", raising=False)
    assert reach.address(22) == ("127.0.0.1", 22)
    assert "paramiko" not in sys.modules


def test_a_tcp_engine_on_another_machine_is_reached_through_the_engine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.docker import tunnels

    engine = "tcp://192.0.2.10:2376"  # TEST-NET-1: never an address of this machine
    monkeypatch.setenv("DOCKER_HOST", engine)
    asked: list[int] = []
    monkeypatch.setattr(tunnels, "forward", lambda port: asked.append(port) or ("127.0.0.1", 4))
    assert reach.engine_kind(engine) == reach.REMOTE
    assert reach.address(80) == ("127.0.0.1", 4)
    assert asked == [80]


def test_a_tcp_engine_named_by_an_unknown_host_is_remote() -> None:
    assert reach.engine_kind("tcp://engine.invalid:2376") == reach.REMOTE


def test_an_ssh_engine_is_reached_through_a_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab import ssh

    asked: list[tuple[str, int]] = []

    def forward(engine: str, port: int) -> tuple[str, int]:
        asked.append((engine, port))
        return "127.0.0.1", 40000 + port

    monkeypatch.setattr(ssh, "forward", forward)
    monkeypatch.setenv("DOCKER_HOST", "ssh://ada@engine.example:2222")
    assert reach.engine_kind("ssh://ada@engine.example:2222") == reach.SSH
    assert reach.address(80) == ("127.0.0.1", 40080)
    assert asked == [("ssh://ada@engine.example:2222", 80)]


def test_the_engine_ssh_parameters_follow_the_url_then_ssh_config(tmp_path: Path) -> None:
    from lab import ssh

    config = tmp_path / "config"
    config.write_text("Host engine\n  HostName 10.0.0.5\n  Port 2200\n  User ops\n"
                      "  IdentityFile /keys/engine\n")
    found = ssh.engine_ssh_parameters("ssh://engine", config)
    assert (found["hostname"], found["port"], found["username"]) == ("10.0.0.5", 2200, "ops")
    assert found["key_filename"] == ["/keys/engine"]
    explicit = ssh.engine_ssh_parameters("ssh://ada@engine:22", config)
    assert (explicit["port"], explicit["username"]) == (22, "ada")
    bare = ssh.engine_ssh_parameters("ssh://root@other", tmp_path / "missing")
    assert (bare["hostname"], bare["port"], bare["username"]) == ("other", 22, "root")
