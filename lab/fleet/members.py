"""Which containers make up an exercise's fleet now: its servers (SSH targets of them), its
load balancer, and the backends it is given: every server that runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lab.deploy.balancer import LB_ROLE, Backend
from lab.deploy.state import StateStore
from lab.docker import labels
from lab.docker.containers import ContainerInfo
from lab.errors import StateError, UsageError
from lab.fleet.engine import DOCKER, FleetEngine
from lab.fleet.specs import SERVER_ROLE, SSH_PORT, Names
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.ssh import Target


def fleet_containers(settings: Settings, exercise_id: str,
                     engine: FleetEngine = DOCKER) -> list[ContainerInfo]:
    """The exercise's containers, without a blue/green standby (which only rollback uses)."""
    found = engine.containers(student=settings.student, exercise=exercise_id)
    standby = standby_ids(settings, exercise_id) if found else frozenset()
    return [info for info in found if info.id not in standby]


def servers(settings: Settings, exercise_id: str,
            engine: FleetEngine = DOCKER) -> list[ContainerInfo]:
    """The exercise's server containers (not its repository, nor a blue/green standby), in
    name order."""
    return [info for info in fleet_containers(settings, exercise_id, engine)
            if info.labels.get(labels.ROLE) == SERVER_ROLE]


def standby_ids(settings: Settings, exercise_id: str) -> frozenset[str]:
    """The containers a blue/green switch set aside: kept, but not part of the fleet."""
    return frozenset(StateStore.of(settings, exercise_id).load().standby)


def server_name(info: ContainerInfo) -> str:
    return info.labels.get(labels.SERVER, info.name)


def targets(infos: Sequence[ContainerInfo]) -> list[Target]:
    """SSH targets of running servers: 127.0.0.1 and the port published for 22."""
    from lab.ssh import Target  # fabric and paramiko: `lab status` never needs them

    found = []
    for info in infos:
        if info.labels.get(labels.ROLE) != SERVER_ROLE:
            continue
        port = info.host_port(SSH_PORT)
        if not info.running or port is None:
            raise StateError(f"server {server_name(info)} is {info.state}",
                             "Run `lab start` to bring it back, or `lab reset`.")
        found.append(Target.local(server_name(info), port))
    return found


def pick(infos: Sequence[ContainerInfo], wanted: Sequence[str] | None) -> list[ContainerInfo]:
    """The servers named in `wanted` (all when None), refusing unknown names."""
    by_name = {server_name(info): info for info in infos
               if info.labels.get(labels.ROLE) == SERVER_ROLE}
    if not wanted:
        return list(by_name.values())
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise UsageError(f"unknown server {unknown[0]!r}",
                         f"This exercise's servers are {', '.join(by_name) or 'not running'}.")
    return [by_name[name] for name in dict.fromkeys(wanted)]  # `-s web1 -s web1`: once


def load_balancer(settings: Settings, exercise_id: str,
                  engine: FleetEngine = DOCKER) -> ContainerInfo | None:
    """The exercise's running load balancer, if it has one."""
    return next((info for info in engine.containers(
        student=settings.student, exercise=exercise_id, role=LB_ROLE) if info.running), None)


def sync_balancer(settings: Settings, exercise_id: str,
                  engine: FleetEngine = DOCKER) -> list[Backend]:
    """Register every running server of the exercise with its balancer, weight 1; returns
    them. An exercise without a running balancer has nothing to register: []."""
    lb = load_balancer(settings, exercise_id, engine)
    if lb is None:
        return []
    network = Names(settings.student, exercise_id).network
    chosen = [Backend(server_name(info), engine.address(info.id, network))
              for info in servers(settings, exercise_id, engine) if info.running]
    engine.set_backends(lb.id, chosen)
    return chosen
