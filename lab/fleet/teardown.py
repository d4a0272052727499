"""Taking fleets down: one exercise's containers and network, its deployments' record and
volumes, the student's other exercises, or everything the lab made."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from lab.deploy.state import StateStore
from lab.docker import containers, labels
from lab.fleet.engine import DOCKER, FleetEngine
from lab.parallel import map_in_threads
from lab.settings import Settings

PARALLEL = 16


def in_parallel(jobs: Sequence[Callable[[], object]]) -> None:
    map_in_threads(lambda job: job(), jobs, workers=PARALLEL, name="fleet")


def stop(settings: Settings, exercise_id: str, engine: FleetEngine = DOCKER) -> int:
    """Remove the exercise's containers and network; returns how many containers went."""
    infos = engine.containers(student=settings.student, exercise=exercise_id)  # standby too
    in_parallel([partial(engine.remove, info.id) for info in infos])
    for network_id, _ in engine.networks(student=settings.student, exercise=exercise_id):
        engine.remove_network(network_id)
    return len(infos)


def stop_others(settings: Settings, keep: str, engine: FleetEngine = DOCKER) -> list[str]:
    """Stop every other exercise of this student; returns the exercises stopped."""
    others = {info.labels.get(labels.EXERCISE, "") for info in
              engine.containers(student=settings.student)} - {keep, ""}
    others |= {name.removeprefix(f"lab-{settings.student}-") for _, name in
               engine.networks(student=settings.student)} - {keep}
    for exercise_id in sorted(others):
        stop(settings, exercise_id, engine)
    return sorted(others)


def forget_deployments(settings: Settings, exercise_id: str) -> int:
    """The exercise as before any `lab deploy`: no desired image, no history, and none of its
    named volumes (the data its servers kept); returns how many volumes went."""
    StateStore.of(settings, exercise_id).forget()
    volumes = containers.find_volumes(student=settings.student, exercise=exercise_id)
    for volume in volumes:
        containers.remove_volume(volume)
    return len(volumes)


def remove_everything(student: str | None) -> dict[str, int]:
    """Every lab container, network and volume (of one student, or of all): by label only."""
    selector = {"student": student} if student else {}
    infos = containers.find(**selector)
    in_parallel([partial(containers.remove, info.id) for info in infos])
    networks = containers.find_networks(**selector)
    for network_id, _ in networks:
        containers.remove_network(network_id)
    volumes = containers.find_volumes(**selector)
    for volume in volumes:
        containers.remove_volume(volume)
    return {"containers": len(infos), "networks": len(networks), "volumes": len(volumes)}
