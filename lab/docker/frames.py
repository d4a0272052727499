"""The output of an attached `docker exec`, read frame by frame straight from its socket,
plain or TLS.

Without a TTY the engine multiplexes stdout and stderr into frames: an 8-byte header (the
stream, three zero bytes, the size big-endian), then the data. docker-py's own reader polls
the socket's descriptor before each read, which waits forever over TLS once the TLS layer
already holds the decrypted bytes; reading with recv() here never does.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Iterator
from typing import Any

STDOUT, STDERR = 1, 2
HEADER = 8
CHUNK = 65536


def raw_socket(stream: Any) -> socket.socket:
    """The socket under what `exec_start(socket=True)` returns (a SocketIO for plain
    connections, the TLS socket itself for https)."""
    return getattr(stream, "_sock", stream)


class Frames:
    """The frames of one exec's output: read from its socket (`next`, `for`), or fed the
    bytes a caller read itself (`feed`). The socket's own timeout bounds each wait."""

    def __init__(self, raw: socket.socket | None = None) -> None:
        self._raw = raw
        self._buffer = bytearray()
        self._ready: deque[tuple[int, bytes]] = deque()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The frames these bytes complete, in order; a partial frame waits for more."""
        self._buffer += data
        complete = []
        while len(self._buffer) >= HEADER:
            size = int.from_bytes(self._buffer[4:HEADER], "big")
            if len(self._buffer) < HEADER + size:
                break
            complete.append((self._buffer[0], bytes(self._buffer[HEADER:HEADER + size])))
            del self._buffer[:HEADER + size]
        return complete

    def next(self) -> tuple[int, bytes] | None:
        """The next frame as (stream, data); None once the exec's output has ended. A
        timeout or a broken connection raises OSError."""
        assert self._raw is not None, "Frames() without a socket is only fed"
        while not self._ready:
            received = self._raw.recv(CHUNK)
            if not received:
                return None
            self._ready.extend(self.feed(received))
        return self._ready.popleft()

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """Every frame until the end; a broken connection also ends them."""
        while True:
            try:
                frame = self.next()
            except OSError:
                return
            if frame is None:
                return
            yield frame
