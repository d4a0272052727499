"""Containers on the engine: create, inspect, list and remove, always with the lab's labels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from docker.errors import NotFound

from lab.docker import labels
from lab.docker.engine import client, engine_errors


@dataclass(frozen=True)
class PortBinding:
    container_port: str  # e.g. "22/tcp"
    host_ip: str
    host_port: int


def _bindings(attrs: dict[str, object]) -> list[PortBinding]:
    network = attrs.get("NetworkSettings") or {}
    ports = network.get("Ports") or {} if isinstance(network, dict) else {}
    found = []
    for container_port, bound in ports.items():
        for binding in bound or []:
            found.append(
                PortBinding(container_port, binding.get("HostIp", ""), int(binding["HostPort"]))
            )
    return found


@contextmanager
def probe_container(image: str, container_port: int) -> Iterator[list[PortBinding]]:
    """A short-lived container publishing `container_port` on loopback; yields its bindings.

    `lab doctor` uses it to prove that the engine can publish a port on 127.0.0.1.
    """
    with engine_errors():
        container = client().containers.run(
            image,
            ["sleep", "30"],
            detach=True,
            labels=labels.managed(role="doctor"),
            ports={f"{container_port}/tcp": ("127.0.0.1", None)},
        )
    try:
        with engine_errors():
            container.reload()
        yield _bindings(container.attrs)
    finally:
        with engine_errors(), suppress(NotFound):
            container.remove(force=True)
