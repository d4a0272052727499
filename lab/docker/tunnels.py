"""Ports a remote engine publishes on its own 127.0.0.1, reached through the engine's API:
each connection is a `docker exec` of a byte relay inside the container that publishes
the port, so a tcp:// engine on another machine needs no port open to the network.

The lab binds every published port to the engine's loopback, so another machine cannot
connect to it. Docker's API can still reach into the container: the relay (a few lines of
Perl, which every Debian image has in perl-base) connects to the container's own port and
copies bytes both ways over the exec's stdin and stdout. A connection costs one exec
(about 40 ms of the engine's CPU): fine for SSH sessions, health checks and page loads,
too slow for the probe's hundreds of requests a second.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from typing import Any

from lab.docker.engine import api, engine_errors
from lab.docker.frames import CHUNK, STDERR, STDOUT, Frames, raw_socket
from lab.docker.labels import container_selector
from lab.errors import StateError

LOCALHOST = "127.0.0.1"

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
_lock = threading.Lock()
_listeners: dict[int, socket.socket] = {}


def forward(port: int) -> tuple[str, int]:
    """Where this process reaches `port` of the engine machine's 127.0.0.1: a local port whose
    connections are relayed through the engine. StateError when no lab container publishes
    it."""
    _publisher(port)  # an unknown port fails now, with a reason, not as a dropped connection
    with _lock:
        listener = _listeners.get(port)
        if listener is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind((LOCALHOST, 0))
            listener.listen(64)
            _listeners[port] = listener
            threading.Thread(target=_accept_loop, args=(listener, port),
                             name=f"lab-relay-{port}", daemon=True).start()
        return LOCALHOST, int(listener.getsockname()[1])


def forwarded() -> dict[int, int]:
    """The forwards this process opened: engine-side port -> local port."""
    with _lock:
        return {port: int(sock.getsockname()[1]) for port, sock in _listeners.items()}


def _publisher(port: int) -> tuple[str, int]:
    """The lab container that publishes `port` on the engine's machine, and its own port."""
    with engine_errors():
        found = api().containers(filters={"label": container_selector()})
    for container in found:
        for mapping in container.get("Ports") or ():
            if mapping.get("PublicPort") == port and mapping.get("Type") == "tcp":
                return str(container["Id"]), int(mapping["PrivatePort"])
    raise StateError(f"no running lab container publishes port {port} on the engine",
                     "Run `lab status` to see the servers' ports; `lab start` starts them.")


def _accept_loop(listener: socket.socket, port: int) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_relay, args=(client, port), name=f"lab-relay-{port}",
                         daemon=True).start()


def _relay(client: socket.socket, port: int) -> None:
    """One connection: an exec of the relay in the publishing container, bytes both ways."""
    try:
        container, inside = _publisher(port)
        with engine_errors():
            low = api()
            exec_id = low.exec_create(container, ["perl", "-e", RELAY, str(inside)],
                                      stdin=True, stdout=True, stderr=True)["Id"]
            stream: Any = low.exec_start(exec_id, socket=True)
    except Exception as exc:  # this connection fails; the caller sees it closed
        _log.debug("relay to port %d: %s", port, exc)
        client.close()
        return
    raw = raw_socket(stream)
    raw.settimeout(None)  # an SSH session may sit idle for as long as the learner likes
    threading.Thread(target=_to_engine, args=(client, raw), name=f"lab-relay-{port}-in",
                     daemon=True).start()
    try:
        _from_engine(raw, client, port)
    finally:
        client.close()
        raw.close()


def _to_engine(client: socket.socket, raw: socket.socket) -> None:
    """The client's bytes into the relay's stdin; the client's end becomes stdin's end.

    Over TLS the end cannot be passed on (shutting down one direction ends the TLS session),
    so there the client's end ends the relay.
    """
    try:
        while data := client.recv(CHUNK):
            raw.sendall(data)
        if isinstance(raw, ssl.SSLSocket):
            raw.close()
        else:
            raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _from_engine(raw: socket.socket, client: socket.socket, port: int) -> None:
    """The relay's output to the client until the port's end closes."""
    for kind, data in Frames(raw):
        if kind == STDERR:
            _log.debug("relay to port %d: %s", port, data.decode(errors="replace").strip())
        elif kind == STDOUT:
            try:
                client.sendall(data)
            except OSError:
                return
