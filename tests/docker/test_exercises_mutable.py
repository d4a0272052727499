"""Exercises 02 and 03 on a real engine: each fault happens as its tutorial says, 02's
README states what `lab drift` prints and only servers back at their baseline pass, and the
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
from pathlib import Path

import pytest
import yaml

from tests.docker.conftest import docker
from tests.docker.exercise_steps import lab, on, page, states, webs, workspace_of
from tests.helpers import EXERCISES, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

SNOWFLAKES = "02-snowflakes"
UPGRADE = "03-the-99-percent-upgrade"


# --- 02: snowflakes ----------------------------------------------------------------------

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
Finding = tuple[str, str]  # (kind, subject), as `lab drift` names them


def readme_claims() -> dict[str, object]:
    """What 02's README says `lab drift` prints: its web2 section word for word, the changes
    every server shares at start and after the repairs, and how many were made by hand."""
    readme = (EXERCISES / SNOWFLAKES / "README.md").read_text()
    block = re.search(r"```text\n(web2: (\w+) changes\n.*?)```", readme, re.DOTALL)
    shared = re.search(r"Every server shows (\w+) changes alike: `(\S+)` and `(\S+)` installed",
                       readme)
    after = re.search(r"every server should now show the same (\w+) changes", readme)
    by_hand = re.search(r"You found (\w+) changes that nobody had written down", readme)
    assert block and shared and after and by_hand, "a claim the test reads moved in the README"
    rows = [tuple(cell.strip() for cell in line.split("│"))
            for line in block.group(1).splitlines() if "│" in line]
    return {"web2 count": int(block.group(2)), "web2 rows": rows,
            "shared": {("package-added", shared.group(2)), ("package-added", shared.group(3))},
            "shared count": NUMBERS[shared.group(1)], "after count": NUMBERS[after.group(1)],
            "by hand": NUMBERS[by_hand.group(1)]}


def spread_every_hand_edit(env: dict[str, str]) -> None:
    """The shortcut: make the servers alike by making each fault of exercise.yaml (the
    hand edits and the hold) on every server."""
    spec = yaml.safe_load((EXERCISES / SNOWFLAKES / "exercise.yaml").read_text())
    for fault in spec["faults"]:
        command = fault.get("run") or f"apt-mark hold {fault['package']}"
        lab("run", "--all", "--", "sh", "-c", command, env=env)


def test_snowflakes_drift_as_the_tutorial_says_and_only_the_baseline_passes(
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
    servers = {server["server"]: server["findings"]
               for server in json.loads(drifted.stdout)["servers"]}
    found = {name: {(f["kind"], f["subject"]) for f in findings}
             for name, findings in servers.items()}
    shared = found["web1"] & found["web2"] & found["web3"]
    by_hand = {server: changes - shared for server, changes in found.items()}
    assert by_hand == {
        "web1": {("file-changed", "/etc/motd")},
        "web2": {("conffile-changed", "/etc/webapp/webapp.conf"),
                 ("file-added", "/etc/webapp/hotfix")},
        "web3": {("package-added", "tree"), ("held", "libwebapp")},
    }
    claims = readme_claims()  # the README states what `lab drift` prints, no more, no less
    assert claims["web2 rows"] == [(f["kind"], f["subject"], f["detail"])
                                   for f in servers["web2"]]
    assert claims["web2 count"] == len(servers["web2"])
    assert claims["shared"] == shared
    assert claims["shared count"] == claims["after count"] == len(shared)
    assert claims["by hand"] == sum(map(len, by_hand.values()))

    unsolved = run_lab("check", env=env)
    assert unsolved.returncode == 1
    assert "web3: 2 changes beyond its baseline" in unsolved.stdout

    solved = run_lab("solve", env=env)  # the reference solution: report, then repairs
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert lab("check", env=env).returncode == 0

    spread_every_hand_edit(env)  # alike again, by each hand edit made on every server
    shortcut = run_lab("check", env=env)
    assert shortcut.returncode == 1, shortcut.stdout
    assert "✓ your report names every change made by hand" in shortcut.stdout
    assert ("web1, web2, web3 are alike, but every one has 5 changes that neither the image "
            "nor the lab's provisioning made") in shortcut.stdout
    assert ("the servers agree on hand changes instead of on their baseline. Undo them on "
            "every server; `lab drift` compares each server with its image, not with the "
            "others") in shortcut.stdout


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
