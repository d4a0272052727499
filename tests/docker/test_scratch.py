"""Throwaway servers on a real engine: on the exercise's network, labelled, always removed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from lab import fleet
from lab.docker import containers
from lab.scratch import scratch_server
from lab.settings import Settings
from tests.docker.conftest import docker

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "06-provisioning-drift"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """A student of this test alone, with its exercise's network; removed by label after."""
    student = f"s{uuid4().hex[:8]}"
    names = fleet.Names(student, EXERCISE)
    containers.ensure_network(names.network, names.labels("network"))
    try:
        yield Settings(home=tmp_path, student=student)
    finally:
        selector = ["--filter", f"label=lab.student={student}"]
        ids = docker("ps", "--all", "--quiet", *selector, check=False).split()
        if ids:
            docker("rm", "--force", *ids, check=False)
        for network in docker("network", "ls", "--quiet", *selector, check=False).split():
            docker("network", "rm", network, check=False)


def of_student(student: str) -> list[str]:
    return docker("ps", "--all", "--quiet", "--filter", f"label=lab.student={student}").split()


def test_a_scratch_server_runs_on_the_exercise_network_and_is_removed(
        settings: Settings) -> None:
    with scratch_server(settings, EXERCISE) as server:
        assert "http://repo/" in server.run("cat /etc/apt/sources.list.d/lab.list").stdout
        details = json.loads(docker("inspect", server.container_id))[0]
        assert list(details["NetworkSettings"]["Networks"]) == [
            fleet.Names(settings.student, EXERCISE).network]
        assert details["Config"]["Labels"]["lab.role"] == "check"
        assert details["Config"]["Labels"]["lab.exercise"] == EXERCISE
        assert of_student(settings.student) == [server.container_id[:12]]
    assert of_student(settings.student) == []


def test_it_is_removed_when_the_block_fails(settings: Settings) -> None:
    with pytest.raises(RuntimeError), scratch_server(settings, EXERCISE) as server:
        assert server.run("true").ok
        raise RuntimeError("a check broke")
    assert of_student(settings.student) == []
