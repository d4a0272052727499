"""Exercises 02 and 03 on a real engine: each fault happens as its tutorial says, and the
99% upgrade ends in the same per-server states every time it is run the same way.

Each test works as its own student (a unique LAB_STUDENT) and removes what it made by the
`lab.student` label, and nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.docker.exercise_steps import lab, on, page, states, webs, workspace_of
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

SNOWFLAKES = "02-snowflakes"
UPGRADE = "03-the-99-percent-upgrade"


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
