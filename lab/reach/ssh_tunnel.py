"""Ports an ssh:// engine publishes on its machine's 127.0.0.1, reached as `ssh -L` would.

One SSH connection per engine and process, made as docker's own SSH transport makes it (the
user's ~/.ssh/config, keys and agent, ~/.ssh/known_hosts; never the lab's key), and for each
port a listening socket on this machine's 127.0.0.1 whose connections become direct-tcpip
channels.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import urllib.parse
from pathlib import Path
from typing import Any

from lab.errors import StateError
from lab.reach.listeners import LOOPBACK, Listeners
from lab.sshlib import NETWORK_ERRORS, paramiko

KEEPALIVE = 30  # seconds between keepalives on an engine's SSH connection
CONNECT_TIMEOUT = 10.0  # seconds for TCP connect, SSH banner, authentication and each channel
CHUNK = 32768

_lock = threading.Lock()  # the engines' connections: made, checked and made again one at a time
_engine_clients: dict[str, paramiko.SSHClient] = {}
_listeners = Listeners("lab-tunnel")


class TunnelError(StateError):
    """The machine of an ssh:// engine cannot be reached or logged in to over SSH."""


def forward(engine: str, port: int) -> tuple[str, int]:
    """Where this process reaches 127.0.0.1:`port` of the machine the ssh:// `engine` names.

    The connection is made (or TunnelError raised) now; forwards are kept for the process.
    """
    with _lock:
        _engine_transport(engine)
    return _listeners.local_port((engine, port), port,
                                 lambda local, peer: _carry(local, peer, engine, port))


def forwarded() -> dict[int, int]:
    """The forwards this process opened: engine-side port -> local port."""
    return _listeners.forwarded()


def engine_ssh_parameters(engine: str, config_file: Path | None = None) -> dict[str, Any]:
    """paramiko's connect() arguments for an ssh:// URL, read as docker's SSH transport
    reads them: the URL, then ~/.ssh/config (HostName, Port, User, IdentityFile, ProxyCommand)."""
    url = urllib.parse.urlsplit(engine)
    host = url.hostname or ""
    parameters: dict[str, Any] = {"hostname": host, "port": url.port, "username": url.username}
    path = config_file or Path.home() / ".ssh" / "config"
    if path.is_file():
        found = paramiko.SSHConfig.from_path(str(path)).lookup(host)
        if "proxycommand" in found:
            parameters["sock"] = paramiko.ProxyCommand(found["proxycommand"])
        if "hostname" in found:
            parameters["hostname"] = found["hostname"]
        if url.port is None and "port" in found:
            parameters["port"] = int(found["port"])
        if url.username is None and "user" in found:
            parameters["username"] = found["user"]
        if "identityfile" in found:
            parameters["key_filename"] = found["identityfile"]
    parameters["port"] = parameters["port"] or 22
    return parameters


def _engine_transport(engine: str) -> paramiko.Transport:
    """The engine's SSH connection, made again if it dropped; call with `_lock` held."""
    client = _engine_clients.get(engine)
    transport = client.get_transport() if client else None
    if transport is not None and transport.is_active():
        return transport
    client = _connect(engine)
    _engine_clients[engine] = client
    transport = client.get_transport()
    assert transport is not None
    transport.set_keepalive(KEEPALIVE)
    return transport


def _connect(engine: str) -> paramiko.SSHClient:
    parameters = engine_ssh_parameters(engine)
    client = paramiko.SSHClient()
    client.load_system_host_keys()  # as docker's transport: a host it does not know is refused
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(**parameters, timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT,
                       auth_timeout=CONNECT_TIMEOUT)
    except NETWORK_ERRORS as exc:
        client.close()
        raise _unreachable(engine, exc) from exc
    return client


def _unreachable(engine: str, exc: BaseException) -> TunnelError:
    if isinstance(exc, paramiko.AuthenticationException):
        return TunnelError(f"cannot log in to the engine's machine {engine} to reach its servers",
                           "Make `ssh` to it work without a password (a key, or your agent), "
                           "as Docker's own SSH connection needs.")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return TunnelError(f"cannot reach the engine's machine {engine} over SSH: {reason}",
                       "Check that `docker -H " + engine + " ps` works from this machine.")


def _carry(local: socket.socket, peer: Any, engine: str, port: int) -> None:
    """One forwarded connection: a channel to 127.0.0.1:port on the engine's machine, and the
    bytes of both directions. If the port does not answer there, the local side hangs up."""
    local.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        with _lock:
            transport = _engine_transport(engine)
        channel = transport.open_channel("direct-tcpip", (LOOPBACK, port), peer,
                                         timeout=CONNECT_TIMEOUT)
    except (TunnelError, *NETWORK_ERRORS):
        local.close()
        return
    try:
        _pump(local, channel)
    finally:
        channel.close()
        local.close()


def _pump(local: socket.socket, channel: paramiko.Channel) -> None:
    sources: list[Any] = [local, channel]
    while sources:
        readable, _, _ = select.select(sources, [], [])
        for source in readable:
            try:
                data = source.recv(CHUNK)
                if data:
                    (channel if source is local else local).sendall(data)
                    continue
            except NETWORK_ERRORS:
                return
            sources.remove(source)  # this side finished writing: tell the other, keep reading
            with contextlib.suppress(*NETWORK_ERRORS):
                if source is local:
                    channel.shutdown_write()
                else:
                    local.shutdown(socket.SHUT_WR)
