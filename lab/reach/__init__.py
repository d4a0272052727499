"""Where this process reaches a port the engine published on 127.0.0.1 of its own machine:
right there for a local engine, through an SSH tunnel (lab.reach.ssh_tunnel) for an engine
reached over ssh://, and through a `docker exec` relay (lab.reach.exec_relay) for a tcp://
engine on another machine."""

from __future__ import annotations

from lab.docker.engine import Engine, current
from lab.reach.engines import LOCAL, REMOTE, SSH, engine_kind, is_this_machine
from lab.reach.listeners import LOOPBACK

__all__ = ["LOCAL", "LOOPBACK", "REMOTE", "SSH", "address", "engine_kind", "is_this_machine"]


def address(port: int, engine: Engine | None = None) -> tuple[str, int]:
    """Host and port at which this process reaches `port` of `engine`'s 127.0.0.1 (default:
    the process's engine, lab.docker.engine.current()).

    A local engine costs nothing (the published port itself); an ssh:// engine gets one SSH
    connection per process and a local forward per port, opened on first use; a tcp://
    engine on another machine gets a local port per port too, each connection relayed by a
    `docker exec` in the container that publishes it.
    """
    if engine is None:
        engine = current()
    kind = engine_kind(engine.host)
    if kind == LOCAL:
        return LOOPBACK, port
    # Imported here: the relay loads docker-py and the tunnel paramiko, which a local
    # engine, the common case, never needs.
    if kind == REMOTE:
        from lab.reach import exec_relay

        return exec_relay.forward(port, engine)
    from lab.reach import ssh_tunnel

    return ssh_tunnel.forward(engine.host, port)
