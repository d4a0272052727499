"""How checks look at a running fleet: docker exec for commands, HTTP through the ports its
servers publish, and what the engine knows of each server's container and image."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime

from lab import reach
from lab.checks.executor import ExecResult, HttpResult, Mount, ServerInfo
from lab.docker import containers, images
from lab.docker.containers import ContainerInfo
from lab.docker.probes import Prober
from lab.errors import StateError
from lab.fleet.members import server_name


def parse_engine_time(text: str) -> datetime | None:
    """The engine's RFC 3339 times carry nanoseconds, which Python 3.10 cannot parse."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        return None
    fraction = (match.group(2) or ".0")[:7]
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return datetime.fromisoformat(f"{match.group(1)}{fraction}{zone}")


class FleetExecutor:
    """The checks' Executor (lab.checks.executor) over a running fleet's containers."""

    def __init__(self, infos: Sequence[ContainerInfo]) -> None:
        self.by_name = {server_name(info): info for info in infos}
        self.prober = Prober()

    def __enter__(self) -> FleetExecutor:
        return self

    def __exit__(self, *_: object) -> None:
        self.prober.close()

    def _container(self, server: str) -> ContainerInfo:
        info = self.by_name.get(server)
        if info is None:
            raise StateError(f"server {server} does not exist", "Run `lab start`.")
        return info

    def run(self, server: str, command: str) -> ExecResult:
        info = self._container(server)
        if not info.running:
            raise StateError(f"{server} is {info.state}", "Run `lab start` to bring it back.")
        result = self.prober.run(info.id, command)
        return ExecResult(result.exit_code, result.stdout, result.stderr)

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        port = self._container(server).host_port(container_port)
        if port is None:
            raise ConnectionRefusedError(f"port {container_port} of {server} is not published")
        host, port = reach.address(port)
        request = urllib.request.Request(f"http://{host}:{port}{path}", data=body,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return HttpResult(answer.status, answer.read().decode(errors="replace"))
        except urllib.error.HTTPError as answer:
            return HttpResult(answer.code, answer.read().decode(errors="replace"))

    def info(self, server: str) -> ServerInfo:
        container = self._container(server)
        image = images.inspect(container.image_id)
        details = containers.inspect(container.id) or {}
        created = parse_engine_time(str(details.get("Created", ""))) or container.created
        return ServerInfo(
            name=server, container_id=container.id, image_id=container.image_id,
            created=created, running=container.running,
            image_tags=image.tags if image else (),
            image_labels=image.labels if image else {},
            mounts=tuple(Mount(str(mount.get("Type", "")), str(mount.get("Name") or ""),
                               str(mount.get("Destination", "")))
                         for mount in details.get("Mounts") or []),
            state=str((details.get("State") or {}).get("Status") or container.state),
        )
