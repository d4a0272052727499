"""Exercises 10 and 11 on a real engine: a reconcile loop brings killed and hand-edited
servers back; a guestbook's entries vanish with replaced servers, and survive on a named
volume.

Each test works as its own student and removes what it made by the `lab.student` label,
the images it built included.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

PHOENIX = "10-phoenix"
STATE = "11-state-outside"
BACK_WITHIN = 30.0  # seconds; the loop polls twice a second and scans drift every second


def lab(*args: str, env: dict[str, str], exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    """`lab ARGS`, which must exit with `exit_code`."""
    result = run_lab(*args, env=env)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def container(student: str, exercise: str, server: str) -> str:
    """The id of the server's running container ('' when there is none)."""
    return docker("ps", "--quiet", "--no-trunc", "--filter",
                  f"name=^lab-{student}-{exercise}-{server}$", check=False)


def http(student: str, exercise: str, server: str, path: str, method: str = "GET",
         data: bytes | None = None) -> tuple[int, str]:
    """One request to the server's port 80, published on 127.0.0.1 (status 0: no answer)."""
    port = docker("port", f"lab-{student}-{exercise}-{server}", "80/tcp", check=False)
    if not port:
        return 0, ""
    request = urllib.request.Request(f"http://127.0.0.1:{port.splitlines()[0].rsplit(':', 1)[1]}"
                                     f"{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, ""
    except OSError:
        return 0, ""


def wait_for(condition: Callable[[], bool], what: str, watch: subprocess.Popen[str]) -> float:
    """Seconds until `condition` holds, within BACK_WITHIN, while the loop keeps running."""
    began = time.monotonic()
    while time.monotonic() - began < BACK_WITHIN:
        assert watch.poll() is None, f"the loop ended: {watch.communicate()}"
        if condition():
            return time.monotonic() - began
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {BACK_WITHIN} s")


def workspace_of(started: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


def repaired(student: str, server: str, container_id: str) -> bool:
    """Whether `lab history` recorded a repair of `server` that made `container_id`."""
    history = json.loads(lab("history", "--json", env={"LAB_STUDENT": student}).stdout)
    return any(event["server"] == server and event["container_id"] == container_id
               and event["kind"] in ("create", "replace") for event in history["events"])


# --- 10-phoenix --------------------------------------------------------------------------


def test_10_a_reconcile_loop_brings_killed_and_hand_edited_servers_back(student: str) -> None:
    student = student
    env = {"LAB_STUDENT": student}
    workspace = workspace_of(lab("start", "10", env=env))
    lab("build", "v2", env=env)
    lab("deploy", "v2", env=env)
    watch = subprocess.Popen(
        [sys.executable, "-m", "lab", "reconcile", "--watch", "--drift-every", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", **env})
    try:
        killed = lab("chaos", "--kill", "1", env=env).stdout
        victim = re.search(r"^(web\d): killed and removed", killed, re.MULTILINE)
        assert victim, killed
        server = victim.group(1)
        wait_for(lambda: http(student, PHOENIX, server, "/health") == (200, "ok\n"),
                 f"{server} answering /health again", watch)
        back = container(student, PHOENIX, server)
        wait_for(lambda: repaired(student, server, back), f"{server}'s repair recorded", watch)

        edited = container(student, PHOENIX, "web3")
        lab("chaos", "--edit", "web3", env=env)
        wait_for(lambda: container(student, PHOENIX, "web3") not in ("", edited),
                 "web3 replaced by a new container", watch)
        new = container(student, PHOENIX, "web3")
        wait_for(lambda: repaired(student, "web3", new), "web3's repair recorded", watch)
        assert "hotfixed by hand" not in http(student, PHOENIX, "web3", "/")[1]
    finally:
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, (out, err)
    assert f"{server}: missing; recreated, healthy in" in out
    assert "web3: drifted from its image; replaced, healthy in" in out

    # The shortcut that passed before: the chaos and the loop, then `lab check`. Now the
    # servers nothing broke still run the deployment's containers, and no account is written.
    untouched = sorted({"web1", "web2", "web3", "web4"} - {server, "web3"})
    before = lab("check", env=env, exit_code=1).stdout
    assert f"{untouched[0]} still runs container " in before
    assert "nothing broke it, so the loop left it alone" in before
    # The tutorial's victims copied instead of one's own.
    account = workspace / "repairs.yaml"
    account.write_text("web1: missing\nweb2: missing\nweb3: drifted\n")
    wrong = next(name for name in ("web1", "web2") if name != server)
    assert (f"repairs.yaml says the loop remade {wrong} (missing), but it did not since your "
            "last deployment") in lab("check", env=env, exit_code=1).stdout
    reasons = {server: ["missing"], "web3": ["drifted"]} if server != "web3" \
        else {"web3": ["missing", "drifted"]}
    account.write_text("".join(f"{name}: [{', '.join(why)}]\n" for name, why in reasons.items()))

    time.sleep(2)  # a container's creation time is counted in whole seconds
    old = {name: container(student, PHOENIX, name) for name in ("web1", "web2", "web3", "web4")}
    rotated = lab("reconcile", "--max-age", "1s", env=env).stdout
    for name, before_id in old.items():
        assert re.search(rf"^{name}: older than 1s \(made \d+s ago\); replaced, healthy in",
                         rotated, re.MULTILINE), rotated
        assert container(student, PHOENIX, name) not in ("", before_id)
        assert http(student, PHOENIX, name, "/health") == (200, "ok\n")
    assert "6/6 goals hold" in lab("check", env=env).stdout


# --- 11-state-outside --------------------------------------------------------------------


def test_11_entries_vanish_with_replaced_servers_and_outlive_them_on_a_named_volume(
        student: str) -> None:
    student = student
    env = {"LAB_STUDENT": student}
    lab("start", "11", env=env)
    lab("build", "v1", env=env)
    lab("deploy", "v1", env=env)
    lost = lab("check", env=env, exit_code=1).stdout
    assert ("web1: the entry written before the replacement is gone: it was kept on its "
            "container's own disk") in lost

    # The shortcut that passed before: a volume over all of /var/lib keeps the entries, and
    # an old copy of every package's files there too.
    lab("deploy", "v1", "--volume", "data:/var/lib", env=env)
    broad = lab("check", env=env, exit_code=1).stdout
    assert "2/3 goals hold" in broad
    assert (f"web1: the volume lab-{student}-{STATE}-data is mounted at /var/lib, over far "
            "more than the guestbook's data") in broad

    lab("deploy", "v1", "--volume", "guestbook:/var/lib/guestbook", env=env)
    assert "3/3 goals hold" in lab("check", env=env).stdout
    assert http(student, STATE, "web1", "/entries/ada", "PUT", b"Hello from Ada\n")[0] == 201
    lab("deploy", "v1", env=env)  # the volume is in the desired state: kept without --volume
    assert http(student, STATE, "web2", "/entries/ada") == (200, "Hello from Ada\n"), \
        "every server mounts the one volume"

    volume = f"lab-{student}-{STATE}-guestbook"
    [details] = json.loads(docker("volume", "inspect", volume))
    assert details["Labels"]["lab.student"] == student
    assert details["Labels"]["lab.exercise"] == STATE
    lab("reset", "--all", env=env)
    assert docker("volume", "ls", "--quiet", "--filter", f"label=lab.student={student}") == ""
