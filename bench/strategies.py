"""Benchmark: each deployment strategy's deploy time on four servers (the good release of
`lab compare`), against a raw-docker floor of the same container replacements.

The fleet is 12-deployment-strategies' (four servers behind its load balancer), on a student
of the bench's own, with v1, v2 and v3 built from the exercise's workspace Dockerfile. Each
run is one `lab compare --json` (every strategy, good and bad release, under the probe); the
figure kept is each good run's deploy_seconds, the time the strategy itself took (from the
summary, so without the probe's lead and tail or the CLI's start).

The floors, measured in the same run with the v2 image:
- parallel: 4 × `docker run -d` at once, each then polled on /health until ok (the lab's
  health check); what every strategy that makes a whole group at once cannot beat.
- sequential: the same, one container after another: the floor of rolling and rolling with
  an additional batch, batch by batch (the extra batch not counted).

    python bench/strategies.py [--runs 3] [--rate 50] [--evaluate 2]

Medians of --runs. Everything the bench made is removed by its student's label at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.deploy.health import wait_healthy

STUDENT = "bench-strategies"
EXERCISE = "12"
STRATEGIES = ("all-at-once", "rolling", "rolling-batch", "immutable", "traffic-split",
              "blue-green")
SERVERS = 4
SEQUENTIAL = {"rolling", "rolling-batch"}  # strategies that replace one server after another
ENV = {**os.environ, "LAB_STUDENT": STUDENT,
       "LAB_HOME": os.environ.get("LAB_HOME") or tempfile.mkdtemp(prefix="bench-strategies-")}


def lab(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True, text=True,
                          env=ENV, check=False)
    if done.returncode != 0:
        raise SystemExit(f"lab {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def set_up() -> None:
    lab("start", EXERCISE)
    lab("build", "v1", "--build-arg", "WEBAPP_VERSION=1.0")
    lab("build", "v2")
    lab("build", "v3", "--build-arg", "WEBAPP_VERSION=3.0")
    lab("deploy", "v1")


def compare_once(rate: float, evaluate: float) -> dict[str, float]:
    report = json.loads(lab("compare", "--json", "--rate", f"{rate:g}",
                            "--evaluate", f"{evaluate:g}"))
    return {run["strategy"]: run["summary"]["deploy_seconds"] for run in report["runs"]
            if run["release"] == "good" and run["succeeded"]}


def one_container(image: str) -> str:
    container = docker("run", "-d", "--label", f"lab.student={STUDENT}",
                       "--label", "lab.managed=true", "-p", "127.0.0.1::80", image)
    verdict = wait_healthy(container)
    if not verdict.ok:
        raise SystemExit(f"the floor's container is not healthy: {verdict.detail}")
    return container


def floor(image: str, parallel: bool) -> float:
    began = time.monotonic()
    if parallel:
        with ThreadPoolExecutor(max_workers=SERVERS) as pool:
            made = list(pool.map(lambda _: one_container(image), range(SERVERS)))
    else:
        made = [one_container(image) for _ in range(SERVERS)]
    seconds = time.monotonic() - began
    docker("rm", "--force", *made)
    return seconds


def clean_up() -> None:
    ids = docker("ps", "--all", "--quiet", "--filter", f"label=lab.student={STUDENT}").split()
    if ids:
        docker("rm", "--force", "--volumes", *ids)
    for network in docker("network", "ls", "--quiet", "--filter",
                          f"label=lab.student={STUDENT}").split():
        subprocess.run(["docker", "network", "rm", network], capture_output=True, check=False)
    images = docker("images", "--quiet", "--filter", f"label=lab.student={STUDENT}").split()
    if images:
        subprocess.run(["docker", "rmi", "--force", *sorted(set(images))],
                       capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--evaluate", type=float, default=2.0)
    options = parser.parse_args()
    try:
        set_up()
        image = f"lab-{STUDENT}/app:v2"
        times: dict[str, list[float]] = {strategy: [] for strategy in STRATEGIES}
        parallel, sequential = [], []
        for run in range(options.runs):
            for strategy, seconds in compare_once(options.rate, options.evaluate).items():
                times[strategy].append(seconds)
            parallel.append(floor(image, parallel=True))
            sequential.append(floor(image, parallel=False))
            print(f"run {run + 1}/{options.runs} done", file=sys.stderr)
        floors = {True: statistics.median(parallel), False: statistics.median(sequential)}
        print(f"four servers, {options.runs} run(s), probe {options.rate:g} req/s, "
              f"traffic-split evaluates {options.evaluate:g} s; medians")
        print(f"{'floor: 4 x docker run + /health, in parallel':48} {floors[True]:7.2f} s")
        print(f"{'floor: 4 x docker run + /health, one by one':48} {floors[False]:7.2f} s")
        for strategy in STRATEGIES:
            if not times[strategy]:
                print(f"{strategy:48} not measured")
                continue
            median = statistics.median(times[strategy])
            against = floors[strategy not in SEQUENTIAL]
            kind = "one by one" if strategy in SEQUENTIAL else "parallel"
            print(f"{strategy:48} {median:7.2f} s  {median / against:5.1f}x the {kind} floor")
    finally:
        clean_up()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
