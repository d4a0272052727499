"""SSH to the lab's servers: the installation's key, readiness, parallel commands, shells."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import posixpath
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, TextIO, TypeVar

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fabric import Config, Connection
from invoke.exceptions import CommandTimedOut

from lab import reach
from lab.environment import current_settings
from lab.errors import LabError, StateError, UsageError
from lab.parallel import map_in_threads

if sys.platform != "win32":
    import termios
    import tty

USER = "root"
LOCALHOST = "127.0.0.1"
KEY_COMMENT = "immutable-lab"

CONNECT_FAILED = 255  # what ssh(1) exits with when it cannot connect
TIMED_OUT = 124  # what timeout(1) exits with when the command ran too long

MAX_PARALLEL = 32  # threads per call; each holds one SSH connection
CONNECT_TIMEOUT = 10.0  # seconds for TCP connect, SSH banner and authentication in run/put/shell
POLL_INTERVAL = 0.05  # seconds between two login attempts while a server boots
ATTEMPT_TIMEOUT = 2.0  # seconds one login attempt may take while polling
AUTH_GRACE = 2.0  # seconds a server may keep refusing the key before polling gives up on it

_NETWORK_ERRORS = (paramiko.SSHException, OSError, EOFError)

# paramiko logs every failed banner read at ERROR level, with a traceback. Polling a booting
# server fails many times on purpose, and without any handler Python would print those
# records on stderr. A NullHandler silences that; a CLI that configures logging (--verbose)
# still receives them through propagation.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

T = TypeVar("T")
OnOutput = Callable[[str, str], None]


# --- errors -----------------------------------------------------------------------------


class SSHError(StateError):
    """A server could not be reached or used over SSH."""


class ConnectError(SSHError):
    """Nothing answered on the server's published port, or it hung up before SSH began."""


class AuthError(SSHError):
    """The server answered but refused the lab's key."""


class SSHTimeoutError(SSHError):
    """The server did not answer in time."""


_NOT_RUNNING = "Is the server running? Try `lab status`"


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
            f"{target.name}: cannot connect: connection refused on {where}", _NOT_RUNNING
        )
    if isinstance(exc, TimeoutError):
        return SSHTimeoutError(
            f"{target.name}: cannot connect: no answer from {where} in time", _NOT_RUNNING
        )
    if isinstance(exc, (EOFError, ConnectionResetError)) or "banner" in str(exc):
        return ConnectError(
            f"{target.name}: cannot connect: {where} hung up before SSH started",
            "sshd may still be starting, or may have died; try `lab status`",
        )
    if isinstance(exc, paramiko.SSHException):
        return SSHError(f"{target.name}: SSH failed on {where}: {exc}", _NOT_RUNNING)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return ConnectError(f"{target.name}: cannot connect to {where}: {reason}", _NOT_RUNNING)


# --- keys -------------------------------------------------------------------------------


def ensure_key(path: Path) -> Path:
    """Create the installation's ed25519 key pair at `path` (and `.pub`) unless it exists."""
    path = Path(path)
    if not path.exists():
        _create_private_key(path)
    _tighten(path)
    _write_public_file(path)
    return path


def public_key(path: Path) -> str:
    """The `ssh-ed25519 AAAA... immutable-lab` line for the private key at `path`."""
    # Derived from the private key rather than read from the .pub file, so the two can never
    # disagree, even while another process is still writing the .pub file.
    private = _load_private(Path(path))
    line = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"{line.decode('ascii')} {KEY_COMMENT}"


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StateError(
            f"the lab's SSH key {path} does not exist", "Run `lab start`; it creates the key"
        ) from None
    try:
        key = serialization.load_ssh_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise _unreadable(path, exc) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _unreadable(path, "not an ed25519 key")
    return key


def _unreadable(path: Path, reason: object) -> StateError:
    return StateError(
        f"the lab's SSH key {path} cannot be read ({reason})",
        "Delete it and run `lab start` again; servers receive the new key when they are recreated",
    )


def _create_private_key(path: Path) -> None:
    _make_private_dir(path.parent)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    temp = _write_temp(path.parent, pem, 0o600)
    try:
        _publish_once(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _make_private_dir(directory: Path) -> None:
    # Only a directory we create is made 0700; an existing one may be shared and is left alone.
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700, parents=True)


def _write_temp(directory: Path, data: bytes, mode: int) -> Path:
    """A complete, fsynced file in `directory` (mkstemp creates it 0600), ready to be renamed."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-key-")
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(name, mode)
    return Path(name)


def _publish_once(temp: Path, path: Path) -> None:
    # A hard link appears atomically and never replaces an existing file: when two processes
    # race, the first link wins, the loser keeps the winner's key, and no reader ever sees a
    # half-written file.
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    except OSError:
        # No hard links on this file system (some network and FUSE mounts): a rename is still
        # atomic, though a racing loser may replace the winner's key before anyone used it.
        os.replace(temp, path)


def _tighten(path: Path) -> None:
    # paramiko reads a key whatever its mode, but OpenSSH refuses one that group or others
    # can read ("UNPROTECTED PRIVATE KEY FILE"), and learners use this key with their own
    # ssh and fabfiles. Keys restored from backups or copied between machines often come
    # back 0644. Windows has ACLs, not mode bits (chmod only toggles read-only): skip it.
    if os.name != "nt" and path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _write_public_file(path: Path) -> None:
    line = (public_key(path) + "\n").encode("ascii")
    public = path.with_suffix(".pub")
    if public.exists() and public.read_bytes() == line:
        return
    # Every racer derives the same line from the same private key; replace is atomic.
    os.replace(_write_temp(path.parent, line, 0o644), public)


def _load_pkey(path: Path | None) -> paramiko.PKey:
    """The private key as paramiko wants it, loaded once per call rather than per connection."""
    if path is None:
        path = current_settings().private_key
    _load_private(Path(path))  # raises the lab's own errors for a missing or foreign key
    return paramiko.Ed25519Key.from_private_key_file(str(path))


# --- targets and results ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One server as SSH sees it: its name and the host port Docker published for its port 22."""

    name: str
    host: str
    port: int

    @classmethod
    def local(cls, name: str, port: int) -> Target:
        """A server's SSH port, published on the engine's 127.0.0.1, where this process
        reaches it (lab.reach: there, or through a tunnel); never a container IP."""
        host, reached = reach.address(port)
        return cls(name, host, reached)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class RunResult:
    """What one server did: exit code and output, or `error` when the command never completed."""

    server: str
    exit_code: int
    stdout: str = ""
    stderr: str = ""
    error: str = ""

    @classmethod
    def failed(cls, server: str, error: LabError, exit_code: int = CONNECT_FAILED) -> RunResult:
        return cls(server, exit_code, error=error.line())

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.error

    def line(self) -> str:
        """One line for a summary: `web1: ok`, `web2: exit 3` or the error."""
        if self.error:
            return self.error
        return f"{self.server}: ok" if self.ok else f"{self.server}: exit {self.exit_code}"


# --- connections ------------------------------------------------------------------------


def _client() -> paramiko.SSHClient:
    # Host keys: containers are recreated all the time, each with fresh host keys. Pinning
    # them would make every `lab start` look like a man-in-the-middle attack and teach
    # learners to ignore that warning. The lab only talks to ports Docker published on the
    # engine's host, so an attacker would already have to be on that machine. We accept any
    # host key, keep it in this client's in-memory HostKeys only, and never load or write
    # ~/.ssh/known_hosts (nor clutter it with throwaway 127.0.0.1:port entries that clash
    # when Docker reuses a port).
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    return client


def _socket(target: Target, timeout: float) -> socket.socket:
    """A TCP connection to the server with Nagle's algorithm off.

    An SSH handshake is a ping-pong of small packets; with Nagle on, some of them wait for
    the peer's delayed ACK (40 ms on Linux). Measured: a key login drops from ~75 to ~30 ms,
    which is most of what `wait_until_ready` adds over raw polling.
    """
    sock = socket.create_connection((target.host, target.port), timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _login(client: paramiko.SSHClient, target: Target, pkey: paramiko.PKey, timeout: float) -> None:
    """Log `client` in as root with the lab's key, or raise SSHError with a remedy.

    Only that key: no ~/.ssh keys, no agent, never a password.
    """
    sock: socket.socket | None = None
    try:
        sock = _socket(target, timeout)
        client.connect(
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
    except _NETWORK_ERRORS as exc:
        client.close()
        if sock is not None:
            sock.close()
        raise explain(target, exc) from exc


def _fabric(target: Target, pkey: paramiko.PKey) -> Connection:
    """A logged-in Fabric connection, or SSHError.

    Fabric's own open() would use its config for keys and timeouts; instead its client is
    logged in by `_login`, so every path shares one policy. lazy=True: no ssh_config files,
    no fabric.yaml, nothing from the user's environment.
    """
    config = Config(lazy=True, overrides={"run": {"encoding": "utf-8"}})
    conn = Connection(target.host, user=USER, port=target.port, config=config)
    conn.client = _client()
    _login(conn.client, target, pkey, CONNECT_TIMEOUT)
    conn.transport = conn.client.get_transport()
    return conn


def _parallel(targets: Sequence[Target], work: Callable[[Target], T]) -> list[T]:
    """`work` on every target at once; results in the order of `targets`."""
    return map_in_threads(work, targets, workers=MAX_PARALLEL, name="lab-ssh")


# --- readiness --------------------------------------------------------------------------


def wait_until_ready(targets: Sequence[Target], timeout: float, *, key: Path | None = None) -> None:
    """Return once every target accepts a key login; StateError names those that did not in time."""
    pkey = _load_pkey(key)
    deadline = time.monotonic() + timeout
    failures = _parallel(targets, lambda target: _poll(target, pkey, deadline))
    late = [
        (target, error)
        for target, error in zip(targets, failures, strict=True)
        if error is not None
    ]
    if late:
        names = ", ".join(target.name for target, _ in late)
        raise StateError(
            f"{names} not ready within {timeout:g} s (last error: {late[0][1].message})",
            late[0][1].remedy,
        )


def _poll(target: Target, pkey: paramiko.PKey, deadline: float) -> SSHError | None:
    """None once a login succeeds; the last error if the deadline passes first."""
    last: SSHError = SSHTimeoutError(f"{target.name}: not tried before the deadline", _NOT_RUNNING)
    refused_since: float | None = None
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            _try_login(target, pkey, min(ATTEMPT_TIMEOUT, remaining))
            return None
        except SSHError as error:
            last = error
        # A refused key may be an entrypoint still writing authorized_keys; for longer, it is final.
        if isinstance(last, AuthError):
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since > AUTH_GRACE:
                return last
        time.sleep(POLL_INTERVAL)
    return last


def _try_login(target: Target, pkey: paramiko.PKey, timeout: float) -> None:
    """One authenticated SSH session, closed at once."""
    client = _client()
    try:
        _login(client, target, pkey, timeout)
    finally:
        client.close()


# --- commands ---------------------------------------------------------------------------


def _as_terminal_shows(line: str) -> str:
    """A carriage return redraws the line (progress counters): keep only the last drawing."""
    drawings = [part for part in line.split("\r") if part]
    return drawings[-1] if drawings else ""


class LineWriter:
    """A file-like sink for invoke's out_stream/err_stream that calls `on_output` per whole line.

    The writers of one `run` call share `lock`, so callbacks never run concurrently and a CLI
    can print from them without its own locking. `finish()` passes on an unterminated last line.
    """

    def __init__(self, server: str, on_output: OnOutput, lock: threading.Lock) -> None:
        self.server = server
        self._on_output = on_output
        self._lock = lock
        self._pending = ""

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
            for line in lines:
                self._on_output(self.server, _as_terminal_shows(line))
        return len(text)

    def flush(self) -> None:
        """invoke flushes after every chunk; a partial line waits for the rest of it."""

    def finish(self) -> None:
        with self._lock:
            if self._pending:
                self._on_output(self.server, _as_terminal_shows(self._pending))
                self._pending = ""


def run(
    targets: Sequence[Target],
    command: str,
    *,
    timeout: float | None = None,
    on_output: OnOutput | None = None,
    key: Path | None = None,
) -> list[RunResult]:
    """Run one shell command on every target at once; never raises for a server's failure."""
    pkey = _load_pkey(key)
    lock = threading.Lock()
    return _parallel(
        targets, lambda target: _run_one(target, command, pkey, timeout, on_output, lock)
    )


def _run_one(
    target: Target,
    command: str,
    pkey: paramiko.PKey,
    timeout: float | None,
    on_output: OnOutput | None,
    lock: threading.Lock,
) -> RunResult:
    try:
        conn = _fabric(target, pkey)
    except SSHError as error:
        return RunResult.failed(target.name, error)
    writers = [LineWriter(target.name, on_output, lock) for _ in range(2)] if on_output else []
    try:
        return _execute(conn, target, command, timeout, writers)
    finally:
        for writer in writers:
            writer.finish()
        conn.close()


def _execute(
    conn: Connection, target: Target, command: str, timeout: float | None, writers: list[LineWriter]
) -> RunResult:
    # An empty stdin, never the local one (worker threads must not read it): the remote
    # side sees end of input at once, so a command that asks a question ("Do you want to
    # continue? [Y/n]") gets no answer and stops, instead of waiting forever.
    options: dict[str, Any] = {"warn": True, "hide": True, "in_stream": io.StringIO(),
                               "timeout": timeout}
    if writers:
        options.update(hide=False, out_stream=writers[0], err_stream=writers[1])
    try:
        result = conn.run(command, **options)
    except CommandTimedOut as exc:
        limit = SSHTimeoutError(f"{target.name}: the command did not finish within {timeout:g} s")
        return RunResult(target.name, TIMED_OUT, exc.result.stdout, exc.result.stderr, limit.line())
    except _NETWORK_ERRORS as exc:
        return RunResult.failed(target.name, explain(target, exc))
    if result.exited == -1:  # paramiko's value when the channel closed without an exit status
        lost = ConnectError(
            f"{target.name}: the connection closed before the command finished", _NOT_RUNNING
        )
        return RunResult(target.name, CONNECT_FAILED, result.stdout, result.stderr, lost.line())
    return RunResult(target.name, result.exited, result.stdout, result.stderr)


# --- copies -----------------------------------------------------------------------------


def put(
    targets: Sequence[Target],
    local_path: Path | str,
    remote_path: str,
    mode: int | None = None,
    *,
    key: Path | None = None,
) -> list[RunResult]:
    """Copy one local file to `remote_path` on every target at once; `mode` like 0o644."""
    local = Path(local_path)
    if not local.is_file():
        raise UsageError(f"cannot copy {local}: no such file", "Check the path")
    pkey = _load_pkey(key)
    return _parallel(targets, lambda target: _put_one(target, local, remote_path, mode, pkey))


def _put_one(
    target: Target, local: Path, remote: str, mode: int | None, pkey: paramiko.PKey
) -> RunResult:
    try:
        conn = _fabric(target, pkey)
    except SSHError as error:
        return RunResult.failed(target.name, error)
    try:
        written = conn.put(str(local), remote=remote)
        if mode is not None:  # the file written, also when `remote` names a folder
            conn.sftp().chmod(written.remote, mode)
    except FileNotFoundError:
        return RunResult.failed(target.name, _missing_parent(target, remote), exit_code=1)
    except PermissionError:
        return RunResult.failed(
            target.name, LabError(f"{target.name}: permission denied writing {remote}"), 1
        )
    except _NETWORK_ERRORS as exc:
        return RunResult.failed(target.name, explain(target, exc))
    finally:
        conn.close()
    return RunResult(target.name, 0)


def _missing_parent(target: Target, remote: str) -> LabError:
    parent = posixpath.dirname(remote) or "."
    return UsageError(
        f"{target.name}: cannot copy to {remote}: the directory {parent} does not exist there",
        f"Create it first, e.g. with `mkdir -p {parent}`",
    )


# --- interactive shell ------------------------------------------------------------------


def interactive_shell(target: Target, *, key: Path | None = None) -> int:
    """A login shell on the server in this terminal, without a host ssh; returns its exit status."""
    pkey = _load_pkey(key)
    client = _client()
    _login(client, target, pkey, CONNECT_TIMEOUT)
    try:
        columns, lines = _terminal_size()
        term = os.environ.get("TERM", "xterm-256color")
        channel = client.invoke_shell(term=term, width=columns, height=lines)
        if sys.platform == "win32":
            _pump_lines(channel, sys.stdin, sys.stdout.buffer)
        else:
            _pump_posix(channel, sys.stdin.fileno(), sys.stdout.buffer)
        status = channel.recv_exit_status()
        return CONNECT_FAILED if status == -1 else status  # -1: closed without an exit status
    except _NETWORK_ERRORS as exc:
        raise explain(target, exc) from exc
    finally:
        client.close()


def _terminal_size() -> tuple[int, int]:
    """Columns and lines of the real terminal (not $COLUMNS, which goes stale on resize)."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        size = shutil.get_terminal_size()
    return size.columns, size.lines


def _pump_posix(channel: paramiko.Channel, fd: int, out: BinaryIO) -> None:
    """Raw mode and a select loop; the terminal is restored whatever happens."""
    saved = termios.tcgetattr(fd) if os.isatty(fd) else None
    previous = _follow_window_size(channel)
    try:
        if saved is not None:
            # TCSADRAIN, as OpenSSH does: the default TCSAFLUSH would drop what the user
            # typed ahead while the connection was being made.
            tty.setraw(fd, termios.TCSADRAIN)
        _select_loop(channel, fd, out)
    finally:
        if saved is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if previous is not None:
            signal.signal(signal.SIGWINCH, previous)


def _follow_window_size(channel: paramiko.Channel) -> Any:
    """Resize the remote pty on SIGWINCH; returns the previous handler (None if not installed)."""
    if not hasattr(signal, "SIGWINCH") or threading.current_thread() is not threading.main_thread():
        return None

    def resize(signum: int, frame: FrameType | None) -> None:
        columns, lines = _terminal_size()
        channel.resize_pty(width=columns, height=lines)

    return signal.signal(signal.SIGWINCH, resize)


def _select_loop(channel: paramiko.Channel, fd: int, out: BinaryIO) -> None:
    sources: list[Any] = [channel, fd]
    while True:
        readable, _, _ = select.select(sources, [], [])
        if channel in readable:
            data = channel.recv(32768)
            if not data:
                return
            out.write(data)
            out.flush()
        if fd in readable:
            data = os.read(fd, 4096)
            if data:
                channel.sendall(data)
            else:  # local end of input: tell the server, keep showing its output
                channel.shutdown_write()
                sources.remove(fd)


def _pump_lines(channel: paramiko.Channel, lines: TextIO, out: BinaryIO) -> None:
    """Windows: no select on consoles, so one thread feeds whole lines and this one prints."""

    def feed() -> None:
        for line in lines:
            channel.sendall(line.encode("utf-8"))
        channel.shutdown_write()

    threading.Thread(target=feed, name="lab-shell-input", daemon=True).start()
    while data := channel.recv(32768):
        out.write(data)
        out.flush()


# --- tunnels to an engine reached over SSH ----------------------------------------------
#
# An engine named by DOCKER_HOST=ssh://user@host[:port] publishes the servers' ports on
# 127.0.0.1 of that host. The lab reaches them as `ssh -L` would: one SSH connection per
# engine and process, made as docker's own SSH transport makes it (the user's ~/.ssh/config,
# keys and agent, ~/.ssh/known_hosts; never the lab's key), and for each port a listening
# socket on this machine's 127.0.0.1 whose connections become direct-tcpip channels.

TUNNEL_KEEPALIVE = 30  # seconds between keepalives on an engine's SSH connection
_tunnel_lock = threading.Lock()
_engine_clients: dict[str, paramiko.SSHClient] = {}
_forwards: dict[tuple[str, int], socket.socket] = {}
_log = logging.getLogger("lab.tunnel")


def forward(engine: str, port: int) -> tuple[str, int]:
    """Where this process reaches 127.0.0.1:`port` of the machine the ssh:// `engine` names.

    The connection is made (or StateError raised) now; forwards are kept for the process.
    """
    with _tunnel_lock:
        _engine_transport(engine)
        listener = _forwards.get((engine, port))
        if listener is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind((LOCALHOST, 0))
            listener.listen(64)
            _forwards[(engine, port)] = listener
            threading.Thread(target=_accept_loop, args=(listener, engine, port),
                             name=f"lab-tunnel-{port}", daemon=True).start()
            _log.debug("forwarding %s:%d to %s:%d on %s", LOCALHOST,
                       listener.getsockname()[1], LOCALHOST, port, engine)
        return LOCALHOST, int(listener.getsockname()[1])


def forwarded() -> dict[int, int]:
    """The forwards this process opened: engine-side port -> local port."""
    with _tunnel_lock:
        return {port: int(sock.getsockname()[1]) for (_, port), sock in _forwards.items()}


def _engine_transport(engine: str) -> paramiko.Transport:
    """The engine's SSH connection, made again if it dropped; call with `_tunnel_lock` held."""
    client = _engine_clients.get(engine)
    transport = client.get_transport() if client else None
    if transport is not None and transport.is_active():
        return transport
    client = _connect_engine(engine)
    _engine_clients[engine] = client
    transport = client.get_transport()
    assert transport is not None
    transport.set_keepalive(TUNNEL_KEEPALIVE)
    return transport


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


def _connect_engine(engine: str) -> paramiko.SSHClient:
    parameters = engine_ssh_parameters(engine)
    client = paramiko.SSHClient()
    client.load_system_host_keys()  # as docker's transport: a host it does not know is refused
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(**parameters, timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT,
                       auth_timeout=CONNECT_TIMEOUT)
    except _NETWORK_ERRORS as exc:
        client.close()
        raise _engine_unreachable(engine, exc) from exc
    return client


def _engine_unreachable(engine: str, exc: BaseException) -> SSHError:
    if isinstance(exc, paramiko.AuthenticationException):
        return SSHError(f"cannot log in to the engine's machine {engine} to reach its servers",
                        "Make `ssh` to it work without a password (a key, or your agent), "
                        "as Docker's own SSH connection needs.")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return SSHError(f"cannot reach the engine's machine {engine} over SSH: {reason}",
                    "Check that `docker -H " + engine + " ps` works from this machine.")


def _accept_loop(listener: socket.socket, engine: str, port: int) -> None:
    while True:
        try:
            local, peer = listener.accept()
        except OSError:
            return
        threading.Thread(target=_carry, args=(local, peer, engine, port),
                         name=f"lab-tunnel-{port}", daemon=True).start()


def _carry(local: socket.socket, peer: Any, engine: str, port: int) -> None:
    """One forwarded connection: a channel to 127.0.0.1:port on the engine's machine, and the
    bytes of both directions. If the port does not answer there, the local side hangs up."""
    local.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        with _tunnel_lock:
            transport = _engine_transport(engine)
        channel = transport.open_channel("direct-tcpip", (LOCALHOST, port), peer,
                                         timeout=CONNECT_TIMEOUT)
    except (SSHError, *_NETWORK_ERRORS):
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
                data = source.recv(32768)
                if data:
                    (channel if source is local else local).sendall(data)
                    continue
            except _NETWORK_ERRORS:
                return
            sources.remove(source)  # this side finished writing: tell the other, keep reading
            with contextlib.suppress(*_NETWORK_ERRORS):
                if source is local:
                    channel.shutdown_write()
                else:
                    local.shutdown(socket.SHUT_WR)
