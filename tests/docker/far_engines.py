"""What every engine on "another machine" must give a learner and a class, whatever the way
to it (ssh:// in test_remote_engine, tcp:// in test_tcp_engine): the lab runs where the
engine's 127.0.0.1 is out of reach, and still starts, runs, checks, copies and serves pages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Protocol

from tests.docker.conftest import docker

EXERCISE = "01-first-fleet"


class FarEngine(Protocol):
    def lab(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]: ...

    def isolated(self, *command: str, env: dict[str, str] | None = None,
                 timeout: float = 900) -> subprocess.CompletedProcess[str]: ...


def published(container: str, container_port: int) -> int:
    said = docker("port", container, f"{container_port}/tcp").splitlines()[0]
    return int(said.rsplit(":", 1)[1])


def prove_a_learner_reaches_the_servers(engine: FarEngine, student: str,
                                        forwards: str) -> None:
    """Start, run, check, a web page and a 3 MB file both ways, from where the published
    ports cannot be reached directly. `forwards`: the module whose forwarded() lists the
    lab's own forwards (lab.reach.ssh_tunnel or lab.reach.exec_relay)."""
    env = {"LAB_STUDENT": student}
    started = engine.lab("start", EXERCISE, env=env)
    assert started.returncode == 0, started.stdout + started.stderr

    web1 = f"lab-{student}-{EXERCISE}-web1"
    ssh_port, http_port = published(web1, 22), published(web1, 80)
    # Where the lab runs, nothing listens on 127.0.0.1 but what the lab forwards itself.
    direct = engine.isolated(sys.executable, "-c", (
        "import socket\n"
        f"for port in ({ssh_port}, {http_port}):\n"
        "    with socket.socket() as s:\n"
        "        print(s.connect_ex(('127.0.0.1', port)) != 0)\n"), timeout=60)
    assert direct.stdout.split() == ["True", "True"], direct.stderr

    ran = engine.lab("run", "--all", "--", "hostname", env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    for server in ("web1", "web2", "web3"):
        assert server in ran.stdout

    checked = engine.lab("check", env=env)
    assert checked.returncode in (0, 1), checked.stdout + checked.stderr  # 1: not solved yet
    assert "web1" in checked.stdout + checked.stderr

    # A web page as an http check asks it; the lab's record shows the forward it opened.
    asked = engine.isolated(sys.executable, "-c", (
        "from lab import fleet\n"
        f"from {forwards.rsplit('.', 1)[0]} import {forwards.rsplit('.', 1)[1]} as forwards\n"
        "from lab.environment import current_settings\n"
        f"infos = fleet.servers(current_settings(), {EXERCISE!r})\n"
        "with fleet.FleetExecutor(infos) as executor:\n"
        "    print(executor.http('web1', 80, '/').status)\n"
        "print(sorted(forwards.forwarded()))\n"), env=env, timeout=120)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.split("\n")[:2] == ["200", f"[{http_port}]"], asked.stdout

    payload = engine.isolated("sh", "-c", (
        f"head -c 3000000 /dev/urandom > /tmp/{student}.bin && "
        f"{sys.executable} -m lab put -s web1 /tmp/{student}.bin /tmp/payload.bin && "
        f"{sys.executable} -m lab run -s web1 -- sha256sum /tmp/payload.bin && "
        f"sha256sum /tmp/{student}.bin; status=$?; rm -f /tmp/{student}.bin; exit $status"),
        env=env, timeout=300)
    assert payload.returncode == 0, payload.stdout + payload.stderr
    digests = [word for word in payload.stdout.split() if len(word) == 64]
    assert len(digests) == 2 and digests[0] == digests[1], payload.stdout


def prove_a_class_runs_on_it(engine: FarEngine, url: str, student: str, folder: Path) -> None:
    """A roster placing the student on the engine: class start, check and stop."""
    roster = folder / "roster.yaml"
    roster.write_text(f"students:\n  - name: {student}\n    engine: {url}\n")
    env = {"LAB_HOME": str(folder / "class-home")}
    assert engine.lab("class", "init", str(roster), env=env).returncode == 0
    started = engine.lab("class", "start", EXERCISE, env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    names = docker("ps", "--filter", f"label=lab.student={student}", "--format",
                   "{{.Names}}").split()
    assert f"lab-{student}-{EXERCISE}-web3" in names
    checked = engine.lab("class", "check", env=env)
    assert student in checked.stdout, checked.stdout + checked.stderr
    assert "not passed" in checked.stdout  # the checks ran over SSH, and 01 is not solved
    stopped = engine.lab("class", "stop", env=env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
