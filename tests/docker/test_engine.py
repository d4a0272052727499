"""The exercise engine on a real engine, through the `lab` command a learner types.

Each test that changes something works as its own student (a unique LAB_STUDENT), so its
fleet is its own, and removes what it made by the `lab.student` label and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import paramiko
import pytest

from tests.docker.conftest import docker, remove_student
from tests.helpers import assert_one_line_error, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "01-first-fleet"
EXERCISE_DIR = Path(__file__).resolve().parents[2] / "exercises" / EXERCISE
WEBS = ("web1", "web2", "web3")
FLEET = (*WEBS, "repo")
SOLUTION = (
    ("run", "--all", "--", "apt-get", "update"),
    ("run", "--all", "--", "apt-get", "install", "-y", "tree"),
    ("put", "--all", "motd", "/etc/motd"),
)


# --- helpers -----------------------------------------------------------------------------


def new_student() -> str:
    return f"t{uuid4().hex[:8]}"


def ok(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lab ARGS` that must succeed."""
    result = run_lab(*args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def containers_of(student: str, *, running_only: bool = False) -> list[str]:
    flags = [] if running_only else ["--all"]
    found = docker(
        "ps", *flags, "--quiet", "--no-trunc", "--filter", f"label=lab.student={student}"
    )
    return found.split()


def networks_of(student: str) -> list[str]:
    return docker("network", "ls", "--quiet", "--filter", f"label=lab.student={student}").split()


def labels_of(kind: str, ident: str) -> dict[str, str]:
    """A container's or a network's labels."""
    field = "{{json .Config.Labels}}" if kind == "container" else "{{json .Labels}}"
    return json.loads(docker(kind, "inspect", "--format", field, ident)) or {}


def solve(env: dict[str, str]) -> None:
    """The learner's own three commands, each of which must succeed."""
    for command in SOLUTION:
        ok(*command, env=env)


def workspace_of(started: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


# --- a whole exercise, as a learner does it ----------------------------------------------


def test_first_fleet_end_to_end(student: str) -> None:
    env = {"LAB_STUDENT": student}
    started = ok("start", "01", env=env)
    for server in WEBS:
        assert server in started.stdout
    workspace = workspace_of(started)

    unsolved = run_lab("check", env=env)
    assert unsolved.returncode == 1, unsolved.stderr
    assert re.search(r"web\d: tree is not installed", unsolved.stdout), unsolved.stdout

    solve(env)
    solved = ok("check", env=env)
    assert f"{EXERCISE} passed" in solved.stdout

    before = set(containers_of(student))
    assert len(before) == len(FLEET)
    motd = workspace / "motd"
    original = (EXERCISE_DIR / "workspace" / "motd").read_text()
    assert motd.read_text() == original
    motd.write_text(original + "my own edit\n")

    reset = ok("reset", env=env)
    match = re.search(r"previous workspace is kept in (\S+)", reset.stdout)
    assert match, reset.stdout
    backup = Path(match.group(1))
    assert backup.is_dir()
    assert (backup / "motd").read_text() == original + "my own edit\n"
    assert motd.read_text() == original, "the fresh workspace has the starter motd"

    after = set(containers_of(student, running_only=True))
    assert len(after) == len(FLEET)
    assert not before & after, "reset recreates every container"

    again = run_lab("check", env=env)
    assert again.returncode == 1, again.stderr
    assert "tree is not installed" in again.stdout

    listed = ok("list", env=env)
    row = next(line for line in listed.stdout.splitlines() if EXERCISE in line)
    assert "done" in row, listed.stdout


# --- a shared fleet for tests that only look ----------------------------------------------


class SharedFleet:
    def __init__(self, student: str, env: dict[str, str]) -> None:
        self.student = student
        self.env = env

    def ssh_port(self, server: str) -> int:
        mapping = docker("port", self.container(server), "22/tcp").splitlines()[0]
        return int(mapping.rsplit(":", 1)[1])

    def container(self, server: str) -> str:
        return f"lab-{self.student}-{EXERCISE}-{server}"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedFleet]:
    """One started exercise 01, with its own LAB_HOME (keys, progress) for every reader."""
    name = new_student()
    env = {"LAB_STUDENT": name, "LAB_HOME": str(tmp_path_factory.mktemp("fleet-home"))}
    try:
        ok("start", "01", env=env)
        yield SharedFleet(name, env)
    finally:
        remove_student(name)


def test_every_published_port_is_on_loopback(fleet: SharedFleet) -> None:
    bindings = []
    for ident in containers_of(fleet.student):
        ports = json.loads(docker("inspect", "--format", "{{json .NetworkSettings.Ports}}", ident))
        bindings += [binding for found in (ports or {}).values() for binding in found or []]
    assert len(bindings) >= 2 * len(WEBS), "ssh and http of every web server are published"
    assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}


def test_password_login_is_refused(fleet: SharedFleet) -> None:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        with pytest.raises(paramiko.AuthenticationException) as refused:
            client.connect(
                "127.0.0.1", port=fleet.ssh_port("web1"), username="root", password="root",
                look_for_keys=False, allow_agent=False, timeout=10, banner_timeout=10,
            )  # fmt: skip
    finally:
        client.close()
    if isinstance(refused.value, paramiko.BadAuthenticationType):
        assert "password" not in refused.value.allowed_types


def test_status_json_lists_the_running_fleet(fleet: SharedFleet) -> None:
    document = json.loads(ok("status", "--json", env=fleet.env).stdout)
    assert document["exercise"] == EXERCISE
    states = {row["name"]: row["state"] for row in document["servers"]}
    assert states == dict.fromkeys(FLEET, "running")


def test_run_on_one_server_prefixes_its_name(fleet: SharedFleet) -> None:
    result = ok("run", "-s", "web2", "--", "hostname", env=fleet.env)
    assert "web2 | web2" in result.stdout.splitlines()
    assert "web1" not in result.stdout and "web3" not in result.stdout


def test_run_names_the_server_that_failed(fleet: SharedFleet) -> None:
    result = run_lab("run", "--all", "--", "test $(hostname) != web3", env=fleet.env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    summary = next(line for line in result.stdout.splitlines() if "failed:" in line)
    assert summary.startswith("1 failed:"), summary
    assert "web3: exit 1" in summary
    assert "web1: ok" in summary and "web2: ok" in summary


def test_every_resource_carries_the_lab_labels(fleet: SharedFleet) -> None:
    expected = {"lab.managed": "true", "lab.student": fleet.student, "lab.exercise": EXERCISE}
    containers = containers_of(fleet.student)
    networks = networks_of(fleet.student)
    assert len(containers) == len(FLEET) and len(networks) == 1
    for kind, ident in [*(("container", c) for c in containers), ("network", networks[0])]:
        found = labels_of(kind, ident)
        assert expected.items() <= found.items(), (kind, found)
        assert found.get("lab.role"), (kind, found)


def test_container_names_say_student_exercise_and_server(fleet: SharedFleet) -> None:
    names = docker(
        "ps", "--all", "--format", "{{.Names}}", "--filter", f"label=lab.student={fleet.student}"
    ).split()
    assert sorted(names) == sorted(fleet.container(server) for server in FLEET)


# --- cleanup, concurrency and interruptions ------------------------------------------------


def test_reset_all_spares_what_the_lab_did_not_make(student: str, tmp_path: Path) -> None:
    # Named like the student's resources, so a cleanup by name would wrongly take them.
    mine = f"lab-{student}-mine"
    payload = tmp_path / "payload"
    payload.mkdir()
    (payload / "hello").write_text("not the lab's\n")
    archive = tmp_path / "plain.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(payload, arcname=".")
    try:
        container = docker(
            "run", "--detach", "--name", mine, "immutable-lab/base:latest", "sleep", "300"
        )
        network = docker("network", "create", mine)
        volume = docker("volume", "create", mine)
        image = docker("import", str(archive), f"{mine}:1")

        env = {"LAB_STUDENT": student}
        ok("start", "01", env=env)
        assert len(containers_of(student)) == len(FLEET)
        ok("reset", "--all", env=env)
        assert containers_of(student) == []
        assert networks_of(student) == []

        assert docker("container", "inspect", "--format", "{{.State.Running}}", container) == "true"
        assert docker("network", "inspect", "--format", "{{.Id}}", network) == network
        assert docker("volume", "inspect", "--format", "{{.Name}}", volume) == mine
        assert docker("image", "inspect", "--format", "{{.Id}}", image) == image
    finally:
        docker("rm", "--force", mine, check=False)
        docker("network", "rm", mine, check=False)
        docker("volume", "rm", "--force", mine, check=False)
        docker("rmi", "--force", f"{mine}:1", check=False)


def lab_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lab", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", **env},
    )  # fmt: skip


def test_concurrent_starts_make_one_fleet(student: str) -> None:
    env = {"LAB_STUDENT": student}
    first, second = lab_process(env, "start", "01"), lab_process(env, "start", "01")
    for process in (first, second):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, (out, err)
        assert f"{EXERCISE} is running" in out
    assert len(containers_of(student, running_only=True)) == len(FLEET)
    assert len(containers_of(student)) == len(FLEET)
    assert len(networks_of(student)) == 1


def test_interrupted_start_converges(student: str) -> None:
    env = {"LAB_STUDENT": student}
    process = lab_process(env, "start", "01")
    try:
        deadline = time.monotonic() + 60
        while not containers_of(student) and process.poll() is None:
            assert time.monotonic() < deadline, "no container appeared within 60 s"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)  # the learner presses Ctrl-C
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, ("the start was not interrupted", out, err)
    assert "Traceback" not in out + err, err

    ok("start", "01", env=env)
    assert len(containers_of(student)) == len(FLEET)
    assert len(containers_of(student, running_only=True)) == len(FLEET)
    check = run_lab("check", env=env)
    assert check.returncode == 1, (check.stdout, check.stderr)
    assert "tree is not installed" in check.stdout


def test_stop_keeps_progress_and_workspace(student: str) -> None:
    env = {"LAB_STUDENT": student}
    workspace = workspace_of(ok("start", "01", env=env))
    solve(env)
    ok("check", env=env)

    stopped = ok("stop", env=env)
    assert f"stopped {EXERCISE}" in stopped.stdout
    assert containers_of(student) == []
    assert networks_of(student) == []
    assert (workspace / "motd").is_file()

    listed = ok("list", env=env)
    row = next(line for line in listed.stdout.splitlines() if EXERCISE in line)
    assert "done" in row, listed.stdout

    line = assert_one_line_error(run_lab("status", env=env), exit_code=5)
    assert "not running" in line and f"lab start {EXERCISE}" in line


# Exercise 12's solution runs a whole `lab compare` (minutes); tests/docker/test_compare.py
# runs that solution step by step and checks what it measured, so it is not run twice.
PROVEN_ELSEWHERE = {"12-deployment-strategies"}


def test_dev_check_proves_every_exercise() -> None:
    every = {path.parent.name for path in EXERCISE_DIR.parent.glob("*/exercise.yaml")}
    assert every > PROVEN_ELSEWHERE
    exercises = sorted(every - PROVEN_ELSEWHERE)
    try:
        result = run_lab("dev", "check", *exercises)
        assert result.returncode == 0, (result.stdout, result.stderr)
        for exercise_id in exercises:
            assert f"{exercise_id}: starts unsolved, solved by its solution" in result.stdout
        assert containers_of("dev-check") == []
        assert networks_of("dev-check") == []
    finally:
        remove_student("dev-check")


def test_servers_made_with_another_key_are_recreated(student: str, tmp_path: Path) -> None:
    """A new lab home (a new key) on the same engine: the old servers cannot be logged in
    to, so `lab start` replaces them instead of waiting for a login that never comes."""
    first = {"LAB_STUDENT": student, "LAB_HOME": str(tmp_path / "first-home")}
    second = {"LAB_STUDENT": student, "LAB_HOME": str(tmp_path / "second-home")}
    ok("start", "01", env=first)
    before = set(containers_of(student))
    started = ok("start", "01", env=second)
    assert "made with another SSH key; recreating them" in started.stderr
    assert not before & set(containers_of(student)), "every container is new"
    ok("run", "--all", "--", "true", env=second)


def test_starting_another_exercise_stops_the_current_one(student: str, tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    first = exercises / "01-first-fleet"
    shutil.copytree(Path(__file__).parents[2] / "exercises" / "01-first-fleet", first)
    second = exercises / "02-second-fleet"
    shutil.copytree(first, second)
    yaml = second / "exercise.yaml"
    yaml.write_text(yaml.read_text().replace("id: 01-first-fleet", "id: 02-second-fleet"))
    env = {"LAB_STUDENT": student, "LAB_EXERCISES": str(exercises)}

    ok("start", "01", env=env)
    solve(env)
    ok("check", env=env)
    ok("start", "02", env=env)
    names = docker("ps", "--all", "--format", "{{.Names}}",
                   "--filter", f"label=lab.student={student}").split()
    assert names and all("-02-second-fleet-" in name for name in names), names
    assert len(networks_of(student)) == 1
    listed = ok("list", env=env).stdout
    assert re.search(r"01-first-fleet.*done", listed)
    assert re.search(r"02-second-fleet.*current", listed)
