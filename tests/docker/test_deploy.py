"""`lab build`, `lab deploy`, `lab rollback` and `lab reconcile` on a real engine, around the
edges the exercises do not walk: mistakes, Ctrl-C in the middle of a rollout, stop and
start of a deployed fleet, and a reset that forgets every deployment.

Each test works as its own student and removes what it made by the `lab.student` label.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import assert_one_line_error, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "05-moving-target"  # four servers on webapp 1.0; its repository serves 2.0
WEBS = ["web1", "web2", "web3", "web4"]
GOLDEN = """\
ARG SERVER_IMAGE=immutable-lab/server:latest
FROM ${SERVER_IMAGE}
RUN apt-get update && apt-get install -y webapp=2.0 && apt-get clean \\
 && rm -rf /var/lib/apt/lists/*
LABEL version="2.0" flavour="{flavour}"
"""


def lab(*args: str, env: dict[str, str], exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def workspace(env: dict[str, str]) -> Path:
    started = lab("start", EXERCISE, env=env)
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


def server_images(student: str) -> dict[str, str]:
    """Each server's image id, from the engine."""
    found = {}
    for web in WEBS:
        image = docker("inspect", "-f", "{{.Image}}", f"lab-{student}-{EXERCISE}-{web}",
                       check=False)
        found[web] = image
    return found


def image_id(student: str, tag: str) -> str:
    return docker("image", "inspect", "-f", "{{.Id}}", f"lab-{student}/app:{tag}")


def app_version(student: str, web: str) -> str:
    return docker("exec", f"lab-{student}-{EXERCISE}-{web}", "cat",
                  "/var/www/html/version.txt", check=False)


def history(env: dict[str, str]) -> dict[str, object]:
    return json.loads(lab("history", "--json", env=env).stdout)


@pytest.fixture
def env(student: str) -> dict[str, str]:
    return {"LAB_STUDENT": student}


def test_mistakes_get_one_line_each(env: dict[str, str], student: str) -> None:
    line = assert_one_line_error(run_lab("build", "v2", env=env), exit_code=5)
    assert "no exercise is started" in line
    folder = workspace(env)

    line = assert_one_line_error(run_lab("build", "v2", env=env), exit_code=3)
    assert "no Dockerfile" in line and str(folder) in line
    (folder / "Dockerfile").write_text(GOLDEN.replace("webapp=2.0", "webapp=9.9"))
    line = assert_one_line_error(run_lab("build", "v2", env=env), exit_code=4)
    assert "step 3/" in line and "webapp=9.9" in line
    assert "\x1b[" not in line  # apt's colours are not passed on
    line = assert_one_line_error(run_lab("build", "no good", env=env), exit_code=3)
    assert "not a valid image tag" in line

    line = assert_one_line_error(run_lab("deploy", "v7", env=env), exit_code=3)
    assert "there is no image 'v7'" in line and "lab build v7" in line
    line = assert_one_line_error(run_lab("rollback", env=env), exit_code=5)
    assert "nothing to roll back to" in line
    line = assert_one_line_error(run_lab("reconcile", env=env), exit_code=5)
    assert "nothing was deployed" in line and "lab deploy" in line
    line = assert_one_line_error(run_lab("chaos", "--kill", "5", env=env), exit_code=3)
    assert "the fleet has 4" in line


def test_an_interrupted_deploy_is_recorded_and_reconcile_restores_the_desired_image(
        env: dict[str, str], student: str) -> None:
    folder = workspace(env)
    (folder / "Dockerfile").write_text(GOLDEN.replace("{flavour}", "a"))
    lab("build", "v2", env=env)
    (folder / "Dockerfile").write_text(GOLDEN.replace("{flavour}", "b"))
    lab("build", "v2b", env=env)
    lab("deploy", "v2", env=env)
    good, other = image_id(student, "v2"), image_id(student, "v2b")
    assert good != other
    assert set(server_images(student).values()) == {good}

    rollout = subprocess.Popen(
        [sys.executable, "-m", "lab", "deploy", "v2b"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    assert rollout.stdout is not None
    first = rollout.stdout.readline()  # "web1: replaced, healthy in ..."
    assert first.startswith("web1: replaced"), first
    rollout.send_signal(signal.SIGINT)
    _, stderr = rollout.communicate(timeout=60)
    assert rollout.returncode == 130, stderr
    assert "interrupted" in stderr

    recorded = history(env)
    assert [item["result"] for item in recorded["deployments"]] == ["succeeded", "interrupted"]
    assert recorded["desired"]["image_id"] == good  # an unfinished deploy changes nothing
    mixed = server_images(student)
    assert mixed["web1"] == other and other not in (mixed["web3"], mixed["web4"])

    repaired = lab("reconcile", "--no-drift", env=env)
    assert "web1: runs image" in repaired.stdout and "replaced" in repaired.stdout
    assert set(server_images(student).values()) == {good}
    assert lab("reconcile", env=env).stdout.startswith("✓ the fleet matches")


def test_a_deployed_fleet_survives_stop_and_start_and_reset_forgets_it(
        env: dict[str, str], student: str) -> None:
    folder = workspace(env)
    assert {app_version(student, web) for web in WEBS} == {"1.0"}
    (folder / "Dockerfile").write_text(GOLDEN.replace("{flavour}", "a"))
    lab("build", "v2", env=env)
    lab("deploy", "v2", "--volume", "notes-{server}:/srv/notes", env=env)
    volumes = docker("volume", "ls", "-q", "--filter", f"label=lab.student={student}").split()
    assert sorted(volumes) == [f"lab-{student}-{EXERCISE}-notes-{web}" for web in WEBS]

    lab("stop", env=env)
    lab("start", EXERCISE, env=env)  # made again from the deployed image, not provisioned
    assert set(server_images(student).values()) == {image_id(student, "v2")}
    assert {app_version(student, web) for web in WEBS} == {"2.0"}
    mounts = docker("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}",
                    f"lab-{student}-{EXERCISE}-web2")
    assert mounts == f"lab-{student}-{EXERCISE}-notes-web2"

    lab("reset", env=env)
    assert history(env)["deployments"] == []
    assert {app_version(student, web) for web in WEBS} == {"1.0"}
    assert docker("volume", "ls", "-q", "--filter", f"label=lab.student={student}") == ""


def healthy_servers(student: str) -> int:
    """How many of the exercise's servers answer /health with `ok` right now."""
    import urllib.request

    ports = docker("ps", "--filter", f"label=lab.student={student}", "--filter",
                   "label=lab.role=server", "--format", "{{.Ports}}", check=False)
    count = 0
    for port in re.findall(r"127\.0\.0\.1:(\d+)->80/tcp", ports):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as page:
                count += page.read().decode().strip() == "ok"
        except OSError:
            pass
    return count


def test_one_at_a_time_never_has_more_than_one_server_down(
        env: dict[str, str], student: str) -> None:
    folder = workspace(env)
    (folder / "Dockerfile").write_text(GOLDEN.replace("{flavour}", "a"))
    lab("build", "v2", env=env)
    lab("deploy", "v2", env=env)
    (folder / "Dockerfile").write_text(GOLDEN.replace("{flavour}", "b"))
    lab("build", "v2b", env=env)

    rollout = subprocess.Popen([sys.executable, "-m", "lab", "deploy", "v2b"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **env})
    samples = []
    while rollout.poll() is None:
        samples.append(healthy_servers(student))
    assert rollout.returncode == 0, rollout.stderr.read() if rollout.stderr else ""
    assert len(samples) >= 10  # the rollout was watched throughout, not glimpsed
    assert min(samples) >= len(WEBS) - 1, samples
    assert min(samples) == len(WEBS) - 1  # and each server really was out for a moment
    assert set(server_images(student).values()) == {image_id(student, "v2b")}
