"""What fleets and rollouts ask of the container engine, as a Protocol, and the real one over
lab.docker: converging a fleet and rolling a release out go through it, so a test can hand
them a fake engine and watch what they do."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from lab.deploy import balancer, health
from lab.deploy.balancer import Backend
from lab.deploy.health import Health
from lab.docker import containers, labels
from lab.docker.containers import ContainerInfo, ContainerSpec
from lab.fleet.specs import SSH_PORT
from lab.settings import Settings

SSH_READY_TIMEOUT = 60.0


class FleetEngine(Protocol):
    """The engine operations a fleet needs: look, make and remove, wait, route traffic."""

    # -- looking --------------------------------------------------------------------------

    def containers(self, **label_values: str) -> list[ContainerInfo]:
        """The lab's containers with these label values, running or not, in name order."""
        ...

    def exists(self, container_id: str) -> bool: ...

    def address(self, container_id: str, network: str) -> str:
        """The container's IPv4 address on that network."""
        ...

    def networks(self, **label_values: str) -> list[tuple[str, str]]:
        """The lab's networks with these label values: (id, name)."""
        ...

    # -- making and removing --------------------------------------------------------------

    def create(self, spec: ContainerSpec) -> str:
        """Create and start the container, its named volumes first; returns its id."""
        ...

    def start(self, container_id: str) -> None: ...

    def remove(self, container_id: str) -> None: ...

    def rename(self, container_id: str, name: str) -> None: ...

    def ensure_network(self, name: str, network_labels: dict[str, str]) -> None: ...

    def remove_network(self, network_id: str) -> None: ...

    # -- waiting for a new container ------------------------------------------------------

    def server_key(self, settings: Settings) -> str:
        """The public key every server is made with; the lab logs in with its private half."""
        ...

    def wait_for_ssh(self, server: str, container_id: str, key: Path) -> None:
        """Return once the server's sshd lets the lab in with `key` (StateError when it never
        does)."""
        ...

    def wait_healthy(self, container_id: str,
                     timeout: float = health.TIMEOUT_SECONDS) -> Health:
        """Its /health says ok, says something else for good, or the time is up."""
        ...

    def wait_answering(self, container_id: str) -> Health:
        """Its /health answers at all: it can take traffic, to be judged under it."""
        ...

    # -- the load balancer ----------------------------------------------------------------

    def set_backends(self, balancer_id: str, backends: Sequence[Backend]) -> None:
        """Send the balancer's traffic to these backends; returns once that is live."""
        ...

    def backends(self, balancer_id: str) -> list[Backend]: ...


class DockerEngine:
    """The FleetEngine of the Docker engine this process talks to (lab.docker)."""

    def containers(self, **label_values: str) -> list[ContainerInfo]:
        return containers.find(**label_values)

    def exists(self, container_id: str) -> bool:
        return containers.inspect(container_id) is not None

    def address(self, container_id: str, network: str) -> str:
        return balancer.address(container_id, network)

    def networks(self, **label_values: str) -> list[tuple[str, str]]:
        return containers.find_networks(**label_values)

    def create(self, spec: ContainerSpec) -> str:
        for volume in spec.volumes:
            containers.ensure_volume(volume, labels.managed(
                student=spec.labels.get(labels.STUDENT, ""),
                exercise=spec.labels.get(labels.EXERCISE, ""), role="volume"))
        return containers.create_and_start(spec)

    def start(self, container_id: str) -> None:
        containers.start(container_id)

    def remove(self, container_id: str) -> None:
        containers.remove(container_id)

    def rename(self, container_id: str, name: str) -> None:
        containers.rename(container_id, name)

    def ensure_network(self, name: str, network_labels: dict[str, str]) -> None:
        containers.ensure_network(name, network_labels)

    def remove_network(self, network_id: str) -> None:
        containers.remove_network(network_id)

    def server_key(self, settings: Settings) -> str:
        from lab import ssh  # fabric and paramiko: only for a command that makes servers

        return ssh.public_key(ssh.ensure_key(settings.private_key))

    def wait_for_ssh(self, server: str, container_id: str, key: Path) -> None:
        from lab import ssh  # fabric and paramiko, as above

        port = containers.published_port(container_id, SSH_PORT)
        if port is not None:
            ssh.wait_until_ready([ssh.Target.local(server, port)], SSH_READY_TIMEOUT, key=key)

    def wait_healthy(self, container_id: str,
                     timeout: float = health.TIMEOUT_SECONDS) -> Health:
        return health.wait_healthy(container_id, timeout)

    def wait_answering(self, container_id: str) -> Health:
        return health.wait_answering(container_id)

    def set_backends(self, balancer_id: str, backends: Sequence[Backend]) -> None:
        balancer.set_backends(balancer_id, backends)

    def backends(self, balancer_id: str) -> list[Backend]:
        return balancer.backends(balancer_id)


DOCKER: FleetEngine = DockerEngine()  # the default wherever an engine may be handed in
