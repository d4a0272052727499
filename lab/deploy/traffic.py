"""A steady stream of requests through the load balancer, each one recorded: when, how long,
what status, which version answered.

Request k is due at k/rate seconds after the start, on an absolute schedule: a request that
could not go out on time (every worker busy, the machine loaded) goes out late and is recorded
as late (`sent` after `scheduled`), never skipped, and the schedule does not slide. Each request
opens its own connection, as many users would, and closes it.

The pool: each idle worker claims the next slot of the schedule and sleeps until it is due, so a
request leaves with one thread wake-up and no hand-over between threads. When the probe stops,
slots due before that moment are still sent, for at most `timeout` seconds more; whatever is
still unanswered then is recorded as failed (status 0): a user would have had no answer.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from urllib.parse import urlsplit

MAX_WORKERS = 64
MIN_WORKERS = 8
STOP_MARGIN = 0.25  # seconds stop() waits beyond the timeout for workers to hand in a sample


@dataclass(frozen=True)
class Sample:
    scheduled: float  # seconds since the probe started, when this request was due
    sent: float  # seconds since the probe started, when it was really sent
    latency: float  # seconds until the whole answer was read (or the error)
    status: int  # HTTP status; 0 when no answer (refused, reset, timeout)
    version: str  # the body of /version, stripped ("2.0"); "" on error

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def late(self) -> float:
        """Seconds this request left after it was due."""
        return self.sent - self.scheduled


@dataclass(frozen=True)
class ProbeRecord:
    rate: float  # requests per second asked for
    started_at: datetime  # wall clock (UTC) at second 0
    duration: float  # seconds the probe ran
    samples: tuple[Sample, ...]  # in scheduled order


def pool_size(rate: float, timeout: float) -> int:
    """Workers enough for a quarter of `rate` x `timeout` hung requests, within 8..64."""
    return min(MAX_WORKERS, max(MIN_WORKERS, math.ceil(rate * timeout / 4)))


class Probe:
    """Sends GET `path` to `url` `rate` times a second from start() until stop()."""

    def __init__(self, url: str, rate: float = 50.0, path: str = "/version",
                 timeout: float = 2.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the probe needs an http:// URL, not {url!r}")
        if rate <= 0 or timeout <= 0:
            raise ValueError("the probe's rate and timeout must be positive")
        self.url = url
        self.rate = rate
        self.path = path
        self.timeout = timeout
        self._host = parts.hostname
        self._port = parts.port or 80
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self._samples: dict[int, Sample] = {}
        self._in_flight: dict[int, float] = {}  # slot -> sent
        self._next = 0  # the next slot nobody has claimed
        self._origin: float | None = None  # time.monotonic() at second 0
        self._started_at = datetime.now(timezone.utc)
        self._stop_at: float | None = None  # seconds: scheduling ended here
        self._deadline = math.inf  # seconds: no request starts or counts after this
        self._record: ProbeRecord | None = None

    # -- the caller's side -------------------------------------------------------------------

    def start(self) -> None:
        if self._origin is not None:
            raise RuntimeError("the probe has already started")
        self._started_at = datetime.now(timezone.utc)
        self._origin = time.monotonic()
        for index in range(pool_size(self.rate, self.timeout)):
            worker = threading.Thread(target=self._work, name=f"probe-{index}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def now(self) -> float:
        """Seconds since start() on the probe's own clock, to mark moments on it."""
        if self._origin is None:
            raise RuntimeError("the probe has not started")
        return time.monotonic() - self._origin

    def stop(self) -> ProbeRecord:
        """Stops scheduling, waits (at most `timeout`) for requests due before now."""
        if self._record is not None:
            return self._record
        stop_at = self.now()
        with self._lock:
            self._stop_at = stop_at
            self._deadline = stop_at + self.timeout
        self._stopping.set()
        give_up = time.monotonic() + self.timeout + STOP_MARGIN
        for worker in self._workers:
            worker.join(max(0.0, give_up - time.monotonic()))
        self._record = self._close(stop_at)
        return self._record

    def __enter__(self) -> Probe:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # -- the workers' side -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            slot = self._claim()
            if slot is None:
                return
            due = slot / self.rate
            wait = due - self.now()
            if wait > 0 and self._stopping.wait(wait) and due >= self._stop_moment():
                return  # woken by stop() for a slot that never fell due
            self._send(slot, due)

    def _claim(self) -> int | None:
        with self._lock:
            slot = self._next
            if self._stop_at is not None and slot / self.rate >= self._stop_at:
                return None
            self._next += 1
            return slot

    def _slots_before(self, moment: float) -> int:
        """How many slots fall due before `moment`: the same test as _claim()'s."""
        count = max(0, math.ceil(moment * self.rate))
        while count > 0 and (count - 1) / self.rate >= moment:
            count -= 1
        while count / self.rate < moment:
            count += 1
        return count

    def _stop_moment(self) -> float:
        with self._lock:
            return math.inf if self._stop_at is None else self._stop_at

    def _send(self, slot: int, due: float) -> None:
        sent = self.now()
        with self._lock:
            allowed = min(self.timeout, self._deadline - sent)
            if allowed <= 0:
                return  # past the deadline: _close() records it as unanswered
            self._in_flight[slot] = sent
        status, version = self._get(allowed)
        latency = self.now() - sent
        with self._lock:
            if self._in_flight.pop(slot, None) is None:
                return  # stop() gave up on it already
            self._samples[slot] = Sample(due, sent, latency, status, version)

    def _get(self, timeout: float) -> tuple[int, str]:
        """One GET on a new connection: (status, stripped body), (0, "") on no answer."""
        give_up = time.monotonic() + timeout
        connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            connection.request("GET", self.path, headers={"Connection": "close"})
            self._tighten(connection, give_up)
            answer = connection.getresponse()
            self._tighten(connection, give_up)
            body = answer.read()
        except (OSError, http.client.HTTPException):
            return 0, ""
        finally:
            connection.close()
        if answer.status != 200:
            return answer.status, ""
        return answer.status, body.decode("utf-8", "replace").strip()

    @staticmethod
    def _tighten(connection: http.client.HTTPConnection, give_up: float) -> None:
        """The socket's timeout is per call: keep the whole request within its own."""
        if connection.sock is not None:
            connection.sock.settimeout(max(0.001, give_up - time.monotonic()))

    def _close(self, stop_at: float) -> ProbeRecord:
        """The record: every slot due before `stop_at`; unanswered ones as status 0."""
        now = self.now()
        with self._lock:
            self._deadline = -math.inf  # late workers hand in nothing more
            samples = []
            for slot in range(self._slots_before(stop_at)):
                sample = self._samples.get(slot)
                if sample is None:
                    sent = self._in_flight.pop(slot, now)
                    sample = Sample(slot / self.rate, sent, now - sent, 0, "")
                samples.append(sample)
            self._in_flight.clear()
        return ProbeRecord(self.rate, self._started_at, stop_at, tuple(samples))
