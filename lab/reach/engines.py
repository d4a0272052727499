"""Which kind of engine a DOCKER_HOST value names, as reaching its published ports sees it:
one on this machine, one behind ssh://, or a tcp:// engine on another machine."""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from functools import lru_cache

LOCAL, SSH, REMOTE = "local", "ssh", "remote"
LOCAL_SCHEMES = ("unix://", "npipe://", "fd://")
TCP_SCHEMES = ("tcp://", "http://", "https://")


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
