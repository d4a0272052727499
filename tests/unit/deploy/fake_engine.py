"""An FleetEngine (lab.fleet.engine) in memory, for converging fleets and rolling releases out
without Docker: containers with their labels and image, networks, the balancer's reloads, and
everything done in order."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from lab import fleet
from lab.deploy.balancer import Backend
from lab.deploy.health import Health
from lab.docker import labels
from lab.docker.containers import ContainerInfo, ContainerSpec, PortBinding
from lab.errors import StateError
from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise
from lab.progress import Progress, ProgressStore
from lab.settings import Settings

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOfTheLab lab"
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Reload:
    """One change of the balancer's backends: each backend's container and its image."""

    containers: tuple[str, ...]
    images: tuple[str, ...]
    weights: tuple[int, ...]


@dataclass
class FakeEngine:
    """Containers made from an image in `unhealthy` fail their health check; the others pass."""

    unhealthy: set[str] = field(default_factory=set)
    key: str = KEY
    found: dict[str, ContainerInfo] = field(default_factory=dict)  # by id
    networks_made: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    reloads: list[Reload] = field(default_factory=list)
    done: list[tuple[str, str]] = field(default_factory=list)  # ("create", name), ...
    ssh_waited: list[str] = field(default_factory=list)  # servers, as each was waited for
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- setting the scene ----------------------------------------------------------------

    def by_name(self, name: str) -> ContainerInfo:
        return next(info for info in self.found.values() if info.name == name)

    def stop(self, name: str) -> None:
        info = self.by_name(name)
        self.found[info.id] = replace(info, state="exited")

    def images(self, role: str = "server") -> dict[str, str]:
        """Each server's container name and image, of the containers there now."""
        return {info.name: info.image_id for info in sorted(self.found.values(),
                                                             key=lambda info: info.name)
                if info.labels.get(labels.ROLE) == role}

    # -- the FleetEngine -----------------------------------------------------------------------

    def containers(self, **label_values: str) -> list[ContainerInfo]:
        wanted = labels.managed(**label_values).items()
        with self._lock:
            return sorted((info for info in self.found.values()
                           if wanted <= info.labels.items()), key=lambda info: info.name)

    def exists(self, container_id: str) -> bool:
        return container_id in self.found

    def address(self, container_id: str, network: str) -> str:
        if container_id not in self.found:
            raise StateError(f"{container_id} has no address on the network {network}")
        return f"10.0.{int(container_id[1:]) // 250}.{int(container_id[1:]) % 250 + 2}"

    def networks(self, **label_values: str) -> list[tuple[str, str]]:
        wanted = labels.managed(**label_values).items()
        return [(network_id, name) for network_id, (name, made) in self.networks_made.items()
                if wanted <= made.items()]

    def create(self, spec: ContainerSpec) -> str:
        with self._lock:
            if any(info.name == spec.name for info in self.found.values()):
                raise StateError(f"the name {spec.name} is in use")
            container_id = f"c{next(self._ids)}"
            ports = tuple(PortBinding(f"{port}/tcp", "127.0.0.1", 40000 + len(self.done))
                          for port in spec.ports)
            self.found[container_id] = ContainerInfo(
                container_id, spec.name, spec.image, spec.image, labels.for_container(spec.labels),
                "running", "Up", CREATED, ports)
            self.done.append(("create", spec.name))
        return container_id

    def start(self, container_id: str) -> None:
        with self._lock:
            self.found[container_id] = replace(self.found[container_id], state="running")
            self.done.append(("start", self.found[container_id].name))

    def remove(self, container_id: str) -> None:
        with self._lock:
            gone = self.found.pop(container_id, None)
            if gone is not None:
                self.done.append(("remove", gone.name))

    def rename(self, container_id: str, name: str) -> None:
        with self._lock:
            if any(info.name == name for info in self.found.values()):
                raise StateError(f"the name {name} is in use")
            self.found[container_id] = replace(self.found[container_id], name=name)

    def ensure_network(self, name: str, network_labels: dict[str, str]) -> None:
        if all(made_name != name for made_name, _ in self.networks_made.values()):
            self.networks_made[f"n{next(self._ids)}"] = (name, network_labels)

    def remove_network(self, network_id: str) -> None:
        self.networks_made.pop(network_id, None)

    def server_key(self, settings: Settings) -> str:
        return self.key

    def wait_for_ssh(self, server: str, container_id: str, key: Path) -> None:
        with self._lock:
            self.ssh_waited.append(server)

    def wait_healthy(self, container_id: str, timeout: float = 30.0) -> Health:
        if self.found[container_id].image_id in self.unhealthy:
            return Health(False, "/health answered 'fail'")
        return Health(True, "answered ok")

    def wait_answering(self, container_id: str) -> Health:
        return Health(True, "answered ok")

    def set_backends(self, balancer_id: str, backends: Sequence[Backend]) -> None:
        by_address = {self.address(info.id, ""): info for info in self.found.values()}
        chosen = [by_address[backend.address] for backend in backends]
        self.reloads.append(Reload(tuple(info.id for info in chosen),
                                   tuple(info.image_id for info in chosen),
                                   tuple(backend.weight for backend in backends)))

    def backends(self, balancer_id: str) -> list[Backend]:
        if not self.reloads:
            return []
        last = self.reloads[-1]
        return [Backend(self.found[container_id].labels.get(labels.SERVER, container_id),
                        self.address(container_id, ""), weight)
                for container_id, weight in zip(last.containers, last.weights, strict=True)]


def start(settings: Settings, exercise_id: str, engine: FakeEngine) -> Exercise:
    """The learner started the exercise (as far as their progress says) and its fleet runs:
    made by lab.fleet.converge on the fake engine, of the lab's own server image."""
    exercise = Catalogue.of(settings).load(exercise_id)
    ProgressStore.of(settings).save(Progress().started(exercise_id))
    fleet.converge(exercise, settings, lambda _: None, engine)
    return exercise
