"""Exercise 13 on a real engine: blue/green with a green that passes its health check but
fails real requests. A fresh start fails the checks; copying `lab rollback` without reading
green's error rate (the shortcut that passed before) fails, and so does the rate over every
request instead of green's own; the steps typed as the README types them, green's rate read
from the history into decision.yaml, pass; the probe's summaries show green's latent HTTP
500s while neither switch lost a request; the fleet ends on blue's own containers, with the
entry written through green still there.

The test works as its own student and removes what it made by the `lab.student` label, the
images and the guestbook's volume included.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

ENTRY = "Hello from Ada, written through green"


def lab(*args: str, env: dict[str, str], exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def servers(student: str) -> dict[str, str]:
    """The running server containers of the exercise: name -> id."""
    listed = docker("ps", "--no-trunc", "--filter", f"label=lab.student={student}",
                    "--filter", "label=lab.role=server", "--format", "{{.Names}} {{.ID}}")
    return dict(line.split() for line in listed.splitlines())


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, ""


def test_13_switch_to_green_notice_its_errors_and_switch_back(student: str) -> None:
    env = {"LAB_STUDENT": student}
    started = lab("start", "13", env=env).stdout
    workspace = re.search(r"^Workspace: (.+)$", started, re.MULTILINE)
    assert workspace, started
    url = re.search(r"^Load balancer: (http://127\.0\.0\.1:\d+)$", started, re.MULTILINE)
    assert url, started
    fresh = lab("check", env=env, exit_code=1).stdout
    assert "0/5 goals hold" in fresh
    assert "no blue/green deployment since the exercise started" in fresh

    # Blue, with the guestbook's entries in a named volume; then green, with the latent error.
    lab("build", "v1", env=env)
    lab("deploy", "v1", "--volume", "guestbook:/var/lib/guestbook", env=env)
    blue = servers(student)
    assert len(blue) == 3
    lab("build", "v2", "--build-arg", "WEBAPP_VERSION=2.2", env=env)
    switched = lab("deploy", "v2", "--strategy", "blue-green", env=env).stdout
    assert "the balancer switched to green" in switched
    assert re.search(r"failed requests\s+│ \d+ of \d+ \(HTTP 500: \d+\)", switched), switched

    signed = subprocess.run([sys.executable, "guestbook.py", "sign", "ada", ENTRY],
                            cwd=workspace.group(1), capture_output=True, text=True,
                            env={**os.environ, **env})
    assert signed.returncode == 0 and "signed as ada" in signed.stdout, signed
    halfway = lab("check", env=env, exit_code=1).stdout
    assert "nothing switched back yet: `lab rollback`" in halfway

    # The shortcut: `lab rollback` copied from the page, green's error rate never read.
    lab("rollback", env=env)
    copied = lab("check", env=env, exit_code=1).stdout
    assert "4/5 goals hold" in copied, copied
    assert "decision.yaml: green_error_rate is not a percentage yet: read the probe's summary " \
           "of your switch to green" in " ".join(copied.split()), copied

    # What the checks read, seen directly: green's own errors, and switches that lost nothing.
    history = json.loads(lab("history", "--json", env=env).stdout)
    to_green, back = history["deployments"][-2:]
    decision = Path(workspace.group(1)) / "decision.yaml"
    seen = to_green["summary"]
    errors = seen["failed_by_status"]["500"]
    over_all = round(100 * errors / seen["requests"], 1)  # blue's answers counted too
    decision.write_text(f"green_error_rate: {over_all}\ndecision: switch back\n")
    misread = lab("check", env=env, exit_code=1).stdout
    assert "that is the failures over every request the probe sent, blue's answers " \
           "included" in " ".join(misread.split()), misread
    green_rate = round(100 * errors / (errors + seen["versions"]["2.2"]), 1)
    decision.write_text(f"green_error_rate: {green_rate}\ndecision: switch back\n")
    checked = lab("check", env=env).stdout
    assert "5/5 goals hold" in checked, checked

    assert (to_green["strategy"], back["strategy"], back["kind"]) == (
        "blue-green", "switch back", "rollback")
    for item in (to_green, back):
        summary = item["summary"]
        assert summary["failed_by_status"].get("500", 0) > 0, summary  # green's latent error
        assert summary["lost_near_changes"] == 0, summary
        assert "2.2" in summary["versions"], summary
    assert servers(student) == blue, "blue's own containers serve again"
    assert not history["standby"]
    assert get(f"{url.group(1)}/entries/ada") == (200, ENTRY + "\n")
    assert get(f"{url.group(1)}/version") == (200, "2.0\n")
    print(f"\ngreen's latent errors: {to_green['summary']['failed_by_status']} of "
          f"{to_green['summary']['requests']} during the switch, "
          f"{back['summary']['failed_by_status']} of {back['summary']['requests']} during "
          "the switch back; none lost to either switch")

