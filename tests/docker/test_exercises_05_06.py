"""Exercises 05 and 06 on a real engine: each fault happens as its tutorial says, and the
learner's way out, typed as the tutorial types it, passes the checks.

Each test works as its own student and removes what it made by the `lab.student` label.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
MOVING = "05-moving-target"
DRIFTING = "06-provisioning-drift"
ROLLOUT = "apt-get update && apt-get install -y webapp"




def lab(*args: str, env: dict[str, str], exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    """`lab ARGS`, which must exit with `exit_code`."""
    result = run_lab(*args, env=env)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def on(student: str, exercise: str, server: str, command: str) -> str:
    """A probe on a server (docker exec, not the learner's SSH): its stdout."""
    return docker("exec", f"lab-{student}-{exercise}-{server}", "sh", "-c", command, check=False)


def versions(student: str, exercise: str, package: str, servers: list[str]) -> dict[str, str]:
    """Each server's installed version of `package` ('' when not installed)."""
    query = f"dpkg-query -W -f='${{Version}}' {package} 2>/dev/null"
    return {server: on(student, exercise, server, query) for server in servers}


def workspace_of(started: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


def differing_packages() -> frozenset[str]:
    """What 06's report check takes for the truth: the packages that differ at start."""
    from lab.checks.python import load_function

    judge = load_function(EXERCISES / DRIFTING, "checks:judge_report")
    return frozenset(judge.__globals__["DIFFERING"])


def scratch_containers(student: str) -> list[str]:
    return docker("ps", "--all", "--quiet", "--filter", f"label=lab.student={student}",
                  "--filter", "label=lab.role=check").split()


# --- 05-moving-target --------------------------------------------------------------------


def test_05_a_release_published_mid_rollout_splits_the_fleet_and_a_pin_rejoins_it(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    webs = ["web1", "web2", "web3", "web4"]
    workspace = workspace_of(lab("start", "05", env=env))
    assert versions(student, MOVING, "webapp", webs) == dict.fromkeys(webs, "1.0")

    lab("run", "-s", "web1", "-s", "web2", "--", ROLLOUT, env=env)
    second = lab("run", "-s", "web3", "-s", "web4", "--", ROLLOUT, env=env)
    assert "web3 | Get:1 http://repo ./ webapp 2.1" in second.stdout
    assert versions(student, MOVING, "webapp", webs) == {
        "web1": "2.0", "web2": "2.0", "web3": "2.1", "web4": "2.1"}
    listed = json.loads(lab("repo", "list", "--json", env=env).stdout)
    assert {"name": "webapp", "version": "2.1", "state": "published"}.items() <= next(
        row for row in listed["packages"] if row["version"] == "2.1").items()

    split = lab("check", env=env, exit_code=1).stdout
    assert ("web3: `dpkg-query -W -f='${Version} ${db:Status-Abbrev}' webapp` differs from "
            "web1, web2: expected '2.0 ii', found '2.1 ii'") in split
    assert "web1, web2: the next `apt-get install webapp` would move webapp from 2.0 to 2.1" \
        in split
    assert "2.1" not in on(student, MOVING, "web1", "apt-cache policy webapp"), \
        "web1 read the index before 2.1 was published"

    pin = (EXERCISES / MOVING / "workspace" / "webapp.pref").read_text()
    (workspace / "webapp.pref").write_text(pin.replace("version VERSION", "version 2.0"))
    lab("put", "--all", "webapp.pref", "/etc/apt/preferences.d/webapp", env=env)
    refused = lab("run", "--all", "--", ROLLOUT, env=env, exit_code=1).stdout
    assert "web3 | E: Packages were downgraded and -y was used without --allow-downgrades" \
        in refused
    assert "web1 | webapp is already the newest version (2.0)." in refused, \
        "the pin holds where apt now sees 2.1"
    lab("run", "--all", "--",
        "apt-get update && apt-get install -y --allow-downgrades webapp", env=env)
    assert "passed" in lab("check", env=env).stdout

    # The shortcut: no pin, no sources list, so apt "keeps" 2.0 because it sees nothing.
    sources = "/etc/apt/sources.list.d/lab.list"
    (workspace / "lab.list").write_text(on(student, MOVING, "web1", f"cat {sources}"))
    lab("run", "-s", "web3", "--", "rm /etc/apt/preferences.d/webapp /etc/apt/sources.list.d/*",
        env=env)
    cut_off = " ".join(lab("check", env=env, exit_code=1).stdout.split())
    assert ("web3: apt sees no repository (`apt-cache policy webapp` lists only "
            "/var/lib/dpkg/status): with its sources gone nothing can move webapp") in cut_off
    lab("put", "-s", "web3", "lab.list", sources, env=env)
    lab("put", "-s", "web3", "webapp.pref", "/etc/apt/preferences.d/webapp", env=env)
    assert "passed" in lab("check", env=env).stdout


# --- 06-provisioning-drift ---------------------------------------------------------------


def test_06_servers_from_different_snapshots_differ_and_a_pinned_manifest_rebuilds_web1(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    webs = ["web1", "web2", "web3"]
    lab("start", "06", env=env)
    assert versions(student, DRIFTING, "webapp", webs) == dict.fromkeys(webs, "1.0")
    assert versions(student, DRIFTING, "libwebapp", webs) == {
        "web1": "1.0", "web2": "1.1", "web3": "1.1"}
    assert versions(student, DRIFTING, "tree", webs) == {
        "web1": "", "web2": "", "web3": "2.1.0-1"}
    assert {server: on(student, DRIFTING, server, "apt-mark showhold") for server in webs} == {
        "web1": "libwebapp", "web2": "", "web3": ""}
    page = "cat /var/www/html/index.html"
    assert "rendered by libwebapp 1.1" in on(student, DRIFTING, "web2", page)
    assert "rendered by" not in on(student, DRIFTING, "web1", page)

    drift = json.loads(lab("drift", "--json", env=env, exit_code=1).stdout)
    spread = {row["package"] for row in drift["package_spread"]}
    assert spread == differing_packages()

    upgrade = on(student, DRIFTING, "web1", "apt-get update -qq && apt-get upgrade --simulate")
    assert "The following packages have been kept back:\n  libwebapp" in upgrade, \
        "web1 sees libwebapp 1.1 and its hold keeps it back"

    fresh = lab("check", env=env, exit_code=1).stdout
    assert "libwebapp: web1 has 1.0, a fresh server from manifest.txt gets 1.1" in fresh
    assert scratch_containers(student) == [], "the throwaway server is gone"

    lab("solve", env=env)
    assert "passed" in lab("check", env=env).stdout
    assert scratch_containers(student) == []
