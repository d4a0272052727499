"""Where this process reaches a port the engine published on 127.0.0.1 of its own machine:
right there for a local engine, through an SSH tunnel for an engine reached over SSH, and
through the engine's own API (lab.docker.tunnels) for a tcp:// engine on another machine."""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.parse
from functools import lru_cache

LOOPBACK = "127.0.0.1"
LOCAL, SSH, REMOTE = "local", "ssh", "remote"
LOCAL_SCHEMES = ("unix://", "npipe://", "fd://")
TCP_SCHEMES = ("tcp://", "http://", "https://")


def address(port: int) -> tuple[str, int]:
    """Host and port at which this process reaches `port` of the engine's 127.0.0.1.

    A local engine costs nothing (the published port itself); an ssh:// engine gets one SSH
    connection per process and a local forward per port, opened on first use; a tcp://
    engine on another machine gets a local port per port too, each connection relayed by a
    `docker exec` in the container that publishes it.
    """
    engine = os.environ.get("DOCKER_HOST", "")
    kind = engine_kind(engine)
    if kind == LOCAL:
        return LOOPBACK, port
    if kind == REMOTE:
        from lab.docker import tunnels

        return tunnels.forward(port)
    from lab import ssh

    return ssh.forward(engine, port)


def engine_kind(engine: str) -> str:
    """LOCAL, SSH or REMOTE for a DOCKER_HOST value ("" when it is unset)."""
    if not engine or engine.startswith(LOCAL_SCHEMES):
        return LOCAL
    if engine.startswith("ssh://"):
        return SSH
    if engine.startswith(TCP_SCHEMES):
        host = urllib.parse.urlsplit(engine).hostname or ""
        return LOCAL if is_this_machine(host) else REMOTE
    return LOCAL  # a scheme Docker does not know: the engine client refuses it first


@lru_cache(maxsize=16)
def is_this_machine(host: str) -> bool:
    """Whether `host` names this machine: a loopback name or address, or an address one of
    this machine's interfaces has (binding to it succeeds only then)."""
    if not host or host == "localhost":
        return True
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    for family, kind, proto, _, where in found:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.bind((where[0], 0))
            return True
        except OSError:
            continue
    return False
