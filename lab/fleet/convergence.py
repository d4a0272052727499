"""Bringing an exercise's fleet to the containers it should have: kept, started, created or
removed, until every server lets the lab in over SSH."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lab.deploy.balancer import LB_ROLE
from lab.docker import labels
from lab.docker.containers import ContainerInfo, ContainerSpec
from lab.errors import LabError
from lab.exercises.schema import Exercise
from lab.fleet.engine import DOCKER, FleetEngine
from lab.fleet.members import fleet_containers, targets
from lab.fleet.specs import KEY_LABEL, SERVER_ROLE, SSH_PORT, Names, desired, key_fingerprint
from lab.fleet.teardown import in_parallel, stop_others
from lab.settings import Settings

Report = Callable[[str], None]


@dataclass(frozen=True)
class Converged:
    containers: list[ContainerInfo]
    fresh: bool  # every container was created just now (nothing was kept)


def converge(exercise: Exercise, settings: Settings, report: Report,
             engine: FleetEngine = DOCKER) -> Converged:
    """Make the fleet exist and run, keeping what already does; then wait for SSH.

    Safe to repeat and safe after an interruption: a container that exists is kept (a
    stopped one is started), a missing one is created, one the exercise no longer has is
    removed. Other exercises of the same student are stopped first.
    """
    names = Names(settings.student, exercise.id)
    stop_others(settings, keep=exercise.id, engine=engine)
    public_key = engine.server_key(settings)
    engine.ensure_network(names.network, names.labels("network"))
    specs = desired(exercise, settings, public_key)
    existing = {info.name: info for info in fleet_containers(settings, exercise.id, engine)}
    if _foreign_key(existing.values(), key_fingerprint(public_key)):
        # Made for another lab home's key (a new LAB_HOME, a deleted data folder): the lab
        # could never log in. The whole fleet is made again, so it is provisioned afresh.
        report(f"the servers of {exercise.id} were made with another SSH key; recreating them")
        in_parallel([partial(engine.remove, info.id) for info in existing.values()])
        existing = {}
    # A lost load balancer needs no set-up (its backends are registered after every start).
    missing = [spec.name for spec in specs if spec.name not in existing
               and spec.labels.get(labels.ROLE) != LB_ROLE]
    if existing and missing and _set_up_at_start(exercise) and not _deployed(specs):
        # Some containers were lost (removed by hand, `docker rm`): the ones made now would
        # miss what the lab did at the first start (publishing, provisioning, faults), so
        # the whole fleet is made again, the same way as the first time.
        report(f"{', '.join(missing)} of {exercise.id} went missing; recreating the fleet")
        in_parallel([partial(engine.remove, info.id) for info in existing.values()])
        existing = {}
    for extra in set(existing) - {spec.name for spec in specs}:
        engine.remove(existing[extra].id)
    in_parallel([partial(_converge_one, engine, spec, existing.get(spec.name), report,
                         settings.private_key) for spec in specs])
    infos = fleet_containers(settings, exercise.id, engine)
    targets(infos)  # every server runs and publishes its SSH port (each one was waited for)
    kept = set(existing) & {spec.name for spec in specs}
    return Converged(infos, fresh=not kept)


def _deployed(specs: Sequence[ContainerSpec]) -> bool:
    """Servers made from a deployed image need no set-up: a lost one is simply made again."""
    return any(spec.volumes or spec.image.startswith("sha256:") for spec in specs)


def _set_up_at_start(exercise: Exercise) -> bool:
    spec = exercise.spec
    return bool(spec.publish or spec.provision or spec.faults)


def _foreign_key(infos: Iterable[ContainerInfo], fingerprint: str) -> bool:
    return any(info.labels.get(labels.ROLE) == SERVER_ROLE
               and info.labels.get(KEY_LABEL) != fingerprint for info in infos)


def _converge_one(engine: FleetEngine, spec: ContainerSpec, found: ContainerInfo | None,
                  report: Report, key: Path) -> None:
    """Bring one container to running, then, for a server, wait until its sshd lets the lab
    in: each server is waited for while the others are still being created."""
    container_id = found.id if found else None
    if found is None:
        container_id = engine.create(spec)
    elif not found.running:
        report(f"{spec.name} was {found.state}; starting it again")
        try:
            engine.start(found.id)
        except LabError:  # e.g. its network was pruned: make it again
            engine.remove(found.id)
            container_id = engine.create(spec)
    if SSH_PORT in spec.ports and container_id:
        engine.wait_for_ssh(spec.labels[labels.SERVER], container_id, key)
