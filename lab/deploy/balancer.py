"""The exercise's load balancer: its container, and the backends it sends traffic to, changed
with a graceful reload."""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from lab import reach
from lab.docker import containers
from lab.docker.containers import ContainerInfo
from lab.errors import StateError

LB_ROLE = "lb"
LB_NAME = "lb"  # its server label, network alias and container name suffix
LB_IMAGE = "lb"  # the lab's image it runs (lab/images/definitions.py)
HTTP_PORT = 80  # the balancer's port (published on 127.0.0.1), and each backend's
UPSTREAM_FILE = "/etc/nginx/lab/upstream.conf"
APPLY = "/usr/local/sbin/lab-lb-apply"  # images/lb: writes, tests, reloads, waits
PASSIVE_CHECK = "max_fails=1 fail_timeout=2s"  # one failure: no traffic for 2 s
REFUSED = 3  # lab-lb-apply's exit code when nginx refuses the configuration
PLACEHOLDER = "server 127.0.0.1:9 down;"  # no backend: nginx answers every request 502
HEADER = "# Written by the lab (lab/deploy/balancer.py): one line per backend, its server " \
         "after the #."
_SERVER_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# `server ADDRESS:PORT PARAMETERS;  # SERVER`, as upstream_text writes it (or by hand).
_SERVER_LINE = re.compile(
    r"^server\s+([0-9.]+):(\d+)((?:\s+[a-z_]+(?:=[^\s;]+)?)*)\s*;\s*(?:#\s*(\S+))?")


@dataclass(frozen=True)
class Backend:
    """One server the balancer sends traffic to."""

    server: str  # the server's label, e.g. "web1"
    address: str  # its IPv4 address on the exercise network
    weight: int = 1  # nginx's upstream weight; a backend without traffic is left out instead

    def __post_init__(self) -> None:
        if not _SERVER_LABEL.fullmatch(self.server):
            raise ValueError(f"backend server {self.server!r} is not a server's name")
        try:
            exact = str(ipaddress.IPv4Address(self.address)) == self.address
        except ValueError:
            exact = False
        if not exact:
            raise ValueError(f"backend address {self.address!r} is not an IPv4 address")
        if self.weight < 1:
            raise ValueError(f"backend weight {self.weight} of {self.server}: leave it out "
                             "instead of giving it no weight")


def upstream_text(backends: Sequence[Backend]) -> str:
    """upstream.conf: one `server` line per backend, or the placeholder when there is none."""
    lines = [f"server {b.address}:{HTTP_PORT} weight={b.weight} {PASSIVE_CHECK};  # {b.server}"
             for b in backends]
    return "\n".join([HEADER, *(lines or [PLACEHOLDER])]) + "\n"


def parse_upstream(text: str) -> list[Backend]:
    """The backends an upstream.conf names; `down` servers (the placeholder) are none."""
    found = []
    for line in text.splitlines():
        match = _SERVER_LINE.match(line.strip())
        if not match:
            continue
        address, _, parameters, server = match.groups()
        words = dict(word.partition("=")[::2] for word in parameters.split())
        if "down" in words:
            continue
        found.append(Backend(server or address, address, int(words.get("weight") or 1)))
    return found


def url(info: ContainerInfo, *, here: bool = True) -> str:
    """Where this process reaches the balancer's port 80, published on the engine's
    127.0.0.1 (lab.reach); with here=False, that address on the engine's machine."""
    port = info.host_port(HTTP_PORT)
    if port is None:
        raise StateError(f"the load balancer {info.name} publishes no port {HTTP_PORT} "
                         f"(it is {info.state})", "Run `lab start` to bring it back.")
    host, port = reach.address(port) if here else (reach.LOOPBACK, port)
    return f"http://{host}:{port}"


def address(container_id: str, network: str) -> str:
    """A container's IPv4 address on that network."""
    details = containers.inspect(container_id) or {}
    networks = (details.get("NetworkSettings") or {}).get("Networks") or {}
    found = str((networks.get(network) or {}).get("IPAddress") or "")
    if not found:
        name = str(details.get("Name", container_id[:12])).lstrip("/")
        raise StateError(f"{name} has no address on the network {network}",
                         "Run `lab start` to bring the fleet back.")
    return found


def set_backends(lb_container_id: str, backends: Sequence[Backend]) -> None:
    """Send the balancer's traffic to these backends (none: every request 502).

    nginx tests the new configuration first: one it refuses raises StateError and leaves the
    old one in use. Returns once the new configuration is live: a graceful reload, during
    which requests under way finish on the old backends and none is dropped.
    """
    text = upstream_text(backends)
    result = containers.exec_run(lb_container_id, f"printf '%s' {shlex.quote(text)} | {APPLY}")
    if result.exit_code == 0:
        return
    said = _nginx_words(result.stderr or result.stdout)
    if result.exit_code == REFUSED:
        raise StateError(f"the load balancer refused its new backends ({said}); it keeps "
                         "the ones it had", "This is a bug in the lab: please report it.")
    raise StateError(f"the load balancer did not take its new backends ({said})",
                     "Run `lab start` to bring it back; its log: `docker logs` of the "
                     "container ending in -lb.")


def _nginx_words(text: str) -> str:
    """The first line that says something, without nginx's time and process prefix."""
    lines = [re.sub(r"^\S+ \S+ \[(\w+)\] \d+#\d+: ", r"\1: ", line.strip())
             for line in text.splitlines() if line.strip()]
    return next((line for line in lines if "signal process started" not in line),
                "no explanation")


def backends(lb_container_id: str) -> list[Backend]:
    """What the balancer is configured to send traffic to (read from its upstream.conf)."""
    result = containers.exec_run(lb_container_id, f"cat {UPSTREAM_FILE}")
    if result.exit_code != 0:
        raise StateError(f"the load balancer's backends cannot be read ({result.stderr.strip()})",
                         "Run `lab start` to bring it back.")
    return parse_upstream(result.stdout)
