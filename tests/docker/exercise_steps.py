"""Steps the mutable exercises' Docker tests share: `lab` as the learner types it, and probes
on a server by `docker exec` and through its published port, which bypass the learner's SSH."""

from __future__ import annotations

import re
import subprocess
import urllib.request
from pathlib import Path

from tests.docker.conftest import docker
from tests.helpers import run_lab

STATE = "dpkg-query -W -f='${Package}=${Version}:${db:Status-Abbrev}\\n' webapp libwebapp"


def lab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lab ARGS` that must succeed."""
    result = run_lab(*args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def workspace_of(started: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


def on(student: str, exercise: str, server: str, command: str) -> tuple[int, str]:
    """A probe on a server (docker exec, not the learner's SSH): exit code, stdout+stderr."""
    result = subprocess.run(
        ["docker", "exec", f"lab-{student}-{exercise}-{server}", "sh", "-c", command],
        capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def states(student: str, exercise: str, servers: list[str]) -> dict[str, str]:
    """Per server: `name=version:state` of webapp and libwebapp, as dpkg sees them."""
    return {server: " ".join(sorted(on(student, exercise, server, STATE)[1].split()))
            for server in servers}


def page(student: str, exercise: str, server: str, path: str) -> str:
    """What the server's nginx answers the host at `path`, through the published port."""
    port = docker("port", f"lab-{student}-{exercise}-{server}", "80/tcp").splitlines()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port.rsplit(':', 1)[1]}{path}",
                                timeout=5) as answer:
        return str(answer.read().decode()).strip()


def webs(count: int) -> list[str]:
    return [f"web{number}" for number in range(1, count + 1)]
