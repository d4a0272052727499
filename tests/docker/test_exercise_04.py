"""Exercise 04 on a real engine: the upgrade leaves two servers half configured, as its
tutorial says.

Each test works as its own student (a unique LAB_STUDENT) and removes what it made by the
`lab.student` label, and nothing else.
"""

from __future__ import annotations

import json

import pytest

from tests.docker.exercise_steps import lab, on, page, states, webs

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

HALF = "04-half-configured"


# --- 04: half-configured -----------------------------------------------------------------


def test_half_configured_servers_are_if_and_still_serve_the_old_page(student: str) -> None:
    env = {"LAB_STUDENT": student}
    lab("start", "04", env=env)

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
