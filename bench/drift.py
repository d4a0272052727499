"""Benchmark: `lab drift` on three servers against the raw floor of `docker diff` by hand.

The floor is what a person would type to see the same file changes: `docker diff` of each
of the three server containers, one after the other (and, as a harder floor, all three at
once). `lab drift` does more than that (it also asks dpkg and apt on every server), so a
ratio near 1 means the extra questions cost nearly nothing. Everything is measured in the
same run, medians of --runs, as whole commands: what a learner waits for.

    python bench/drift.py [--runs 7]

Two fleets are timed: 01-first-fleet just started (identical), and the same fleet after
hand edits on two servers (a conffile, a mode, a new file, a package, a hold).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

STUDENT = "bench-drift"
EDITS = {
    "web2": "echo '# hand edit' >> /etc/nginx/nginx.conf && chmod 600 /etc/motd",
    "web3": "touch /etc/hotfix-42 && apt-get update -q && apt-get install -y -q tree "
            "&& apt-mark hold tree",
}
GOAL_SECONDS = 1.0


def lab(*args: str, env: dict[str, str], allowed: tuple[int, ...] = (0,)) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True,
                            text=True, env={**os.environ, **env})
    elapsed = time.perf_counter() - started
    if result.returncode not in allowed:
        raise SystemExit(f"lab {' '.join(args)} exited {result.returncode}: "
                         f"{result.stderr.strip()}")
    return elapsed


def containers() -> list[str]:
    listed = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=lab.student={STUDENT}",
         "--filter", "label=lab.role=server"], capture_output=True, text=True, check=True)
    return listed.stdout.split()


def diff_by_hand(ids: list[str]) -> float:
    started = time.perf_counter()
    for container in ids:
        subprocess.run(["docker", "diff", container], capture_output=True, check=True)
    return time.perf_counter() - started


def diff_at_once(ids: list[str]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(lambda c: subprocess.run(["docker", "diff", c], capture_output=True,
                                               check=True), ids))
    return time.perf_counter() - started


def medians(runs: int, measures: list[Callable[[], float]]) -> list[float]:
    """Each measure's median, the measures taken in turn so that a busy moment on the
    machine weighs on all of them alike."""
    for measure in measures:
        measure()  # warm up: caches, page cache; not counted
    times: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for index, measure in enumerate(measures):
            times[index].append(measure())
    return [statistics.median(values) for values in times]


def report(name: str, runs: int, env: dict[str, str], allowed: int) -> None:
    ids = containers()
    by_hand, at_once, drift = medians(runs, [
        lambda: diff_by_hand(ids), lambda: diff_at_once(ids),
        lambda: lab("drift", env=env, allowed=(allowed,))])
    print(f"{name}")
    print(f"  3 x docker diff, one after the other  {by_hand:5.2f} s")
    print(f"  3 x docker diff, all at once          {at_once:5.2f} s")
    print(f"  lab drift                             {drift:5.2f} s   "
          f"ratio {drift / by_hand:4.2f}x by hand, {drift / at_once:4.2f}x at once   "
          f"{'under' if drift < GOAL_SECONDS else 'OVER'} the {GOAL_SECONDS:.0f} s goal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "lab", "images", "build"], check=True,
                   capture_output=True)
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as folder:
        env = {"LAB_HOME": str(Path(folder) / "home"), "LAB_STUDENT": STUDENT}
        try:
            lab("start", "01", env=env)
            report("01-first-fleet, just started (identical)", args.runs, env, allowed=0)
            for server, command in EDITS.items():
                lab("run", "-s", server, "--", command, env=env)
            report("01-first-fleet after hand edits on web2 and web3 (drifted)", args.runs,
                   env, allowed=1)
        finally:
            lab("reset", "--all", env=env)


if __name__ == "__main__":
    main()
