"""Is a new server healthy? Ask its /health page through the port published for 80."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from lab import reach
from lab.docker import containers

HEALTH_PATH = "/health"
HTTP_PORT = 80
TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.1
# An answer other than `ok` is believed after this many in a row: nginx answers at once,
# and a server that says `fail` three times over half a second is not about to change.
VERDICTS_NEEDED = 3
VERDICT_SPACING = 0.2


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str  # "answered ok", "answered 'fail'", "did not answer within 30 s", ...


def ask(port: int, timeout: float = 2.0) -> tuple[int, str]:
    """GET /health on the engine's 127.0.0.1:port: (status, first line of the body)."""
    host, reached = reach.address(port)
    url = f"http://{host}:{reached}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            body = answer.read(512).decode(errors="replace")
            return answer.status, (body.strip().splitlines() or [""])[0]
    except urllib.error.HTTPError as answer:
        return answer.code, ""


def judge(status: int, body: str) -> bool:
    return status == 200 and body == "ok"


def describe(status: int, body: str) -> str:
    if status == 200:
        return f"answered {body!r}" if body != "ok" else "answered ok"
    return f"answered HTTP {status}"


def wait_healthy(container_id: str, timeout: float = TIMEOUT_SECONDS) -> Health:
    """Poll the container's /health until it says ok, says something else for good, or
    the time is up. A container that exits is unhealthy at once, with its last words."""
    deadline = time.monotonic() + timeout
    port: int | None = None
    verdicts: list[str] = []
    while time.monotonic() < deadline:
        port = port or containers.published_port(container_id, HTTP_PORT)
        if port is None:
            return _gone(container_id) or Health(False, f"publishes no port {HTTP_PORT}")
        try:
            status, body = ask(port)
        except OSError:  # not listening yet, or reset while nginx starts
            verdicts = []
            gone = _gone(container_id)
            if gone:
                return gone
            time.sleep(POLL_SECONDS)
            continue
        if judge(status, body):
            return Health(True, "answered ok")
        verdicts.append(describe(status, body))
        if len(verdicts) >= VERDICTS_NEEDED:
            return Health(False, f"{HEALTH_PATH} {verdicts[-1]}")
        time.sleep(VERDICT_SPACING)
    return Health(False, f"{HEALTH_PATH} did not answer within {timeout:.0f} s")


def wait_answering(container_id: str, timeout: float = TIMEOUT_SECONDS) -> Health:
    """Wait until /health answers at all (ok or not): the server takes traffic, and whether
    it is healthy is judged later (traffic splitting evaluates it under load)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        port = containers.published_port(container_id, HTTP_PORT)
        if port is None:
            return _gone(container_id) or Health(False, f"publishes no port {HTTP_PORT}")
        try:
            status, body = ask(port)
        except OSError:
            gone = _gone(container_id)
            if gone:
                return gone
            time.sleep(POLL_SECONDS)
            continue
        return Health(True, describe(status, body))
    return Health(False, f"{HEALTH_PATH} did not answer within {timeout:.0f} s")


def _gone(container_id: str) -> Health | None:
    """Unhealthy if the container is no longer running: it exited, or was removed."""
    details = containers.inspect(container_id)
    if details is None:
        return Health(False, "its container was removed")
    state = details.get("State") or {}
    if state.get("Running"):
        return None
    last = containers.logs_tail(container_id, 1)
    said = f": {last[-1].strip()[:160]}" if last else ""
    return Health(False, f"its container exited with code {state.get('ExitCode')}{said}")
