"""The fleet report: every server compared with its image, all servers and images at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from lab import fleet
from lab.docker import containers
from lab.dpkg import Package
from lab.drift.baseline import ImageBaseline
from lab.drift.files import file_findings
from lab.drift.findings import Finding, FleetDrift, Server, ServerDrift, in_listing_order
from lab.drift.observe import Observation, fingerprinted, observe, to_compare
from lab.drift.packages import held_findings, package_findings, package_spread, repackaged
from lab.drift.paths import PathFacts
from lab.drift.sources import PARALLEL, DockerSources, Sources
from lab.errors import StateError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.docker.containers import ContainerInfo
    from lab.exercises.schema import Exercise

# Finds an exercise and its containers (lab.learner.running: the current one's); StateError
# when there is none to look at.
Running = Callable[[], tuple["Exercise", Sequence["ContainerInfo"]]]


def exercise_drift(settings: Settings, running: Running,
                   servers: Sequence[str] | None = None) -> FleetDrift:
    """What changed on the servers of the exercise `running` finds (or those named) since
    their image."""
    with DockerSources(settings) as sources:
        # Loading an exercise takes about as long as the engine needs for a diff: the
        # student's servers are diffed meanwhile.
        sources.prefetch(partial(_running_servers, settings, servers))
        exercise, infos = running()
        chosen = [as_server(info) for info in fleet.pick(infos, servers)]
        return drift_of(chosen, sources, settings.cache_dir, exercise.id)


def as_server(info: ContainerInfo) -> Server:
    """The server a running lab container is; StateError when it is not running."""
    name = fleet.server_name(info)
    if not info.running:
        raise StateError(f"server {name} is {info.state}", "Run `lab start` to bring it back.")
    return Server(name, info.id, info.image, info.image_id)


def _running_servers(settings: Settings, names: Sequence[str] | None) -> list[str]:
    """Container ids of the student's running servers (of any exercise: normally one)."""
    return [info.id for info in containers.find(student=settings.student, role=fleet.SERVER_ROLE)
            if info.running and (not names or fleet.server_name(info) in names)]


def findings_of(observation: Observation, image_packages: Mapping[str, Package],
                image_paths: Mapping[str, PathFacts]) -> tuple[Finding, ...]:
    """Every finding of one server, packages first, in a stable order."""
    moved = repackaged(image_packages, observation.packages)
    return in_listing_order([
        *package_findings(image_packages, observation.packages),
        *held_findings(observation.holds, image_packages, observation.packages),
        *file_findings(observation, moved, image_paths),
    ])


def drift_of(servers: Sequence[Server], sources: Sources, cache_dir: Path,
             exercise_id: str = "") -> FleetDrift:
    """Compare each server with its image, all servers and images in parallel.

    Two rounds: each server's diff, packages and dpkg's word on its changed files; then,
    for the changed files no package change explains, their fingerprints on the server
    and in the image.
    """
    baselines = {server.image_id: ImageBaseline(server.image_id, cache_dir, sources)
                 for server in servers}
    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="drift") as pool:
        packages = {image_id: pool.submit(baseline.packages)
                    for image_id, baseline in baselines.items()}
        image_packages = {image_id: future.result() for image_id, future in packages.items()}
        seen = [pool.submit(observe, sources, server, image_packages[server.image_id])
                for server in servers]
        observed = [future.result() for future in seen]
        compared = [to_compare(observation, repackaged(
            image_packages[observation.server.image_id], observation.packages))
            for observation in observed]
        seen = [pool.submit(fingerprinted, sources, observation, paths)
                for observation, paths in zip(observed, compared, strict=True)]
        facts = {image_id: pool.submit(baselines[image_id].facts, paths)
                 for image_id, paths in _image_paths_to_ask(observed, compared).items()}
        observed = [future.result() for future in seen]
        image_paths = {image_id: future.result() for image_id, future in facts.items()}
    drifts = tuple(
        ServerDrift(observation.server, findings_of(
            observation, image_packages[observation.server.image_id],
            image_paths[observation.server.image_id]))
        for observation in observed)
    spread = package_spread({observation.server.name: observation.packages
                             for observation in observed})
    return FleetDrift(exercise_id, drifts, tuple(spread))


def _image_paths_to_ask(observed: Sequence[Observation],
                        compared: Sequence[Sequence[str]]) -> dict[str, set[str]]:
    """Per image: the changed paths to compare, and the deleted ones to find owners for."""
    asked: dict[str, set[str]] = {}
    for observation, paths in zip(observed, compared, strict=True):
        deleted = {change.path for change in observation.changes if change.kind == "D"}
        asked.setdefault(observation.server.image_id, set()).update(paths, deleted)
    return asked
