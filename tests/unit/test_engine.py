"""The engine a process talks to: read once from DOCKER_*, given to docker-py as it was read,
one client per engine, and docker-py loaded only when a client is made."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from lab.docker import engine
from lab.docker.engine import Engine
from tests.conftest import required


class FakeDockerPy:
    """docker-py's `from_env`, counting the clients made and the environment each was given."""

    def __init__(self) -> None:
        self.made: list[dict[str, str]] = []

    def from_env(self, *, environment: dict[str, str], **_: Any) -> object:
        self.made.append(environment)
        return SimpleNamespace(api=SimpleNamespace(trust_env=True))


@pytest.fixture
def docker_py(monkeypatch: pytest.MonkeyPatch) -> FakeDockerPy:
    fake = FakeDockerPy()
    monkeypatch.setattr(engine, "sdk", lambda: SimpleNamespace(docker=fake))
    return fake


def test_the_engine_is_what_the_docker_variables_say() -> None:
    far = Engine.from_environment({"DOCKER_HOST": "tcp://lab2:2376", "DOCKER_TLS_VERIFY": "1",
                                   "DOCKER_CERT_PATH": "/certs", "PATH": "/bin"})
    assert (far.host, far.tls_verify, far.cert_path, far.tls) == ("tcp://lab2:2376", "1",
                                                                   "/certs", True)
    assert far.address == "tcp://lab2:2376"
    local = Engine.from_environment({})
    assert not local.tls and "unix:///var/run/docker.sock" in local.address


def test_an_empty_tls_verify_stays_empty_for_docker_py() -> None:
    """DOCKER_TLS_VERIFY="" (TLS without verifying, as a class's context can say) is not unset."""
    unverified = Engine.from_environment({"DOCKER_HOST": "tcp://lab3:2376",
                                          "DOCKER_TLS_VERIFY": "", "DOCKER_CERT_PATH": "/c"})
    assert unverified.variables() == {"DOCKER_HOST": "tcp://lab3:2376",
                                      "DOCKER_TLS_VERIFY": "", "DOCKER_CERT_PATH": "/c"}
    assert Engine().variables() == {"DOCKER_HOST": ""}  # never empty: no fallback to os.environ


def test_docker_py_gets_the_engine_s_variables_not_the_process_s(
        docker_py: FakeDockerPy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")
    Engine(host="ssh://ada@lab2").client()
    assert docker_py.made == [{"DOCKER_HOST": "ssh://ada@lab2"}]


def test_one_client_per_engine_and_timeout(docker_py: FakeDockerPy) -> None:
    one = Engine(host="unix:///one.sock")
    assert one.client() is one.client()
    assert one.client(timeout=3600) is not one.client()
    assert len(docker_py.made) == 2


def test_the_current_engine_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///first.sock")
    first = engine.current()
    monkeypatch.setenv("DOCKER_HOST", "unix:///second.sock")
    assert engine.current() is first and engine.engine_address() == "unix:///first.sock"


def test_using_puts_another_engine_in_place_for_a_block() -> None:
    before = engine.current()
    other = Engine(host="unix:///other.sock")
    with engine.using(other):
        assert engine.current() is other
    assert engine.current() is before


def test_the_lab_s_docker_modules_load_docker_py_only_for_a_client() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c",
         "import sys, lab.docker.containers, lab.docker.images, lab.docker.archives, "
         "lab.docker.diffs, lab.docker.probes, lab.locking; "
         "print(sorted({'docker', 'requests'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize(("environ", "docker_required"), [
    ({}, False),
    ({"CI": "true"}, True),
    ({"CI": "true", "LAB_REQUIRE_DOCKER": "0"}, False),
    ({"LAB_REQUIRE_DOCKER": "1"}, True),
])
def test_ci_makes_a_skipped_docker_test_a_failure(environ: dict[str, str],
                                                  docker_required: bool) -> None:
    """README's rule, as tests/conftest.py applies it."""
    assert required("docker", environ) is docker_required
