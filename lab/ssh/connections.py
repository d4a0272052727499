"""Logged-in SSH connections to the lab's servers with the installation's key only, run side
by side, and the reasons a connection failed in the user's words."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from lab.parallel import map_in_threads
from lab.ssh.errors import NOT_RUNNING, AuthError, ConnectError, SSHError, SSHTimeoutError
from lab.ssh.keys import load_private
from lab.ssh.targets import Target
from lab.sshlib import NETWORK_ERRORS, Config, Connection, paramiko

USER = "root"
MAX_PARALLEL = 32  # threads per call; each holds one SSH connection
CONNECT_TIMEOUT = 10.0  # seconds for TCP connect, SSH banner and authentication in run/put/shell

T = TypeVar("T")


def explain(target: Target, exc: BaseException) -> SSHError:
    """Turn a paramiko or socket exception into one line and a remedy for the user."""
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError) and exc.errors:
        return explain(target, next(iter(exc.errors.values())))
    where = target.address
    if isinstance(exc, paramiko.AuthenticationException):
        return AuthError(
            f"{target.name}: the server refused the lab's SSH key on {where}",
            "It was created with another key; recreate it so it gets this installation's key",
        )
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(
            f"{target.name}: cannot connect: connection refused on {where}", NOT_RUNNING
        )
    if isinstance(exc, TimeoutError):
        return SSHTimeoutError(
            f"{target.name}: cannot connect: no answer from {where} in time", NOT_RUNNING
        )
    if isinstance(exc, (EOFError, ConnectionResetError)) or "banner" in str(exc):
        return ConnectError(
            f"{target.name}: cannot connect: {where} hung up before SSH started",
            "sshd may still be starting, or may have died; try `lab status`",
        )
    if isinstance(exc, paramiko.SSHException):
        return SSHError(f"{target.name}: SSH failed on {where}: {exc}", NOT_RUNNING)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return ConnectError(f"{target.name}: cannot connect to {where}: {reason}", NOT_RUNNING)


def load_pkey(path: Path) -> paramiko.PKey:
    """The private key as paramiko wants it, loaded once per call rather than per connection
    (callers pass their Settings' `private_key`)."""
    load_private(Path(path))  # raises the lab's own errors for a missing or foreign key
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def client() -> paramiko.SSHClient:
    """An SSH client that accepts any host key and remembers none."""
    # Host keys: containers are recreated all the time, each with fresh host keys. Pinning
    # them would make every `lab start` look like a man-in-the-middle attack and teach
    # learners to ignore that warning. The lab only talks to ports Docker published on the
    # engine's host, so an attacker would already have to be on that machine. We accept any
    # host key, keep it in this client's in-memory HostKeys only, and never load or write
    # ~/.ssh/known_hosts (nor clutter it with throwaway 127.0.0.1:port entries that clash
    # when Docker reuses a port).
    made = paramiko.SSHClient()
    made.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    return made


def _socket(target: Target, timeout: float) -> socket.socket:
    """A TCP connection to the server with Nagle's algorithm off.

    An SSH handshake is a ping-pong of small packets; with Nagle on, some of them wait for
    the peer's delayed ACK (40 ms on Linux). Measured: a key login drops from ~75 to ~30 ms,
    which is most of what `wait_until_ready` adds over raw polling.
    """
    sock = socket.create_connection((target.host, target.port), timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def login(ssh: paramiko.SSHClient, target: Target, pkey: paramiko.PKey, timeout: float) -> None:
    """Log `ssh` in as root with the lab's key, or raise SSHError with a remedy.

    Only that key: no ~/.ssh keys, no agent, never a password.
    """
    sock: socket.socket | None = None
    try:
        sock = _socket(target, timeout)
        ssh.connect(
            target.host,
            target.port,
            USER,
            pkey=pkey,
            sock=sock,
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
        )
    except NETWORK_ERRORS as exc:
        ssh.close()
        if sock is not None:
            sock.close()
        raise explain(target, exc) from exc


def fabric(target: Target, pkey: paramiko.PKey) -> Connection:
    """A logged-in Fabric connection, or SSHError.

    Fabric's own open() would use its config for keys and timeouts; instead its client is
    logged in by `login`, so every path shares one policy. lazy=True: no ssh_config files,
    no fabric.yaml, nothing from the user's environment.
    """
    config = Config(lazy=True, overrides={"run": {"encoding": "utf-8"}})
    conn = Connection(target.host, user=USER, port=target.port, config=config)
    conn.client = client()
    login(conn.client, target, pkey, CONNECT_TIMEOUT)
    conn.transport = conn.client.get_transport()
    return conn


def in_parallel(targets: Sequence[Target], work: Callable[[Target], T]) -> list[T]:
    """`work` on every target at once; results in the order of `targets`."""
    return map_in_threads(work, targets, workers=MAX_PARALLEL, name="lab-ssh")
