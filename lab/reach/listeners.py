"""The local ports a kind of forward opens in this process: one listener on 127.0.0.1 per
port of the engine's machine, each connection it accepts served on a thread of its own."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Hashable
from typing import Any

LOOPBACK = "127.0.0.1"
BACKLOG = 64

# Serves one accepted connection: the local socket and the peer's address.
Serve = Callable[[socket.socket, Any], None]

_log = logging.getLogger(__name__)


class Listeners:
    """The forwards of one kind, keyed as the kind needs (a port, or an engine and a port);
    `thread_name` names the threads, followed by the forwarded port."""

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._lock = threading.Lock()
        self._open: dict[Hashable, tuple[int, socket.socket]] = {}

    def local_port(self, key: Hashable, port: int, serve: Serve) -> tuple[str, int]:
        """Where this process reaches `port`: the listener opened for `key` on first use,
        whose connections `serve` carries."""
        with self._lock:
            found = self._open.get(key)
            if found is None:
                found = port, _listen()
                self._open[key] = found
                self._thread(port, self._accept, found[1], port, serve)
                _log.debug("%s: %s:%d forwards port %d", self._thread_name, LOOPBACK,
                           found[1].getsockname()[1], port)
            return LOOPBACK, int(found[1].getsockname()[1])

    def forwarded(self) -> dict[int, int]:
        """The forwards this process opened: engine-side port -> local port."""
        with self._lock:
            return {port: int(sock.getsockname()[1]) for port, sock in self._open.values()}

    def _accept(self, listener: socket.socket, port: int, serve: Serve) -> None:
        while True:
            try:
                connection, peer = listener.accept()
            except OSError:
                return
            self._thread(port, serve, connection, peer)

    def _thread(self, port: int, work: Callable[..., None], *args: Any) -> None:
        threading.Thread(target=work, args=args, name=f"{self._thread_name}-{port}",
                         daemon=True).start()


def _listen() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(BACKLOG)
    return listener
