"""The traffic probe against a local HTTP server (real sockets on 127.0.0.1, no Docker): it
keeps its schedule, records who answered, records failures and late requests, and stops
promptly when the server hangs."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from datetime import timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lab.deploy.traffic import Probe, ProbeRecord, pool_size


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    version = "1.0"
    mode = "ok"  # ok, fail (503), slow (answers after 0.3 s), hang (never answers)
    release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the probe's timeout) is no news here

    def close(self) -> None:
        """No longer listening: connections are refused from now on."""
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        if self.server.mode == "hang":
            self.server.release.wait(10)
            return
        if self.server.mode == "slow":
            time.sleep(0.3)
        status = 503 if self.server.mode == "fail" else 200
        body = f"{self.server.version}\n".encode() if status == 200 else b"unavailable"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server(("127.0.0.1", 0), Handler)
    running.release = threading.Event()
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield running
    running.release.set()
    if thread.is_alive():
        running.close()


def probe_for(url: str, seconds: float, rate: float) -> ProbeRecord:
    with Probe(url, rate=rate) as probe:
        time.sleep(seconds)
    return probe.stop()


def test_a_steady_run_records_every_request_and_the_version(server: Server) -> None:
    record = probe_for(server.url, 2.0, rate=50)

    assert 98 <= len(record.samples) <= 103
    assert record.rate == 50 and 2.0 <= record.duration < 2.2
    assert record.started_at.tzinfo == timezone.utc
    assert {(s.status, s.version) for s in record.samples} == {(200, "1.0")}
    assert [s.scheduled for s in record.samples] == [k / 50 for k in range(len(record.samples))]
    assert all(s.sent >= s.scheduled for s in record.samples)
    assert statistics.median(s.sent - s.scheduled for s in record.samples) < 0.02
    assert all(0 < s.latency < 1 for s in record.samples)


def test_failures_show_as_their_status_and_refusals_as_0(server: Server) -> None:
    probe = Probe(server.url, rate=50, timeout=0.5)
    probe.start()
    time.sleep(0.3)
    server.version = "2.0"
    time.sleep(0.3)
    failing_from = probe.now()
    server.mode = "fail"
    time.sleep(0.3)
    refusing_from = probe.now()
    server.close()
    time.sleep(0.3)
    record = probe.stop()

    statuses = {s.status for s in record.samples}
    assert statuses == {200, 503, 0}
    assert {s.version for s in record.samples if s.status == 200} == {"1.0", "2.0"}
    assert all(s.version == "" for s in record.samples if s.status != 200)
    assert all(s.status == 200 for s in record.samples if s.sent < failing_from - 0.05)
    assert all(s.status == 0 for s in record.samples if s.sent > refusing_from + 0.05)


def test_stop_is_prompt_when_the_server_hangs(server: Server) -> None:
    server.mode = "hang"
    probe = Probe(server.url, rate=20, timeout=0.3)
    probe.start()
    time.sleep(0.3)
    stopping = time.monotonic()
    record = probe.stop()

    assert time.monotonic() - stopping < 0.3 + 0.6  # the timeout, and a margin for a busy CI
    assert 5 <= len(record.samples) <= 8
    assert all(s.status == 0 and s.version == "" for s in record.samples)
    assert all(s.latency <= 0.3 + 0.3 for s in record.samples)


def test_a_late_request_is_sent_late_never_skipped(server: Server) -> None:
    server.mode = "slow"  # 8 workers, 0.3 s an answer: about 27 a second for 50 asked
    probe = Probe(server.url, rate=50, timeout=0.5)
    probe.start()
    time.sleep(0.5)
    record = probe.stop()

    assert [s.scheduled for s in record.samples] == [k / 50 for k in range(len(record.samples))]
    answered = [s for s in record.samples if s.status == 200]
    assert len(answered) >= 8 + 8  # two rounds of the pool at least
    assert max(s.sent - s.scheduled for s in answered) > 0.1


def test_the_pool_fits_the_rate_and_timeout() -> None:
    assert pool_size(50, 2.0) == 25
    assert pool_size(200, 2.0) == 64
    assert pool_size(1, 0.5) == 8


def test_the_clock_needs_a_start() -> None:
    with pytest.raises(RuntimeError):
        Probe("http://127.0.0.1:9").now()
    with pytest.raises(ValueError):
        Probe("ftp://127.0.0.1/")
