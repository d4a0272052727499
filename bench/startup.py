"""Benchmark: how fast the lab's read-only commands answer, against raw docker in the same run.

A learner types `lab status` or `lab list` dozens of times an exercise; each must answer as
fast as a `docker ps`. Each command runs --runs times in turn with the others (so a busy
machine slows them all alike); the medians and their ratio to `docker ps` are printed.

    python bench/startup.py [--runs 10] [--baseline /path/to/another/checkout]

With --baseline the same commands also run from another checkout of the lab (its `lab`
package first on PYTHONPATH), for a before/after comparison in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

COMMANDS = (("--help",), ("list",), ("status",))


def timed(command: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", help="another checkout of the lab to compare with")
    args = parser.parse_args()

    here = dict(os.environ)
    cases: dict[str, tuple[list[str], dict[str, str]]] = {
        "docker ps (floor)": (["docker", "ps", "--filter", "label=lab.managed=true"], here)}
    for words in COMMANDS:
        cases[f"lab {' '.join(words)}"] = ([sys.executable, "-m", "lab", *words], here)
        if args.baseline:
            there = {**here, "PYTHONPATH": args.baseline}
            cases[f"lab {' '.join(words)} (baseline)"] = (
                [sys.executable, "-m", "lab", *words], there)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (command, env) in cases.items():
            times[name].append(timed(command, env))

    floor = statistics.median(times["docker ps (floor)"])
    print(f"{'command':<32} {'median':>8} {'x docker ps':>12}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<32} {median:>7.3f}s {median / floor:>11.2f}x")


if __name__ == "__main__":
    main()
