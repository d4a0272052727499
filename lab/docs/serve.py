"""Serve a built site on 127.0.0.1 with Python's http.server, in the foreground until Ctrl-C."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lab.docs import HOST, site_url
from lab.docs.build import SITE_DIR, Site, ensure_site
from lab.errors import StateError
from lab.settings import Settings


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request: the terminal stays readable."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    # On Windows SO_REUSEADDR lets a second server take a port already in use, silently.
    allow_reuse_address = sys.platform != "win32"
    daemon_threads = True


def open_server(folder: Path, port: int) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:port and listening, or a StateError naming the remedy."""
    handler = partial(_QuietHandler, directory=str(folder))
    try:
        return _Server((HOST, port), handler)
    except OSError as failure:
        if failure.errno in (errno.EADDRINUSE, errno.EACCES, getattr(errno, "WSAEADDRINUSE", -1)):
            raise StateError(
                f"port {port} on {HOST} is already in use or not allowed",
                f"Another `lab docs` may be serving there already: open {site_url(port)}, "
                f"or choose another port: `lab docs --port {_another(port)}`.",
            ) from None
        raise StateError(f"cannot serve the tutorial site on {HOST}:{port}: {failure.strerror}",
                         "Choose another port with `lab docs --port PORT`.") from None


def _another(port: int) -> int:
    return port + 1 if port < 65535 else 8001


def prepare(settings: Settings, port: int) -> tuple[ThreadingHTTPServer, Site]:
    """Take the port first (a port in use fails in a moment, not after a build), then make
    sure the site is built."""
    server = open_server(settings.home / SITE_DIR, port)
    try:
        return server, ensure_site(settings)
    except BaseException:
        server.server_close()
        raise


def serve(server: ThreadingHTTPServer, on_stop: Callable[[], None]) -> None:
    """Answer requests until Ctrl-C; Ctrl-C is the normal way to stop, not an error."""
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            on_stop()
