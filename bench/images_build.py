"""Benchmark: `lab images build` with nothing to do, against raw `docker image inspect`.

Both are measured in the same run, on the same images, as whole commands (what a learner
waits for). Also measures a cold build (no layer cache) of the server image under a
throwaway prefix, so the real images are left alone.

    python bench/images_build.py [--runs 10] [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from lab.environment import current_settings
from lab.images import builder, definitions, root


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - started


def median_of(runs: int, command: list[str], env: dict[str, str] | None = None) -> float:
    timed(command, env)  # warm the page cache; not counted
    return statistics.median(timed(command, env) for _ in range(runs))


def in_process(runs: int) -> float:
    """The work itself: hashing the build contexts and asking the engine about each image."""
    settings = current_settings()
    builder.ensure(settings=settings)  # warm: docker-py imported, client connected
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        builder.ensure(settings=settings)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()

    settings = current_settings()
    refs = [root.local_root() or root.BOOTSTRAPPED,
            *(spec.ref_for(settings) for spec in definitions.SPECS)]
    lab = [sys.executable, "-m", "lab", "images", "build"]
    subprocess.run(lab, check=True, capture_output=True)  # make sure nothing is left to do

    floor = median_of(args.runs, ["docker", "image", "inspect", *refs])
    warm = median_of(args.runs, lab)
    print(f"images: {', '.join(refs)}")
    print(f"docker image inspect (floor), median of {args.runs}: {floor * 1000:7.1f} ms")
    print(f"lab images build, nothing changed:     {warm * 1000:7.1f} ms")
    print(f"ratio lab/floor: {warm / floor:.2f}x (goal: within 2x)")
    work = in_process(args.runs)
    print(f"the same check in-process (no interpreter start, no imports): {work * 1000:6.1f} ms,"
          f" ratio {work / floor:.2f}x")

    if not args.skip_cold:
        prefix = f"lab-bench-{os.getpid()}"
        env = {"LAB_IMAGE_PREFIX": prefix}
        try:
            timed([*lab, "base"], env)
            cold = timed([*lab, "server", "--force", "--no-cache"], env)
            print(f"cold build of the server image (no layer cache): {cold:6.1f} s")
        finally:
            for spec in definitions.SPECS:
                subprocess.run(["docker", "rmi", f"{prefix}/{spec.name}:latest"],
                               capture_output=True)


if __name__ == "__main__":
    main()
