"""Exercise 09 on a real engine: a broken release stops at the first server and is rolled
back; each step typed as its tutorial types it.

Each test works as its own student and removes what it made by the `lab.student` label;
the images it built go too, by their student's repository name.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
GOLDEN = "07-golden-image"
REPLACE = "08-replace-dont-repair"
ROLLBACK = "09-rollback"
WEBS = ["web1", "web2", "web3", "web4"]


def lab(*args: str, env: dict[str, str], exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    """`lab ARGS`, which must exit with `exit_code`."""
    result = run_lab(*args, env=env)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def workspace_of(started: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


def server_ids(student: str) -> dict[str, str]:
    """Each server's container id, as the tutorial's `docker ps` lists them."""
    listed = docker("ps", "--filter", f"label=lab.student={student}",
                    "--filter", "label=lab.role=server", "--format", "{{.Names}} {{.ID}}")
    pairs = (line.split() for line in listed.splitlines())
    return {name.rsplit("-", 1)[1]: container for name, container in pairs}


def pages(env: dict[str, str], path: str) -> dict[str, str]:
    """What each server answers on `path`, asked from the host as a user would."""
    status = json.loads(lab("status", "--json", env=env).stdout)
    found = {}
    for server in status["servers"]:
        if server["role"] == "server":
            address = server["ports"]["80/tcp"]
            with urllib.request.urlopen(f"http://{address}{path}", timeout=5) as answer:
                found[server["name"]] = answer.read().decode().strip()
    return found


def solution_file(exercise: str, name: str) -> str:
    """A file the exercise's reference solution writes, as its tutorial shows it."""
    from lab.exercises.catalogue import Catalogue
    from lab.exercises.solution import WriteFile

    steps = Catalogue(EXERCISES).load(exercise).spec.solution
    return next(step.content for step in steps
                if isinstance(step, WriteFile) and step.write == name)


# --- 09-rollback ---------------------------------------------------------------------------


def test_09_a_broken_release_stops_at_web1_and_a_rollback_brings_back_the_good_image(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    workspace = workspace_of(lab("start", "09", env=env))
    assert pages(env, "/version") == dict.fromkeys(WEBS, "1.0")
    lab("build", "v2", env=env)
    lab("deploy", "v2", env=env)
    good = server_ids(student)

    broken = lab("build", "v3", "--build-arg", "WEBAPP_VERSION=3.0", env=env)
    assert "smoke test failed" in broken.stdout + broken.stderr
    failed = lab("deploy", "v3", env=env, exit_code=1)
    assert (f"web1 failed its health check on lab-{student}/app:v3: /health answered 'fail'. "
            "The rollout stopped; web2, web3, web4 were not touched") in failed.stderr
    now = server_ids(student)
    assert now["web1"] != good["web1"]
    assert {web: now[web] for web in WEBS[1:]} == {web: good[web] for web in WEBS[1:]}
    assert pages(env, "/health") == {"web1": "fail", "web2": "ok", "web3": "ok", "web4": "ok"}
    assert pages(env, "/version") == {"web1": "3.0", "web2": "2.0", "web3": "2.0", "web4": "2.0"}
    assert "0/4 goals hold" in lab("check", env=env, exit_code=1).stdout

    assert "rolling back to" in lab("rollback", env=env).stdout
    assert pages(env, "/version") == dict.fromkeys(WEBS, "2.0")
    history = json.loads(lab("history", "--json", env=env).stdout)
    assert [(item["kind"], item["image"].rsplit(":", 1)[1], item["result"])
            for item in history["deployments"]] == [
        ("deploy", "v2", "succeeded"), ("deploy", "v3", "failed"),
        ("rollback", "v2", "succeeded")]

    # The shortcut that passed before: `lab rollback` copied from the tutorial, no account.
    copied = lab("check", env=env, exit_code=1).stdout
    assert "3/4 goals hold" in copied
    assert "rollback.yaml has no failed: the number of the newest deployment `lab history` " \
           "marks failed" in copied
    # The tutorial's image ID is not the learner's.
    account = workspace / "rollback.yaml"
    account.write_text("failed: 2\nstopped_at: web1\nhealth: fail\n"
                       "untouched: [web2, web3, web4]\nback_to: 31302404eb59\n")
    assert "rollback.yaml says back_to: 31302404eb59, but the rollback deployed another " \
           "image" in lab("check", env=env, exit_code=1).stdout
    rolled_back = history["deployments"][2]["image_id"].removeprefix("sha256:")[:12]
    account.write_text(account.read_text().replace("31302404eb59", rolled_back))
    assert "4/4 goals hold" in lab("check", env=env).stdout
