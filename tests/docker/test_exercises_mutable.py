"""Exercises 02, 03 and 04 on a real engine: each fault happens as its tutorial says, and the
99% upgrade ends in the same per-server states every time it is run the same way.

Each test works as its own student (a unique LAB_STUDENT) and removes what it made by the
`lab.student` label, and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

SNOWFLAKES = "02-snowflakes"
UPGRADE = "03-the-99-percent-upgrade"
HALF = "04-half-configured"
STATE = "dpkg-query -W -f='${Package}=${Version}:${db:Status-Abbrev}\\n' webapp libwebapp"


# --- helpers -----------------------------------------------------------------------------




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


# --- 02: snowflakes ----------------------------------------------------------------------


def test_snowflakes_start_drifted_as_the_tutorial_says_and_drift_names_every_change(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    started = lab("start", "02", env=env)
    assert "hand edit on web2" in started.stderr
    assert "webapp.conf" not in started.stderr, "the start must not give the answers away"

    assert on(student, SNOWFLAKES, "web1", "stat -c %a /etc/motd")[1].strip() == "666"
    assert "workers = 8" in on(student, SNOWFLAKES, "web2", "cat /etc/webapp/webapp.conf")[1]
    assert on(student, SNOWFLAKES, "web2", "test -f /etc/webapp/hotfix")[0] == 0
    assert on(student, SNOWFLAKES, "web3", "apt-mark showhold")[1].split() == ["libwebapp"]
    assert states(student, SNOWFLAKES, webs(3)) == {
        "web1": "libwebapp=1.0:ii webapp=1.0:ii",
        "web2": "libwebapp=1.0:ii webapp=1.0:ii",
        "web3": "libwebapp=1.0:hi webapp=1.0:ii",  # held
    }
    assert [page(student, SNOWFLAKES, server, "/version") for server in webs(3)] == ["1.0"] * 3

    drifted = run_lab("drift", "--json", env=env)
    assert drifted.returncode == 1, "the provisioning alone is a change since the image"
    found = {server["server"]: {(f["kind"], f["subject"]) for f in server["findings"]}
             for server in json.loads(drifted.stdout)["servers"]}
    shared = found["web1"] & found["web2"] & found["web3"]
    assert {("package-added", "webapp"), ("package-added", "libwebapp")} <= shared
    assert {server: changes - shared for server, changes in found.items()} == {
        "web1": {("file-changed", "/etc/motd")},
        "web2": {("conffile-changed", "/etc/webapp/webapp.conf"),
                 ("file-added", "/etc/webapp/hotfix")},
        "web3": {("package-added", "tree"), ("held", "libwebapp")},
    }

    unsolved = run_lab("check", env=env)
    assert unsolved.returncode == 1
    assert "web3: 2 changes the other servers do not have" in unsolved.stdout


# --- 03: the 99% upgrade -----------------------------------------------------------------


def rollout(workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The provided Fabric script, run as the tutorial says: `python fabfile.py`."""
    return subprocess.run([sys.executable, "fabfile.py"], cwd=workspace, capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300)


def fetched_webapp_2(student: str) -> set[str]:
    """The servers that ever asked the repository for webapp 2.0's .deb."""
    log = docker("exec", f"lab-{student}-{UPGRADE}-repo", "cat", "/var/log/nginx/repo-access.log")
    return {fields[1] for fields in map(str.split, log.splitlines())
            if fields[3] == "/pool/webapp_2.0_all.deb"}


def script_lines(output: str) -> list[str]:
    """The script's own lines (`==> ...`): which server it reached, and how each ended."""
    return [line for line in output.splitlines() if line.startswith("==> ")]


def test_the_99_percent_upgrade_stops_at_web6_the_same_way_twice(student: str) -> None:
    env = {"LAB_STUDENT": student}
    first = rollout(workspace_of(lab("start", "03", env=env)), env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "W: Failed to fetch http://repo/./InRelease" in first.stdout, "update only warned"
    assert "E: Failed to fetch http://repo/./pool/webapp_2.0_all.deb" in first.stdout
    assert script_lines(first.stdout)[-2:] == ["==> web6: FAILED (exit code 100)",
                                               "==> stopping the rollout at web6"]
    after_first = states(student, UPGRADE, webs(8))
    assert after_first == {
        **{server: "libwebapp=1.0:ii webapp=2.0:ii" for server in webs(5)},
        **{server: "libwebapp=1.0:ii webapp=1.0:ii" for server in ("web6", "web7", "web8")},
    }
    assert fetched_webapp_2(student) == {*webs(5), "web6"}, "web7 and web8 were never tried"
    assert page(student, UPGRADE, "web6", "/version") == "1.0"

    second = rollout(workspace_of(lab("reset", "03", env=env)), env)
    assert second.returncode == 1
    assert states(student, UPGRADE, webs(8)) == after_first
    assert script_lines(second.stdout) == script_lines(first.stdout)


# --- 04: half-configured -----------------------------------------------------------------


def test_half_configured_servers_are_if_and_still_serve_the_old_page(student: str) -> None:
    env = {"LAB_STUDENT": student}
    lab("start", "04", env=env)

    assert states(student, HALF, webs(5)) == {
        server: f"libwebapp=1.0:ii webapp=2.0:{'iF' if server in ('web2', 'web4') else 'ii'}"
        for server in webs(5)}
    assert {server: page(student, HALF, server, "/version") for server in webs(5)} == {
        "web1": "2.0", "web2": "1.0", "web3": "2.0", "web4": "1.0", "web5": "2.0"}
    assert {page(student, HALF, server, "/health") for server in webs(5)} == {"ok"}
    assert "only half configured" in on(student, HALF, "web2", "dpkg --audit")[1]
    assert on(student, HALF, "web1", "dpkg --audit")[1] == ""
    assert "refusing to configure" in on(student, HALF, "web4", "cat /var/log/apt/term.log")[1]

    served = json.loads(lab("repo", "list", "--json", env=env).stdout)["packages"]
    assert {"name": "webapp", "version": "2.0.1", "state": "published"}.items() <= next(
        row for row in served if row["version"] == "2.0.1").items()
    candidate = on(student, HALF, "web3", "apt-cache policy webapp")[1]
    assert "Candidate: 2.0\n" in candidate, "the servers' lists predate 2.0.1"
