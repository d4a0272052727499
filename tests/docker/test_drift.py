"""`lab drift` on real servers: a fresh fleet is identical, and every hand edit is named."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import assert_one_line_error, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

IDENTICAL = "✓ identical: web1, web2, web3 match their image"


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A just-started 01-first-fleet of a student of its own; removed by label afterwards."""
    env = {"LAB_HOME": str(tmp_path / "home"), "LAB_STUDENT": f"drift-{uuid.uuid4().hex[:8]}"}
    started = run_lab("start", "01", env=env)
    assert started.returncode == 0, started.stderr
    try:
        yield env
    finally:
        run_lab("reset", "--all", env=env)


def lab_run(env: dict[str, str], server: str, command: str) -> None:
    result = run_lab("run", "-s", server, "--", command, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def docker_diff(env: dict[str, str], server: str) -> set[str]:
    container = f"lab-{env['LAB_STUDENT']}-01-first-fleet-{server}"
    listed = subprocess.run(["docker", "diff", container], capture_output=True, text=True,
                            check=True)
    return set(listed.stdout.splitlines())


def findings(env: dict[str, str], *args: str) -> dict[str, list[tuple[str, str, str]]]:
    result = run_lab("drift", "--json", *args, env=env)
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    assert result.returncode == (0 if document["identical"] else 1)
    return {server["server"]: [(f["kind"], f["subject"], f["detail"])
                               for f in server["findings"]] for server in document["servers"]}


def test_a_fresh_fleet_is_identical_even_after_checks_and_logins(
        fleet: dict[str, str]) -> None:
    assert run_lab("check", env=fleet).returncode == 1  # the exercise is not solved yet
    assert run_lab("status", env=fleet).returncode == 0
    lab_run(fleet, "web1", "true")  # an SSH login writes to /run and /var/log
    result = run_lab("drift", env=fleet)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == IDENTICAL
    assert run_lab("drift", env=fleet).returncode == 0  # looking leaves no trace either


def test_every_hand_edit_is_named_on_its_server_and_nowhere_else(
        fleet: dict[str, str]) -> None:
    lab_run(fleet, "web2", "echo '# hand edit' >> /etc/nginx/nginx.conf && chmod 600 /etc/motd")
    lab_run(fleet, "web3", "touch /etc/hotfix-42 && apt-get update -q && "
                           "apt-get install -y -q tree && apt-mark hold tree")

    before = docker_diff(fleet, "web3")
    found = findings(fleet)
    assert docker_diff(fleet, "web3") == before  # asking dpkg and apt changed nothing

    assert found["web1"] == []
    assert found["web2"] == [
        ("conffile-changed", "/etc/nginx/nginx.conf", "content changed (nginx-common)"),
        ("file-changed", "/etc/motd", "mode 644 → 600"),
    ]
    assert [(kind, subject) for kind, subject, _ in found["web3"]] == [
        ("package-added", "tree"), ("held", "tree"), ("file-added", "/etc/hotfix-42")]
    shown = run_lab("drift", env=fleet)
    assert shown.returncode == 1
    assert shown.stdout.strip().splitlines()[-1] == "✗ drifted: web2 (2 changes), web3 (3 changes)"
    assert "/usr/bin/tree" not in shown.stdout  # tree's own files are the package's finding


def test_one_server_can_be_asked_about_and_changed_back(fleet: dict[str, str]) -> None:
    lab_run(fleet, "web2", "chmod 600 /etc/motd && echo '# hand edit' >> /etc/nginx/nginx.conf")
    assert list(findings(fleet, "web2")) == ["web2"]
    one = run_lab("drift", "web1", env=fleet)
    assert one.returncode == 0
    assert one.stdout.strip().splitlines()[-1] == "✓ identical: web1 matches its image"

    lab_run(fleet, "web2", "chmod 644 /etc/motd && sed -i '$d' /etc/nginx/nginx.conf")
    assert findings(fleet, "web2") == {"web2": []}

    unknown = run_lab("drift", "web9", env=fleet)
    assert "unknown server 'web9'" in assert_one_line_error(unknown, exit_code=3)


def test_a_stopped_server_is_one_line_and_the_others_still_answer(
        fleet: dict[str, str]) -> None:
    container = f"lab-{fleet['LAB_STUDENT']}-01-first-fleet-web3"
    subprocess.run(["docker", "stop", "-t", "1", container], capture_output=True, check=True)
    stopped = run_lab("drift", env=fleet)
    assert "server web3 is exited" in assert_one_line_error(stopped, exit_code=5)
    assert run_lab("drift", "web1", env=fleet).returncode == 0


def test_the_image_is_asked_in_throwaway_containers_that_do_not_stay(
        fleet: dict[str, str]) -> None:
    lab_run(fleet, "web1", "chmod 600 /etc/motd")
    assert run_lab("drift", env=fleet).returncode == 1
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=lab.student={fleet['LAB_STUDENT']}",
         "--filter", "label=lab.role=drift"], capture_output=True, text=True, check=True)
    assert left.stdout.strip() == ""
    cache = Path(fleet["LAB_HOME"]) / "cache"
    assert list((cache / "image-packages").glob("*.json"))
    assert list((cache / "image-paths").glob("*.json"))
