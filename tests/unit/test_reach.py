"""Where the lab reaches a published port: the decision for each kind of DOCKER_HOST."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from lab import reach
from lab.docker import engine as docker_engine
from lab.docker.engine import Engine


@pytest.mark.parametrize("engine", [
    "", "unix:///var/run/docker.sock", "npipe:////./pipe/docker_engine", "fd://",
    "tcp://127.0.0.1:2375", "tcp://localhost:2376", "tcp://[::1]:2375", "http://127.0.0.2:2375",
])
def test_a_local_engine_is_reached_at_the_published_port_itself(engine: str) -> None:
    assert reach.engine_kind(engine) == reach.LOCAL
    assert reach.address(49153, Engine(host=engine)) == ("127.0.0.1", 49153)


def test_an_unset_docker_host_is_local_and_never_loads_paramiko(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delitem(sys.modules, "paramiko", raising=False)
    for module in ("lab.sshlib", "lab.ssh", "lab.reach.ssh_tunnel", "lab.reach.exec_relay"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    with docker_engine.using(None):  # the process's engine, made afresh from its environment
        assert reach.address(22) == ("127.0.0.1", 22)
    assert "paramiko" not in sys.modules


def test_a_tcp_engine_on_another_machine_is_reached_through_the_engine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.reach import exec_relay

    engine = Engine(host="tcp://192.0.2.10:2376")  # TEST-NET-1: never this machine's address
    asked: list[tuple[int, Engine]] = []

    def forward(port: int, through: Engine) -> tuple[str, int]:
        asked.append((port, through))
        return "127.0.0.1", 4

    monkeypatch.setattr(exec_relay, "forward", forward)
    assert reach.engine_kind(engine.host) == reach.REMOTE
    with docker_engine.using(engine):
        assert reach.address(80) == ("127.0.0.1", 4)
    assert asked == [(80, engine)]


def test_a_tcp_engine_named_by_an_unknown_host_is_remote() -> None:
    assert reach.engine_kind("tcp://engine.invalid:2376") == reach.REMOTE


def test_an_ssh_engine_is_reached_through_a_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.reach import ssh_tunnel

    asked: list[tuple[str, int]] = []

    def forward(engine: str, port: int) -> tuple[str, int]:
        asked.append((engine, port))
        return "127.0.0.1", 40000 + port

    monkeypatch.setattr(ssh_tunnel, "forward", forward)
    assert reach.engine_kind("ssh://ada@engine.example:2222") == reach.SSH
    assert reach.address(80, Engine(host="ssh://ada@engine.example:2222")) == ("127.0.0.1", 40080)
    assert asked == [("ssh://ada@engine.example:2222", 80)]


def test_the_engine_ssh_parameters_follow_the_url_then_ssh_config(tmp_path: Path) -> None:
    from lab.reach import ssh_tunnel

    config = tmp_path / "config"
    config.write_text("Host engine\n  HostName 10.0.0.5\n  Port 2200\n  User ops\n"
                      "  IdentityFile /keys/engine\n")
    found = ssh_tunnel.engine_ssh_parameters("ssh://engine", config)
    assert (found["hostname"], found["port"], found["username"]) == ("10.0.0.5", 2200, "ops")
    assert found["key_filename"] == ["/keys/engine"]
    explicit = ssh_tunnel.engine_ssh_parameters("ssh://ada@engine:22", config)
    assert (explicit["port"], explicit["username"]) == (22, "ada")
    bare = ssh_tunnel.engine_ssh_parameters("ssh://root@other", tmp_path / "missing")
    assert (bare["hostname"], bare["port"], bare["username"]) == ("other", 22, "root")


def test_the_process_s_engine_is_the_default_and_an_engine_given_wins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.reach import ssh_tunnel

    monkeypatch.setattr(ssh_tunnel, "forward", lambda engine, port: ("127.0.0.1", 40000 + port))
    with docker_engine.using(Engine(host="ssh://ada@engine.example")):
        assert reach.address(80) == ("127.0.0.1", 40080)
        assert reach.address(80, Engine(host="tcp://127.0.0.1:2375")) == ("127.0.0.1", 80)


def test_a_forward_opens_one_local_port_per_key_and_carries_each_connection() -> None:
    from lab.reach.listeners import Listeners

    def echo(connection: socket.socket, peer: object) -> None:
        with connection:
            connection.sendall(b"echo " + connection.recv(100))

    listeners = Listeners("lab-test")
    host, local = listeners.local_port(("engine", 22), 22, echo)
    assert listeners.local_port(("engine", 22), 22, echo) == (host, local)
    for word in (b"one", b"two"):
        with socket.create_connection((host, local), timeout=5) as client:
            client.sendall(word)
            assert client.recv(100) == b"echo " + word
    _, other = listeners.local_port(("engine", 80), 80, echo)
    assert listeners.forwarded() == {22: local, 80: other}
