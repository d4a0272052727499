"""Fixtures for tests on a real Docker engine: the lab's images, and a second empty engine."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import run_lab


def remove_student(student: str) -> None:
    """Everything labelled with this student's name (containers, networks, volumes and the
    images they built), and only that."""
    selector = ["--filter", f"label=lab.student={student}"]
    ids = docker("ps", "--all", "--quiet", *selector, check=False).split()
    if ids:
        docker("rm", "--force", "--volumes", *ids, check=False)
    for network in docker("network", "ls", "--quiet", *selector, check=False).split():
        docker("network", "rm", network, check=False)
    for volume in docker("volume", "ls", "--quiet", *selector, check=False).split():
        docker("volume", "rm", "--force", volume, check=False)
    # The student's own images (`lab build`), once no container of theirs uses them.
    images = docker("images", "--all", "--quiet", *selector, check=False).split()
    if images:
        docker("rmi", "--force", *sorted(set(images)), check=False)


@pytest.fixture
def student() -> Iterator[str]:
    """A student of this test alone; whatever carries its label is removed afterwards."""
    name = f"t{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        remove_student(name)


@pytest.fixture(scope="session")
def lab_images(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The lab's images, built once per run (instant when .ci/run already built them)."""
    home = tmp_path_factory.mktemp("images-home")
    result = run_lab("images", "build", env={"LAB_HOME": str(home)}, timeout=1800)
    assert result.returncode == 0, result.stderr


def docker(*args: str, host: str | None = None, check: bool = True) -> str:
    env = {**os.environ, **({"DOCKER_HOST": host} if host else {})}
    result = subprocess.run(["docker", *args], capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def second_engine() -> Iterator[str]:
    """A second, empty dockerd on its own socket, data root and bridge: a clean engine.

    Never `--bridge=none`: a daemon started so deletes `docker0`, the first engine's bridge.
    Its own bridge, and no iptables rules, keep it from touching the first engine.
    """
    if os.geteuid() != 0 or shutil.which("dockerd") is None or shutil.which("ip") is None:
        pytest.skip("a second engine needs root, dockerd and ip")
    # A short path: a unix socket path must stay under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="lab-e2-", dir="/tmp"))
    socket = f"unix://{folder}/docker.sock"
    bridge = _make_bridge()
    log = (folder / "dockerd.log").open("w")
    daemon = subprocess.Popen(
        [
            "dockerd",
            "--data-root",
            str(folder / "data"),
            "--exec-root",
            str(folder / "exec"),
            "--pidfile",
            str(folder / "pid"),
            "-H",
            socket,
            f"--bridge={bridge}",
            "--iptables=false",
            "--ip-masq=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(socket)
        yield socket
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        log.close()
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _make_bridge() -> str:
    number = os.getpid() % 200 + 20
    bridge = f"labe2br{number}"
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)
    for command in (
        ["ip", "link", "add", "name", bridge, "type", "bridge"],
        ["ip", "addr", "add", f"172.29.{number}.1/24", "dev", bridge],
        ["ip", "link", "set", bridge, "up"],
    ):
        subprocess.run(command, check=True, capture_output=True)
    return bridge


def _wait_for(host: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            subprocess.run(
                ["docker", "info"], capture_output=True, env={**os.environ, "DOCKER_HOST": host}
            ).returncode
            == 0
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"the second engine at {host} did not start")
