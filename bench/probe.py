"""Benchmark: the traffic probe's accuracy and its own cost, at 50 and 200 requests a second.

For each target and rate the probe runs --seconds; the table shows the rate it really sent
(requests that left within the run, per second) against the rate asked for, how late requests
left their schedule (p50, p99, max), the latency it measured, and the CPU the probe itself used
(time.process_time of this process over the run, per second of probing: the bench's main thread
only sleeps meanwhile, and the targets run in other processes). Below each target, the floor:
the same GET from one plain thread paced by sleep at the lower rate, its latency and CPU per
request, so what the probe adds (threads, scheduling, recording) shows as the difference.

Targets:
- a local http.server (ThreadingHTTPServer, in a child process) answering /version with "bench";
- nginx in the lab's server image, when a Docker engine answers and the image is built:
  `docker run -d --rm -p 127.0.0.1::80 --label lab.managed=true --label lab.role=bench
  immutable-lab/server:latest` (it answers /version with "none"); removed at the end by its id.

    python bench/probe.py [--seconds 10] [--rates 50,200]

The ratio is sent rate / asked rate (goal: at least 0.99).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from lab.deploy.traffic import Probe, ProbeRecord, pool_size

SERVER_IMAGE = "immutable-lab/server:latest"
GOAL_RATIO = 0.99
LOCAL_SERVER = """
import http.server, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"bench\\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
server.request_queue_size = 128
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def local_server() -> Iterator[str]:
    child = subprocess.Popen([sys.executable, "-c", LOCAL_SERVER], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(10)


@contextmanager
def nginx_container() -> Iterator[str | None]:
    """The lab's server image on a loopback port, or None without an engine or the image."""
    try:
        found = subprocess.run(["docker", "image", "inspect", SERVER_IMAGE],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        yield None
        return
    if found.returncode != 0:
        yield None
        return
    started = subprocess.run(
        ["docker", "run", "-d", "--rm", "-p", "127.0.0.1::80", "--label", "lab.managed=true",
         "--label", "lab.role=bench", SERVER_IMAGE], capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"docker run failed: {started.stderr.strip()}")
    container = started.stdout.strip()
    try:
        published = subprocess.run(["docker", "port", container, "80/tcp"],
                                   capture_output=True, text=True, check=True).stdout.split()
        url = f"http://127.0.0.1:{published[0].rsplit(':', 1)[1]}"
        wait_answering(url)
        yield url
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def wait_answering(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/version", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url}/version did not answer within {seconds:.0f} s")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(url: str, rate: float, seconds: float) -> tuple[ProbeRecord, float, float]:
    """One run: its record, the probe's CPU seconds, and how long stop() took."""
    probe = Probe(url, rate=rate)
    cpu = time.process_time()
    probe.start()
    time.sleep(seconds)
    stopping = time.perf_counter()
    record = probe.stop()
    stopped = time.perf_counter() - stopping
    return record, time.process_time() - cpu, stopped


def floor(url: str, rate: float, seconds: float) -> str:
    """The bare request, for comparison: one thread, the same http.client GET, paced by sleep."""
    probe = Probe(url, rate=rate)  # only for its request code: never started
    latencies, cpu = [], time.process_time()
    started = time.perf_counter()
    for k in range(int(rate * seconds)):
        time.sleep(max(0.0, started + k / rate - time.perf_counter()))
        sent = time.perf_counter()
        status, _ = probe._get(probe.timeout)
        if status == 200:
            latencies.append(1000 * (time.perf_counter() - sent))
    cpu = time.process_time() - cpu
    return (f"  {'  floor: 1 thread':<20} {rate:5.0f} {' ' * 30}"
            f"{percentile(latencies, 0.5):6.2f} {percentile(latencies, 0.99):7.2f} "
            f"{cpu / seconds:6.3f} {1000 * cpu / max(1, int(rate * seconds)):7.3f}")


def row(target: str, rate: float, record: ProbeRecord, cpu: float, stopped: float) -> str:
    within = [s for s in record.samples if s.sent < record.duration]
    sent_rate = len(within) / record.duration
    late = [1000 * (s.sent - s.scheduled) for s in record.samples]
    latency = [1000 * s.latency for s in record.samples if s.status == 200]
    failed = sum(1 for s in record.samples if s.status != 200)
    ratio = sent_rate / rate
    return (f"  {target:<20} {rate:5.0f} {sent_rate:8.1f} {ratio:6.3f}x "
            f"{percentile(late, 0.5):6.2f} {percentile(late, 0.99):6.2f} {max(late):7.2f} "
            f"{percentile(latency, 0.5):6.2f} {percentile(latency, 0.99):7.2f} "
            f"{cpu / record.duration:6.3f} {1000 * cpu / max(1, len(record.samples)):7.3f} "
            f"{failed:6d} {stopped:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="50,200")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated; cleaning up"))
    load = os.getloadavg()
    print(f"probe accuracy, {args.seconds:.0f} s a run, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} at the start; pools: "
          + ", ".join(f"{rate:.0f}/s -> {pool_size(rate, 2.0)} workers" for rate in rates))
    print(f"  {'target':<20} asked     sent  ratio  late ms: p50    p99     max  "
          "lat ms: p50    p99  cpu s/s  cpu ms/req failed stop s")
    ratios: list[float] = []
    with local_server() as url:
        for rate in rates:
            record, cpu, stopped = run(url, rate, args.seconds)
            print(row("http.server", rate, record, cpu, stopped))
            ratios.append(sum(1 for s in record.samples if s.sent < record.duration)
                          / record.duration / rate)
        print(floor(url, rates[0], min(args.seconds, 5.0)))
    with nginx_container() as url:
        if url is None:
            print("  nginx: skipped (no Docker engine, or the server image is not built)")
        else:
            for rate in rates:
                record, cpu, stopped = run(url, rate, args.seconds)
                print(row("nginx (docker)", rate, record, cpu, stopped))
                ratios.append(sum(1 for s in record.samples if s.sent < record.duration)
                              / record.duration / rate)
            print(floor(url, rates[0], min(args.seconds, 5.0)))
    worst = min(ratios)
    print(f"sent rate / asked rate: worst {worst:.3f}x, median {statistics.median(ratios):.3f}x"
          f" (goal {GOAL_RATIO}x: {'met' if worst >= GOAL_RATIO else 'MISSED'})")


if __name__ == "__main__":
    main()
