"""The deployment strategies (Elastic Beanstalk's five policies and blue/green) on a real
engine, measured by the probe through the load balancer, as `lab deploy IMAGE --strategy S
--json` reports them: what users saw during a good release (webapp 2.0 over 1.0) and a bad
one (3.0, whose /health says fail).

One fleet of four servers behind the balancer serves the whole module (its start and the
three builds are the slow part); each test first brings it back to v1 with a plain
`lab deploy v1`. The module's own student is removed by label at the end.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.docker.conftest import docker, remove_student
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "12-strategies-test"
SERVERS = 4
CATALOGUE = Path(__file__).resolve().parents[2] / "exercises"
YAML = f"""\
format_version: 1
id: {EXERCISE}
title: Strategies test
summary: Used by tests/docker/test_strategies.py.
load_balancer: true
servers:
  - {{name: web, count: {SERVERS}}}
publish: [webapp 1.0, webapp 2.0, webapp 3.0, libwebapp 1.0]
checks:
  - {{kind: http, goal: every server answers, port: 80, path: /version, contains: "."}}
"""
DOCKERFILE = """\
ARG SERVER_IMAGE=immutable-lab/server:latest
FROM ${SERVER_IMAGE}
ARG WEBAPP_VERSION=2.0
RUN apt-get update && apt-get install -y webapp=${WEBAPP_VERSION} && apt-get clean \\
 && rm -rf /var/lib/apt/lists/*
LABEL version="${WEBAPP_VERSION}"
"""


@dataclass(frozen=True)
class Fleet:
    student: str
    env: dict[str, str]


@dataclass(frozen=True)
class Measured:
    """`lab deploy --json`'s document, and the exit code."""

    exit_code: int
    strategy: str
    summary: dict[str, Any]
    markers: list[dict[str, Any]]
    samples: list[dict[str, Any]]


def lab(*args: str, env: dict[str, str], exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, lab_images: None) -> Iterator[Fleet]:
    """Four servers behind the balancer, v1 (webapp 1.0), v2 (2.0) and v3 (3.0) built."""
    catalogue = tmp_path_factory.mktemp("catalogue")
    shutil.copytree(CATALOGUE / "packages", catalogue / "packages")
    (catalogue / EXERCISE / "workspace").mkdir(parents=True)
    (catalogue / EXERCISE / "exercise.yaml").write_text(YAML)
    (catalogue / EXERCISE / "workspace" / "Dockerfile").write_text(DOCKERFILE)
    student = f"t{uuid.uuid4().hex[:8]}"
    # Its own LAB_HOME too: each test's own (tests/conftest.py) would forget the started exercise.
    env = {"LAB_STUDENT": student, "LAB_EXERCISES": str(catalogue),
           "LAB_HOME": str(tmp_path_factory.mktemp("home"))}
    try:
        lab("start", EXERCISE, env=env)
        lab("build", "v1", "--build-arg", "WEBAPP_VERSION=1.0", env=env)
        lab("build", "v2", env=env)
        lab("build", "v3", "--build-arg", "WEBAPP_VERSION=3.0", env=env)
        yield Fleet(student, env)
    finally:
        remove_student(student)


def on_v1(fleet: Fleet) -> dict[str, str]:
    """The fleet back on v1 (a plain `lab deploy v1`); its server containers by name."""
    lab("deploy", "v1", env=fleet.env)
    servers = containers(fleet)
    assert len(servers) == SERVERS, servers
    return servers


def containers(fleet: Fleet) -> dict[str, str]:
    """Every running server container of the fleet (standby included): name -> id."""
    listed = docker("ps", "--no-trunc", "--filter", f"label=lab.student={fleet.student}",
                    "--filter", "label=lab.role=server", "--format", "{{.Names}} {{.ID}}")
    return dict(line.split() for line in listed.splitlines())


def deploy(fleet: Fleet, *args: str, exit_code: int = 0) -> Measured:
    result = lab("deploy", *args, "--json", env=fleet.env, exit_code=exit_code)
    return measured(result)


def measured(result: subprocess.CompletedProcess[str]) -> Measured:
    document = json.loads(result.stdout)  # stdout is the JSON document and nothing else
    return Measured(result.returncode, document["strategy"], document["summary"],
                    document["markers"], document["samples"])


def shown(run: Measured) -> str:
    """The figures a failed assertion shows."""
    keys = ("requests", "failed", "failed_by_status", "longest_error_window", "mixed_seconds",
            "min_backends", "max_backends", "deploy_seconds", "versions")
    return json.dumps({key: run.summary.get(key) for key in keys}
                      | {"markers": [(round(m["at"], 2), m["backends"], m["note"])
                                     for m in run.markers]})


def longest_gap(run: Measured) -> float:
    """The longest time between two successful answers, by send time."""
    times = sorted(sample["sent"] for sample in run.samples if sample["status"] == 200)
    return max((later - earlier for earlier, later in itertools.pairwise(times)), default=0.0)


def test_all_at_once_of_a_good_release_has_an_outage(fleet: Fleet) -> None:
    on_v1(fleet)
    run = deploy(fleet, "v2", "--strategy", "all-at-once")

    gap = longest_gap(run)
    assert run.summary["failed"] > 0 or gap > 0.5, shown(run)
    assert run.summary["min_backends"] == 0, shown(run)
    assert run.samples[-1]["version"] == "2.0"
    print(f"\nall at once: {run.summary['failed']} of {run.summary['requests']} failed "
          f"({run.summary['failed_by_status']}), longest gap {gap:.2f} s")


def test_rolling_serves_two_versions_on_fewer_servers_and_loses_nothing(fleet: Fleet) -> None:
    on_v1(fleet)
    run = deploy(fleet, "v2", "--strategy", "rolling")

    assert run.summary["failed"] == 0, shown(run)
    assert run.summary["mixed_seconds"] > 0, shown(run)
    assert run.summary["min_backends"] < SERVERS, shown(run)
    assert set(run.summary["versions"]) == {"1.0", "2.0"}
    print(f"\nrolling: 0 of {run.summary['requests']} failed, "
          f"{run.summary['mixed_seconds']} s mixed, backends {run.summary['min_backends']}"
          f"..{run.summary['max_backends']}")


def test_rolling_with_an_additional_batch_never_drops_below_full_capacity(
        fleet: Fleet) -> None:
    on_v1(fleet)
    run = deploy(fleet, "v2", "--strategy", "rolling-batch", "--batch", "2")

    assert run.summary["failed"] == 0, shown(run)
    assert run.summary["min_backends"] >= SERVERS, shown(run)
    assert run.summary["max_backends"] == SERVERS + 2, shown(run)
    assert len(containers(fleet)) == SERVERS  # the extra batch is gone
    print(f"\nrolling-batch: 0 of {run.summary['requests']} failed, backends "
          f"{run.summary['min_backends']}..{run.summary['max_backends']}")


def test_immutable_leaves_the_old_servers_untouched_by_a_bad_release(fleet: Fleet) -> None:
    before = on_v1(fleet)
    bad = deploy(fleet, "v3", "--strategy", "immutable", exit_code=1)

    assert containers(fleet) == before, "the old servers are the same containers"
    assert bad.summary["failed"] == 0, shown(bad)
    assert set(bad.summary["versions"]) == {"1.0"}, shown(bad)

    good = deploy(fleet, "v2", "--strategy", "immutable")
    assert good.summary["failed"] == 0, shown(good)
    assert good.summary["max_backends"] == 2 * SERVERS, shown(good)
    after = containers(fleet)
    assert sorted(after) == sorted(before) and not set(after.values()) & set(before.values())
    print(f"\nimmutable: bad release 0 of {bad.summary['requests']} failed, old servers "
          f"untouched; good release 0 of {good.summary['requests']} failed")


def test_traffic_splitting_sends_the_old_servers_back_their_traffic(fleet: Fleet) -> None:
    before = on_v1(fleet)
    bad = deploy(fleet, "v3", "--strategy", "traffic-split", "--canary", "25", "--evaluate",
                 "3", exit_code=1)

    assert containers(fleet) == before, "the old servers are the same containers"
    assert bad.summary["failed"] == 0, shown(bad)
    notes = [marker["note"] for marker in bad.markers]
    assert "traffic back to the old servers only" in notes, shown(bad)

    good = deploy(fleet, "v2", "--strategy", "traffic-split", "--canary", "25", "--evaluate",
                  "2")
    assert good.summary["failed"] == 0, shown(good)
    assert set(good.summary["versions"]) == {"1.0", "2.0"}, shown(good)
    print(f"\ntraffic-split: bad release 0 of {bad.summary['requests']} failed "
          f"({bad.summary['versions']}), old servers untouched; good release 0 of "
          f"{good.summary['requests']} failed")


def test_blue_green_switches_in_one_step_and_back_in_one_step(fleet: Fleet) -> None:
    blue = on_v1(fleet)
    green = deploy(fleet, "v2", "--strategy", "blue-green")

    assert green.summary["failed"] == 0, shown(green)
    standby = containers(fleet)
    assert {name: standby[name + "-blue"] for name in blue} == blue, "blue waits on standby"

    back = measured(lab("rollback", "--json", env=fleet.env))
    assert back.strategy == "switch back", "a switch back is not a rolling deployment"
    changes = [marker for marker in back.markers if marker["note"] != "before"]
    assert [marker["note"] for marker in changes] == ["the balancer switched back to blue"], \
        shown(back)
    assert back.summary["failed"] == 0, shown(back)
    assert back.summary["rollback_seconds"] is not None
    assert containers(fleet) == blue, "the fleet is blue's own containers again"
    print(f"\nblue/green: switch 0 of {green.summary['requests']} failed; switch back in one "
          f"balancer change, {back.summary['rollback_seconds']} s, 0 of "
          f"{back.summary['requests']} failed")
