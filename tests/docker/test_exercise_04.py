"""Exercise 04 on a real engine: the upgrade leaves two servers half configured, as its
tutorial says.

Each test works as its own student (a unique LAB_STUDENT) and removes what it made by the
`lab.student` label, and nothing else.
"""

from __future__ import annotations

import json

import pytest

from tests.docker.exercise_steps import lab, on, page, states, webs, workspace_of
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

HALF = "04-half-configured"
REPORT_GOAL = "why.txt names the half-configured servers and what stopped their postinst"


# --- 04: half-configured -----------------------------------------------------------------


def test_half_configured_servers_are_if_and_still_serve_the_old_page(student: str) -> None:
    env = {"LAB_STUDENT": student}
    workspace = workspace_of(lab("start", "04", env=env))

    assert states(student, HALF, webs(5)) == {
        server: f"libwebapp=1.0:ii webapp=2.0:{'iF' if server in ('web2', 'web4') else 'ii'}"
        for server in webs(5)}
    assert {server: page(student, HALF, server, "/version") for server in webs(5)} == {
        "web1": "2.0", "web2": "1.0", "web3": "2.0", "web4": "1.0", "web5": "2.0"}
    assert {page(student, HALF, server, "/health") for server in webs(5)} == {"ok"}
    assert "only half configured" in on(student, HALF, "web2", "dpkg --audit")[1]
    assert on(student, HALF, "web1", "dpkg --audit")[1] == ""
    assert "refusing to configure" in on(student, HALF, "web4", "cat /var/log/apt/term.log")[1]

    served = json.loads(lab("repo", "list", "--json", env=env).stdout)["packages"]
    assert {"name": "webapp", "version": "2.0.1", "state": "published"}.items() <= next(
        row for row in served if row["version"] == "2.0.1").items()
    candidate = on(student, HALF, "web3", "apt-cache policy webapp")[1]
    assert "Candidate: 2.0\n" in candidate, "the servers' lists predate 2.0.1"

    cached = on(student, HALF, "web1", "ls /var/cache/apt/archives")[1].split()
    assert {"webapp_1.0_all.deb", "webapp_2.0_all.deb"} <= set(cached), \
        "the server image keeps downloaded packages: the tutorial's rollback needs 0 B"

    # The tutorial's words are what happened, not why: apt's log names the reason.
    (workspace / "why.txt").write_text("web2: postinst failed, iF half-configured\n"
                                       "web4: dpkg --audit says only half configured\n")
    copied = run_lab("check", env=env)
    assert copied.returncode == 1
    assert ("why.txt, web2: you wrote 'postinst failed, iF half-configured', which does not "
            "name what stopped its postinst; the line it printed just before `dpkg: error "
            "processing package webapp` does") in " ".join(copied.stdout.split())

    (workspace / "why.txt").write_text("web2: /etc/webapp/hotfix exists, the postinst refused\n"
                                       "web4: the same /etc/webapp/hotfix\n")
    lab("run", "--all", "--", "apt-get update && apt-get install -y webapp=2.0.1", env=env)
    solved = lab("check", env=env).stdout
    assert f"✓ {REPORT_GOAL}" in solved and "passed" in solved
