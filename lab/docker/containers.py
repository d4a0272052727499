"""Containers, networks and volumes on the engine, always created with and selected by labels."""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lab.docker import labels
from lab.docker.engine import api, client, engine_errors, sdk
from lab.errors import EngineError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class PortBinding:
    container_port: str  # e.g. "22/tcp"
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class ContainerSpec:
    """Everything the lab decides about one container before it exists."""

    name: str
    image: str
    labels: dict[str, str]
    network: str
    aliases: tuple[str, ...] = ()
    hostname: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    ports: tuple[int, ...] = ()  # container ports, published on 127.0.0.1, engine-chosen
    volumes: dict[str, str] = field(default_factory=dict)  # volume name -> mount path
    command: list[str] | None = None


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    image: str
    image_id: str
    labels: dict[str, str]
    state: str  # created, running, exited, ...
    status: str  # the engine's words, e.g. "Up 3 minutes"
    created: datetime
    ports: tuple[PortBinding, ...]

    @property
    def running(self) -> bool:
        return self.state == "running"

    def host_port(self, container_port: int) -> int | None:
        wanted = f"{container_port}/tcp"
        return next((b.host_port for b in self.ports if b.container_port == wanted), None)


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str


def _summary(item: dict[str, Any]) -> ContainerInfo:
    ports = tuple(
        PortBinding(f"{port['PrivatePort']}/{port.get('Type', 'tcp')}", port.get("IP", ""),
                    int(port["PublicPort"]))
        for port in item.get("Ports") or []
        if port.get("PublicPort")
    )
    return ContainerInfo(
        id=item["Id"],
        name=(item.get("Names") or ["/?"])[0].lstrip("/"),
        image=item.get("Image", ""),
        image_id=item.get("ImageID", ""),
        labels=dict(item.get("Labels") or {}),
        state=item.get("State", ""),
        status=item.get("Status", ""),
        created=datetime.fromtimestamp(item.get("Created", 0), tz=timezone.utc),
        ports=ports,
    )


def find(**label_values: str) -> list[ContainerInfo]:
    """Lab containers with these label values, running or not, sorted by name."""
    with engine_errors():
        found = api().containers(all=True,
                                 filters={"label": labels.container_selector(**label_values)})
    return sorted((_summary(item) for item in found), key=lambda info: info.name)


def create_and_start(spec: ContainerSpec) -> str:
    """Create the container and start it; returns its id."""
    low = api()
    host_config = low.create_host_config(
        port_bindings={port: (LOOPBACK, None) for port in spec.ports},
        binds={volume: {"bind": path, "mode": "rw"} for volume, path in spec.volumes.items()},
        init=False,  # the lab's images run tini themselves
    )
    networking = low.create_networking_config(
        {spec.network: low.create_endpoint_config(aliases=list(spec.aliases))}
    )
    with engine_errors():
        created = low.create_container(
            spec.image,
            command=spec.command,
            name=spec.name,
            hostname=spec.hostname,
            labels=labels.for_container(spec.labels),
            environment=spec.environment,
            ports=list(spec.ports),
            host_config=host_config,
            networking_config=networking,
            detach=True,
        )
        low.start(created["Id"])
    return str(created["Id"])


def start(container_id: str) -> None:
    with engine_errors():
        api().start(container_id)


def remove(container_id: str) -> None:
    """Remove at once (SIGKILL): stand-in servers have nothing to flush.

    Anonymous volumes (an image's VOLUME) go with their container, as they would with
    `docker rm -v`; named volumes, the ones meant to outlive servers, stay.
    """
    with engine_errors():
        try:
            api().remove_container(container_id, force=True, v=True)
        except sdk().NotFound:
            pass
        except sdk().APIError as cause:
            if "already in progress" not in str(cause):
                raise
            _wait_until_gone(container_id)


def _wait_until_gone(container_id: str, seconds: float = 10.0) -> None:
    """Another removal of it is under way: wait for it, so the name is free afterwards."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            api().inspect_container(container_id)
        except sdk().NotFound:
            return
        time.sleep(0.05)


def rename(container_id: str, name: str) -> None:
    with engine_errors():
        api().rename(container_id, name)


def stop(container_id: str, grace_seconds: int = 1) -> None:
    with engine_errors(), suppress(sdk().NotFound):
        api().stop(container_id, timeout=grace_seconds)


def logs_tail(container_id: str, lines: int = 5) -> list[str]:
    """The last lines a container printed (stdout and stderr), for a one-line diagnosis."""
    with engine_errors():
        try:
            text = api().logs(container_id, tail=lines).decode(errors="replace")
        except sdk().NotFound:
            return []
    return [line for line in text.splitlines() if line.strip()]


def exec_run(container_id: str, command: str, user: str = "root") -> ExecResult:
    """Run a shell command inside the container (a probe, not the learner's SSH)."""
    low = api()
    with engine_errors():
        created = low.exec_create(container_id, ["sh", "-c", command], user=user,
                                  stdout=True, stderr=True)
        stdout, stderr = low.exec_start(created["Id"], demux=True)
        exit_code = low.exec_inspect(created["Id"]).get("ExitCode")
    return ExecResult(
        exit_code=-1 if exit_code is None else int(exit_code),
        stdout=(stdout or b"").decode(errors="replace"),
        stderr=(stderr or b"").decode(errors="replace"),
    )


def inspect(container_id: str) -> dict[str, Any] | None:
    with engine_errors():
        try:
            return dict(api().inspect_container(container_id))
        except sdk().NotFound:
            return None


def published_port(container_id: str, container_port: int) -> int | None:
    """The host port published for `container_port`/tcp, or None."""
    details = inspect(container_id) or {}
    bound = ((details.get("NetworkSettings") or {}).get("Ports") or {}).get(
        f"{container_port}/tcp") or []
    return int(bound[0]["HostPort"]) if bound else None


def ensure_network(name: str, network_labels: dict[str, str]) -> str:
    """The named lab network, created if missing; returns its id."""
    with engine_errors():
        existing = api().networks(names=[name], filters={"label": labels.selector()})
        exact = [net for net in existing if net.get("Name") == name]
        if exact:
            return str(exact[0]["Id"])
        try:
            created = api().create_network(name, driver="bridge", labels=network_labels,
                                           check_duplicate=True)
        except sdk().APIError as cause:
            if not any(text in str(cause) for text in POOLS_USED_UP):
                raise
            return _create_in_spare_range(name, network_labels)
    return str(created["Id"])


# A stock engine's default address pools hold about 30 networks (each takes a /16 or a /20),
# fewer than a class of thirty needs. Once they are used up, a lab network takes a /24 of
# 198.18.0.0/15 instead: RFC 2544 keeps that range for benchmarks, so no real network uses it.
SPARE_RANGE = "198.18.0.0/15"
POOLS_USED_UP = ("non-overlapping IPv4 address pool", "fully subnetted")


def _create_in_spare_range(name: str, network_labels: dict[str, str]) -> str:
    taken = _subnets_in_use()
    candidates = list(ipaddress.IPv4Network(SPARE_RANGE).subnets(new_prefix=24))
    first = int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(candidates)
    for subnet in candidates[first:] + candidates[:first]:  # students starting at once
        if any(subnet.overlaps(other) for other in taken):  # rarely try the same one
            continue
        try:
            created = api().create_network(
                name, driver="bridge", labels=network_labels, check_duplicate=True,
                ipam={"Driver": "default", "Config": [{"Subnet": str(subnet)}]})
        except sdk().APIError as cause:
            if "overlap" not in str(cause).lower():
                raise
            taken.append(subnet)  # another command took it a moment ago
            continue
        return str(created["Id"])
    raise EngineError("the engine has no address range left for another network",
                      "Remove networks nobody uses (`docker network prune`), or give the engine "
                      "more with `default-address-pools` in its daemon.json.")


def _subnets_in_use() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    found = []
    for network in api().networks():
        for config in (network.get("IPAM") or {}).get("Config") or []:
            with suppress(ValueError, TypeError):
                found.append(ipaddress.ip_network(config.get("Subnet"), strict=False))
    return found


def find_networks(**label_values: str) -> list[tuple[str, str]]:
    """(id, name) of lab networks with these label values."""
    with engine_errors():
        found = api().networks(filters={"label": labels.selector(**label_values)})
    return [(str(net["Id"]), str(net["Name"])) for net in found]


def remove_network(network_id: str) -> None:
    with engine_errors(), suppress(sdk().NotFound):
        api().remove_network(network_id)


def find_volumes(**label_values: str) -> list[str]:
    with engine_errors():
        found = api().volumes(filters={"label": labels.selector(**label_values)})
    return [str(volume["Name"]) for volume in (found or {}).get("Volumes") or []]


def ensure_volume(name: str, volume_labels: dict[str, str]) -> str:
    """The named volume, created with the lab's labels if missing (never an unlabelled one,
    which the engine would make on its own for a bind of a missing name)."""
    with engine_errors():
        try:
            found = api().inspect_volume(name)
        except sdk().NotFound:
            found = api().create_volume(name, driver="local", labels=volume_labels)
    return str(found["Name"])


def remove_volume(name: str) -> None:
    with engine_errors(), suppress(sdk().NotFound):
        api().remove_volume(name, force=True)


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
            labels=labels.for_container(labels.managed(role="doctor")),
            ports={f"{container_port}/tcp": (LOOPBACK, None)},
        )
    try:
        yield [
            binding for info in find(role="doctor") if info.id == container.id
            for binding in info.ports
        ]
    finally:
        remove(container.id)
