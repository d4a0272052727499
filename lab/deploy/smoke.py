"""The smoke test of a built image: run one throwaway container from it, ask /health, and
run a few probe commands in it, before any server is replaced with it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from lab.deploy import health
from lab.docker import containers, labels
from lab.docker.containers import ContainerSpec
from lab.errors import LabError
from lab.settings import Settings

SMOKE_ROLE = "smoke"
SMOKE_TIMEOUT = 20.0


@dataclass(frozen=True)
class SmokeResult:
    healthy: bool
    detail: str  # what /health said, or why it said nothing
    outputs: dict[str, str] = field(default_factory=dict)  # probe command -> its stdout


def run(settings: Settings, exercise_id: str, image_id: str,
        probes: Sequence[str] = ()) -> SmokeResult:
    """Start the image on the default network (it needs nothing from the fleet), judge it,
    remove it: the lab's labels make sure nothing is left behind even after a crash."""
    spec = ContainerSpec(
        name=f"lab-{settings.student}-{exercise_id}-smoke-{uuid.uuid4().hex[:6]}",
        image=image_id,
        labels=labels.managed(student=settings.student, exercise=exercise_id, role=SMOKE_ROLE),
        network="bridge",
        hostname="smoke",
        ports=(health.HTTP_PORT,),
    )
    container_id = containers.create_and_start(spec)
    try:
        verdict = health.wait_healthy(container_id, SMOKE_TIMEOUT)
        outputs = _probe(container_id, probes)
    finally:
        containers.remove(container_id)
    return SmokeResult(verdict.ok, verdict.detail, outputs)


def _probe(container_id: str, probes: Sequence[str]) -> dict[str, str]:
    outputs = {}
    for probe in probes:
        try:
            outputs[probe] = containers.exec_run(container_id, probe).stdout
        except LabError:  # the container exited: its health verdict says why
            outputs[probe] = ""
    return outputs
