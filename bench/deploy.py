"""Benchmark: `lab deploy`, and `lab reconcile --watch` after `lab chaos --kill 1`, against
the raw floor.

The fleet is 05-moving-target's (four servers, web1..web4; its repository publishes webapp
2.0), on a student of the bench's own, with a golden image baked from the workspace:
`lab build v2`, and `lab build v2b` (the same image with another label), so that every
replacement below changes a server's image.

1. `lab deploy`, as a whole command (what a learner waits for), against the same rollout by
   hand: one server at a time, `docker rm -f`, `docker run -d` with the same name, network,
   alias, labels, key and loopback ports, then `docker port` and GET /health every 0.1 s
   (the lab's interval) until it says ok. Deploys and the floor alternate the two images in
   pairs (lab v2b, lab v2, floor v2b, floor v2), so the fleet the floor leaves is the one the
   lab's last deploy made: same image, same labels.
2. Recovery: `lab reconcile --watch` (with --no-drift, then with drift scans) is started, and
   once it prints its first line `lab chaos --kill 1` runs, --runs times, each after the last
   repair (the first repair of a watcher also pays its imports: shown apart). The clock starts
   when the victim's container is gone from `docker ps` and stops when its new container
   answers ok on /health. The floor is the re-creation alone (`docker run -d` + /health after
   a `docker rm -f`), so what is left is the loop's polling and the lab's own work.

    python bench/deploy.py [--runs 5]

Everything is measured in the same run; medians of --runs (deploys: rounded up to even).
Everything the bench made is removed by its student's label at the end, even after Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab import fleet as fleets
from lab import learner, ssh
from lab.deploy.health import POLL_SECONDS
from lab.deploy.release import DEPLOYMENT_LABEL
from lab.deploy.state import StateStore
from lab.docker.containers import ContainerSpec
from lab.exercises.workspace import workspace_path
from lab.settings import Settings

STUDENT = "bench-deploy"
EXERCISE = "05"
TAGS = ("v2", "v2b")
DOCKERFILE = """\
ARG SERVER_IMAGE=immutable-lab/server:latest
FROM ${SERVER_IMAGE}
RUN apt-get update && apt-get install -y webapp=2.0 && apt-get clean \\
    && rm -rf /var/lib/apt/lists/*
LABEL version="2.0"
# v2b is v2 with another label: the same layers, another image id.
ARG VARIANT=a
LABEL variant="${VARIANT}"
"""
BUILD_ARGS = {"v2": [], "v2b": ["--build-arg", "VARIANT=b"]}
HEALTH_TIMEOUT = 30.0
RECOVERY_TIMEOUT = 60.0
SETTLE_SECONDS = 1.0  # between two kills: the watcher records its repair
GOAL_RATIO = 1.5


def sh(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


def lab(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True,
                            text=True, env={**os.environ, **env})
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"lab {' '.join(args)} exited {result.returncode}: "
                         f"{(result.stderr or result.stdout).strip()}")
    return elapsed


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
            return bool(answer.status == 200 and answer.read(64).strip() == b"ok")
    except OSError:  # not listening yet, reset while nginx starts, or an HTTP error
        return False


def wait_healthy(container: str) -> None:
    """`docker port` until port 80 is published, then GET /health until it says ok."""
    deadline = time.monotonic() + HEALTH_TIMEOUT
    port = None
    while time.monotonic() < deadline:
        if port is None:
            published = subprocess.run(["docker", "port", container, "80/tcp"],
                                       capture_output=True, text=True).stdout.split()
            port = int(published[0].rsplit(":", 1)[1]) if published else None
        if port is not None and healthy(port):
            return
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"container {container[:12]} did not answer ok on /health")


@dataclass(frozen=True)
class Fleet:
    """The bench's student and exercise, as the lab sees them, for the raw floor."""

    settings: Settings
    env: dict[str, str]

    def spec(self, server: str, image_id: str, image_name: str,
             deployment: int) -> ContainerSpec:
        """The container `lab deploy` would make for `server`: the lab's own spec."""
        exercise = learner.current(self.settings)
        planned = next(item for item in exercise.spec.planned_servers() if item.name == server)
        return fleets.server_spec(fleets.Names(STUDENT, exercise.id), planned, image_id,
                                 ssh.public_key(self.settings.private_key), None,
                                 **{DEPLOYMENT_LABEL: str(deployment),
                                    fleets.IMAGE_NAME_LABEL: image_name})

    def servers(self) -> dict[str, str]:
        """Each running server's container id, by server name."""
        listed = sh("docker", "ps", "--no-trunc", "--filter", f"label=lab.student={STUDENT}",
                    "--filter", "label=lab.role=server",
                    "--format", '{{.Label "lab.server"}} {{.ID}}')
        return dict(line.split() for line in listed.splitlines())

    def last_deployment(self) -> tuple[int, float]:
        """The number of the lab's newest deployment and its own duration."""
        exercise = learner.current(self.settings)
        newest = StateStore.of(self.settings, exercise.id).load().deployments[-1]
        return newest.number, newest.seconds or 0.0


def run_args(spec: ContainerSpec) -> list[str]:
    """The same container with `docker run -d` (the bench deploys no volumes)."""
    args = ["docker", "run", "-d", "--init=false", "--name", spec.name,
            "--hostname", spec.hostname or "", "--network", spec.network]
    args += [f"--network-alias={alias}" for alias in spec.aliases]
    args += [f"--label={key}={value}" for key, value in spec.labels.items()]
    args += [f"--env={key}={value}" for key, value in spec.environment.items()]
    args += [f"--publish=127.0.0.1::{port}" for port in spec.ports]
    return [*args, spec.image]


def replace_by_hand(spec: ContainerSpec) -> None:
    """One server replaced with raw docker commands, waited for until healthy."""
    sh("docker", "rm", "-f", spec.name)
    wait_healthy(sh(*run_args(spec)).strip())


def image(tag: str) -> tuple[str, str]:
    name = f"lab-{STUDENT}/app:{tag}"
    return sh("docker", "image", "inspect", "-f", "{{.Id}}", name).strip(), name


def floor_deploy(fleet: Fleet, tag: str) -> float:
    deployment, _ = fleet.last_deployment()
    specs = [fleet.spec(server, *image(tag), deployment) for server in sorted(fleet.servers())]
    started = time.perf_counter()
    for spec in specs:
        replace_by_hand(spec)
    return time.perf_counter() - started


def measure_deploys(fleet: Fleet, runs: int) -> tuple[list[float], list[float], list[float]]:
    """Pairs of `lab deploy` then pairs of the floor, each replacement changing the image."""
    lab_times, inside, floor_times = [], [], []
    order = (TAGS[1], TAGS[0])  # the fleet runs TAGS[0] after the set-up deploy
    for _ in range((runs + 1) // 2):
        for tag in order:
            lab_times.append(lab("deploy", tag, env=fleet.env))
            inside.append(fleet.last_deployment()[1])
        for tag in order:
            floor_times.append(floor_deploy(fleet, tag))
    return lab_times, inside, floor_times


class Watcher:
    """`lab reconcile --watch` in the background, its output lines kept as they come."""

    def __init__(self, fleet: Fleet, drift: bool) -> None:
        flags = [] if drift else ["--no-drift"]
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lab", "reconcile", "--watch", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **fleet.env, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip())

    def next_line(self, wanted: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if wanted(line):
                return line
        raise SystemExit(f"lab reconcile --watch said nothing expected within {timeout:.0f} s")

    def tail(self) -> str:
        """What it said last (and how it ended, if it did): for a failure's message."""
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        ended = self.process.poll()
        said = " | ".join(self.seen[-6:]) or "nothing"
        return f"{said}{f' (it exited {ended})' if ended is not None else ''}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def recoveries(fleet: Fleet, drift: bool, seeds: range) -> tuple[list[float], list[float]]:
    """One watcher, one `lab chaos --kill 1` per seed, each after the last repair: seconds
    from the victim's container gone to its new one healthy, and the lab's own `healthy in`."""
    watcher = Watcher(fleet, drift)
    outages, repairs = [], []
    try:
        watcher.next_line(lambda line: line.startswith("watching"), 60)
        for seed in seeds:
            outage, repair = recover(fleet, watcher, seed)
            outages.append(outage)
            repairs.append(repair)
            time.sleep(SETTLE_SECONDS)
    except SystemExit as failure:
        raise SystemExit(f"{failure.code}; the watcher said: {watcher.tail()}") from None
    finally:
        watcher.stop()
    return outages, repairs


def recover(fleet: Fleet, watcher: Watcher, seed: int) -> tuple[float, float]:
    before = fleet.servers()
    chaos = subprocess.Popen([sys.executable, "-m", "lab", "chaos", "--kill", "1",
                              "--seed", str(seed)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, **fleet.env})
    victim, killed_at = _wait_for_kill(fleet, before)
    outage = _wait_for_new(fleet, victim, before[victim]) - killed_at
    _, errors = chaos.communicate(timeout=60)
    if chaos.returncode != 0:
        raise SystemExit(f"lab chaos exited {chaos.returncode}: {errors.strip()}")
    # `web2: missing; recreated, healthy in 0.7 s`, or `was removing; replaced` when the
    # loop looked while the engine was still removing the victim
    said = watcher.next_line(lambda line: line.startswith(f"{victim}: ")
                             and "healthy in" in line, 30)
    repaired = re.search(r"healthy in ([\d.]+) s", said)
    return outage, float(repaired.group(1)) if repaired else float("nan")


def _wait_for_kill(fleet: Fleet, before: dict[str, str]) -> tuple[str, float]:
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while time.monotonic() < deadline:
        now = fleet.servers()
        changed = [name for name, cid in before.items() if now.get(name) != cid]
        if changed:
            return changed[0], time.perf_counter()
        time.sleep(0.02)
    raise SystemExit("lab chaos --kill 1 killed no server")


def _wait_for_new(fleet: Fleet, victim: str, old: str) -> float:
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while time.monotonic() < deadline:
        new = fleet.servers().get(victim)
        if new and new != old:
            wait_healthy(new)
            return time.perf_counter()
        time.sleep(0.02)
    raise SystemExit(f"lab reconcile did not bring {victim} back")


def floor_recreate(fleet: Fleet, server: str) -> tuple[float, float]:
    """The re-creation by hand, as reconcile makes it: (docker run + /health, with the rm)."""
    desired = StateStore.of(fleet.settings, learner.current(fleet.settings).id).load().desired
    assert desired is not None
    spec = fleet.spec(server, desired.image_id, desired.image, deployment=0)
    started = time.perf_counter()
    sh("docker", "rm", "-f", spec.name)
    removed = time.perf_counter()
    wait_healthy(sh(*run_args(spec)).strip())
    ended = time.perf_counter()
    return ended - removed, ended - started


def set_up(fleet: Fleet) -> int:
    lab("start", EXERCISE, env=fleet.env)
    exercise = learner.current(fleet.settings)
    (workspace_path(exercise, fleet.settings) / "Dockerfile").write_text(DOCKERFILE)
    for tag in TAGS:
        lab("build", tag, "--strict", *BUILD_ARGS[tag], env=fleet.env)
    lab("deploy", TAGS[0], env=fleet.env)
    return len(exercise.spec.planned_servers())


def clean_up() -> None:
    """Everything of the bench's student, by label: containers, networks, volumes, images."""
    selector = f"label=lab.student={STUDENT}"
    for listing, removal in ((["docker", "ps", "-aq"], ["docker", "rm", "-f"]),
                             (["docker", "network", "ls", "-q"], ["docker", "network", "rm"]),
                             (["docker", "volume", "ls", "-q"], ["docker", "volume", "rm", "-f"]),
                             (["docker", "images", "-q"], ["docker", "rmi", "-f"])):
        found = subprocess.run([*listing, "--filter", selector], capture_output=True,
                               text=True).stdout.split()
        if found:
            subprocess.run([*removal, *dict.fromkeys(found)], capture_output=True)


def row(label: str, values: list[float], floor: float | None = None, note: str = "") -> str:
    ratio = f"{statistics.median(values) / floor:5.2f}x" if floor else " " * 6
    return (f"  {label:<50} {statistics.median(values):6.2f} s  "
            f"({min(values):5.2f}-{max(values):5.2f})  {ratio}  {note}").rstrip()


def measure(fleet: Fleet, runs: int) -> None:
    servers = set_up(fleet)
    lab_times, inside, floor_times = measure_deploys(fleet, runs)
    floor = statistics.median(floor_times)
    recreate, with_rm = [], []
    for run in range(runs):
        alone, whole = floor_recreate(fleet, f"web{run % servers + 1}")
        recreate.append(alone)
        with_rm.append(whole)
    quiet, repairs = recoveries(fleet, drift=False, seeds=range(1, runs + 1))
    with_drift, _ = recoveries(fleet, drift=True, seeds=range(101, runs + 101))
    deploy, again = statistics.median(lab_times), statistics.median(recreate)
    print(f"05-moving-target: {servers} servers, images lab-{STUDENT}/app:{'/'.join(TAGS)}; "
          f"median (min-max) of {len(lab_times)} deploys, {runs} recoveries")
    print(row(f"raw floor: {servers} x (rm -f, run -d, /health)", floor_times))
    print(row("lab deploy, whole command", lab_times, floor,
              f"goal {GOAL_RATIO}x: {'met' if deploy <= GOAL_RATIO * floor else 'MISSED'}"))
    print(row("  of which the rollout (the lab's own record)", inside, floor))
    print(row("raw re-creation of one server: run -d, /health", recreate))
    print(row("  with the docker rm -f before it", with_rm))
    print(row("kill -> /health ok, reconcile --watch --no-drift", quiet, again,
              f"first kill {quiet[0]:.2f} s"))
    print(row("  of which the repair (its `healthy in`)", repairs,
              note=f"first {repairs[0]:.1f} s"))
    print(row("kill -> /health ok, reconcile --watch (drift on)", with_drift, again,
              f"first kill {with_drift[0]:.2f} s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "lab", "images", "build"], check=True,
                   capture_output=True)
    clean_up()  # what an earlier, killed run may have left
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated; cleaning up"))
    try:
        with tempfile.TemporaryDirectory(prefix="lab-bench-") as folder:
            home = Path(folder) / "home"
            fleet = Fleet(Settings(home=home, student=STUDENT),
                          {"LAB_HOME": str(home), "LAB_STUDENT": STUDENT})
            try:
                measure(fleet, args.runs)
            finally:
                for ending in (signal.SIGINT, signal.SIGTERM):  # a second one: still clean
                    signal.signal(ending, signal.SIG_IGN)
                clean_up()
    except KeyboardInterrupt:
        raise SystemExit("interrupted; everything the bench made was removed") from None


if __name__ == "__main__":
    main()
