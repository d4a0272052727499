"""Ports a tcp:// engine on another machine publishes on its own 127.0.0.1, reached through
the engine's API: each connection is a `docker exec` of a byte relay inside the container
that publishes the port, so that engine needs no port open to the network.

The lab binds every published port to the engine's loopback, so another machine cannot
connect to it. Docker's API can still reach into the container: the relay (a few lines of
Perl, which every Debian image has in perl-base) connects to the container's own port and
copies bytes both ways over the exec's stdin and stdout. A connection costs one exec
(about 40 ms of the engine's CPU): fine for SSH sessions, health checks and page loads,
too slow for the probe's hundreds of requests a second.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
from typing import Any

from lab.docker.engine import Engine, current, engine_errors
from lab.docker.frames import CHUNK, STDERR, STDOUT, Frames, raw_socket
from lab.docker.labels import container_selector
from lab.errors import StateError
from lab.reach.listeners import Listeners

# Connects to the container's own port and copies bytes both ways; the end of stdin is
# passed on as a half-close, and the port's end of the connection ends the relay.
RELAY = r"""
use IO::Socket::INET; use IO::Select;
my $port = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0],
                                 Proto => "tcp") or die "cannot connect to port $ARGV[0]: $!\n";
binmode STDIN; binmode STDOUT;
my $ready = IO::Select->new(\*STDIN, $port);
sub put { my ($to, $data) = @_; while (length $data) {
    my $n = syswrite($to, $data); die "write: $!\n" unless defined $n; substr($data, 0, $n) = "" } }
while (my @can = $ready->can_read) {
    for my $from (@can) {
        my $n = sysread($from, my $data, 65536);
        if (fileno($from) == fileno($port)) { exit 0 unless $n; put(\*STDOUT, $data) }
        elsif ($n) { put($port, $data) }
        else { $port->shutdown(1); $ready->remove(\*STDIN) }
    }
}
"""

_log = logging.getLogger(__name__)
_listeners = Listeners("lab-relay")


def forward(port: int, engine: Engine | None = None) -> tuple[str, int]:
    """Where this process reaches `port` of the engine machine's 127.0.0.1 (default: the
    process's engine): a local port whose connections are relayed through the engine.
    StateError when no lab container publishes it."""
    through = current() if engine is None else engine
    # An unknown port fails now, with a reason, rather than as a dropped connection later.
    _publisher(port, through)
    return _listeners.local_port((through, port), port,
                                 lambda client, _: _relay(client, port, through))


def forwarded() -> dict[int, int]:
    """The forwards this process opened: engine-side port -> local port."""
    return _listeners.forwarded()


def _publisher(port: int, engine: Engine) -> tuple[str, int]:
    """The lab container that publishes `port` on the engine's machine, and its own port."""
    with engine_errors(engine):
        found = engine.api().containers(filters={"label": container_selector()})
    for container in found:
        for mapping in container.get("Ports") or ():
            if mapping.get("PublicPort") == port and mapping.get("Type") == "tcp":
                return str(container["Id"]), int(mapping["PrivatePort"])
    raise StateError(f"no running lab container publishes port {port} on the engine",
                     "Run `lab status` to see the servers' ports; `lab start` starts them.")


def _relay(client: socket.socket, port: int, engine: Engine) -> None:
    """One connection: an exec of the relay in the publishing container, bytes both ways."""
    try:
        container, inside = _publisher(port, engine)
        with engine_errors(engine):
            low = engine.api()
            exec_id = low.exec_create(container, ["perl", "-e", RELAY, str(inside)],
                                      stdin=True, stdout=True, stderr=True)["Id"]
            stream: Any = low.exec_start(exec_id, socket=True)
    except Exception as exc:  # this connection fails; the caller sees it closed
        _log.debug("relay to port %d: %s", port, exc)
        client.close()
        return
    raw = raw_socket(stream)
    raw.settimeout(None)  # an SSH session may sit idle for as long as the learner likes
    try:
        if isinstance(raw, ssl.SSLSocket):
            _relay_tls(client, raw, port)
        else:
            _relay_plain(client, raw, port)
    finally:
        _end(client)
        _end(raw)


def _relay_plain(client: socket.socket, raw: socket.socket, port: int) -> None:
    """A thread each way; the client's end of sending is passed on as a half-close, and the
    relay's end (the port closed) ends the connection."""
    threading.Thread(target=_to_engine, args=(client, raw), name=f"lab-relay-{port}-in",
                     daemon=True).start()
    for kind, data in Frames(raw):
        if not _deliver(kind, data, client, port):
            return


def _to_engine(client: socket.socket, raw: socket.socket) -> None:
    try:
        while data := client.recv(CHUNK):
            raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _relay_tls(client: socket.socket, raw: ssl.SSLSocket, port: int) -> None:
    """Both ways in one thread: OpenSSL forbids using one TLS connection from two threads at
    once. A half-close cannot be passed on over TLS (shutting one direction ends the TLS
    session), so either side's end ends the connection.

    Writing to the engine blocks this thread; that could only stall if the port sent a lot
    while the client sent a lot at the same moment, which SSH and HTTP never do.
    """
    frames = Frames()
    while True:
        readable = [raw] if raw.pending() else select.select([client, raw], [], [])[0]
        try:
            if raw in readable:
                data = raw.recv(CHUNK)
                if not data:
                    return
                for kind, payload in frames.feed(data):
                    if not _deliver(kind, payload, client, port):
                        return
            if client in readable:
                data = client.recv(CHUNK)
                if not data:
                    return
                raw.sendall(data)
        except OSError:
            return


def _deliver(kind: int, data: bytes, client: socket.socket, port: int) -> bool:
    """One frame of the relay's output: stdout to the client, stderr to the debug log.
    False once the client is gone."""
    if kind == STDERR:
        _log.debug("relay to port %d: %s", port, data.decode(errors="replace").strip())
    elif kind == STDOUT:
        try:
            client.sendall(data)
        except OSError:
            return False
    return True


def _end(connection: socket.socket) -> None:
    """Close both ways first: a bare close() from this thread would not wake a recv()
    waiting in another, nor tell the other end."""
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
