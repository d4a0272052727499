"""Exercises 07 and 08 on a real engine: a golden image is built (and an unpinned one fails
once the repository moves on), and a drifted fleet is replaced by it (and replacing it
without baking in web3's fix fails); each step typed as its tutorial types it.

Each test works as its own student and removes what it made by the `lab.student` label;
the images it built go too, by their student's repository name.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
GOLDEN = "07-golden-image"
REPLACE = "08-replace-dont-repair"
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


def wait_until_published(env: dict[str, str], name: str, version: str) -> None:
    """The repository's watcher publishes a release a moment after its trigger's fetch."""
    for _ in range(50):
        served = json.loads(lab("repo", "list", "--json", env=env).stdout)["packages"]
        if any(item["name"] == name and item["version"] == version
               and item["state"] == "published" for item in served):
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} {version} was never published: {served}")


def solution_file(exercise: str, name: str) -> str:
    """A file the exercise's reference solution writes, as its tutorial shows it."""
    from lab.exercises.catalogue import Catalogue
    from lab.exercises.solution import WriteFile

    steps = Catalogue(EXERCISES).load(exercise).spec.solution
    return next(step.content for step in steps
                if isinstance(step, WriteFile) and step.write == name)


# --- 07-golden-image -----------------------------------------------------------------------


def test_07_a_pinned_golden_image_passes_and_an_empty_or_unpinned_one_fails_the_check(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    dockerfile = workspace_of(lab("start", "07", env=env)) / "Dockerfile"
    assert "TODO" in dockerfile.read_text()

    # The starter Dockerfile installs nothing: its smoke test passes all the same.
    empty = lab("build", "empty", env=env)
    assert "smoke test: a container of" in empty.stdout
    unsolved = lab("check", env=env, exit_code=1).stdout
    assert (f"lab-{student}/app:empty" in unsolved
            and "webapp is not installed in the image" in unsolved)
    assert "has no `version` label" in unsolved

    # Pinning webapp alone: a build fetches webapp 2.0 (--no-cache: docker's cache is shared
    # by every student of the engine), the repository publishes libwebapp 1.1, and the next
    # build that runs apt bakes in a library nobody tested.
    solution = solution_file(GOLDEN, "Dockerfile")
    dockerfile.write_text(solution.replace(" libwebapp=1.0", ""))
    lab("build", "v2", "--no-cache", env=env)
    wait_until_published(env, "libwebapp", "1.1")
    lab("build", "v2", "--no-cache", env=env)
    unpinned = lab("check", env=env, exit_code=1).stdout
    assert "holds libwebapp 1.1, released after you started" in unpinned
    assert "Pin the one tested on web: libwebapp=1.0" in unpinned

    dockerfile.write_text(solution)
    built = lab("build", "v2", env=env)
    assert f"✓ smoke test: a container of lab-{student}/app:v2 answered ok" in built.stdout
    image = f"lab-{student}/app:v2"
    labels = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}",
                               image))
    assert labels["version"] == "2.0"
    assert docker("run", "--rm", "--entrypoint", "dpkg-query", image,
                  "-W", "-f=${db:Status-Abbrev} ${Version}", "webapp").split() == ["ii", "2.0"]
    assert docker("run", "--rm", "--entrypoint", "dpkg-query", image,
                  "-W", "-f=${Version}", "libwebapp") == "1.0"
    assert "5/5 goals hold" in lab("check", env=env).stdout

    # The hand-installed server runs the same release and has drifted from its image.
    drift = json.loads(lab("drift", "--json", env=env, exit_code=1).stdout)
    findings = {(item["kind"], item["subject"]) for item in drift["servers"][0]["findings"]}
    assert ("package-added", "webapp") in findings


# --- 08-replace-dont-repair ----------------------------------------------------------------


def test_08_deploying_the_golden_image_replaces_every_server_and_leaves_no_drift(
        student: str) -> None:
    env = {"LAB_STUDENT": student}
    lab("start", "08", env=env)
    assert pages(env, "/version") == {
        "web1": "2.0", "web2": "2.0", "web3": "1.0", "web4": "1.0"}
    conffile = ["run", "-s", "web3", "--", "tail -n 1 /etc/webapp/webapp.conf"]
    assert "web3 | workers = 8" in lab(*conffile, env=env).stdout
    assert lab("drift", env=env, exit_code=1).returncode == 1
    before = server_ids(student)
    assert sorted(before) == WEBS

    # The shortcut: build and deploy the shipped Dockerfile, without web3's fix.
    lab("build", "v2", env=env)
    lab("deploy", "v2", env=env)
    shortcut = lab("check", env=env, exit_code=1).stdout
    assert "web3's fix from the outage (workers = 8 in /etc/webapp/webapp.conf) is not on " \
           "every server" in shortcut

    (workspace_of(lab("start", "08", env=env)) / "Dockerfile").write_text(
        solution_file(REPLACE, "Dockerfile"))
    lab("build", "v2", env=env)
    deployed = lab("deploy", "v2", env=env).stdout
    assert "deployment #2: 4 servers run" in deployed

    after = server_ids(student)
    assert sorted(after) == WEBS
    assert all(after[web] != before[web] for web in WEBS), (before, after)
    assert pages(env, "/version") == dict.fromkeys(WEBS, "2.0")
    assert "web3 | workers = 8" in lab(*conffile, env=env).stdout, "the fix is in the image"
    assert "identical: web1, web2, web3, web4 match their image" in lab("drift", env=env).stdout
    assert "5/5 goals hold" in lab("check", env=env).stdout
