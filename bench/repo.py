"""Benchmark: the lab's repository, against raw docker floors measured in the same run.

- Building the 7 shared packages (exercises/packages) from an empty cache, against the floor
  of one throwaway container (`docker run --rm --network none IMAGE true`): the ratio is
  what dpkg-deb and the file transfers add to a container the build cannot do without.
- Building them again with nothing changed: a cache hit, which must cost near nothing.
- A fresh `lab start` of three servers whose repository publishes webapp and provisions it
  on every server, with a fault armed, against a fresh `lab start` of the same three servers
  with nothing published: the ratio is the cost of the repository's story at start.

    python bench/repo.py [--runs 5]

Medians of --runs, after one warm-up run; whole commands, as a learner waits for them.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "exercises" / "packages"
STUDENT = "bench-repo"
EXERCISE = """\
format_version: 1
id: {id}
title: Bench
summary: bench/repo.py
servers:
  - {{name: web, count: 3}}
checks:
  - {{kind: package, goal: g, name: webapp}}
"""
STORY = """\
publish: [webapp 1.0, libwebapp 1.0, webapp 2.0]
provision:
  - install: [webapp=1.0]
faults:
  - kind: repo-down
    servers: [web3]
    after: {fetched: webapp 2.0, count: 2}
"""


def median(runs: int, measure: Callable[[], float]) -> float:
    measure()  # warm up: not counted
    return statistics.median(measure() for _ in range(runs))


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    return time.perf_counter() - started


def lab(*args: str, env: dict[str, str]) -> float:
    return timed([sys.executable, "-m", "lab", *args], env)


def builds(runs: int, cache: Path) -> tuple[float, float, float]:
    from lab.environment import current_settings
    from lab.images import definitions
    from lab.repo import build, sources
    from lab.repo.specs import PackageRef

    refs = [PackageRef(path.parent.name, path.name) for path in sorted(SHARED.glob("*/*"))
            if path.is_dir()]
    image = definitions.BY_NAME["repo"].ref_for(current_settings())
    labels = {"lab.managed": "true", "lab.student": STUDENT, "lab.role": "builder"}

    def cold() -> float:
        for path in cache.glob("*.deb"):
            path.unlink()
        started = time.perf_counter()
        build.build(sources.stage_all(ROOT / "exercises" / "x", refs), cache, image, labels,
                    lambda _: None)
        return time.perf_counter() - started

    def warm() -> float:
        started = time.perf_counter()
        built = build.build(sources.stage_all(ROOT / "exercises" / "x", refs), cache, image,
                            labels, lambda _: None)
        assert built.fresh == 0
        return time.perf_counter() - started

    floor = median(runs, lambda: timed(["docker", "run", "--rm", "--network", "none",
                                        "--entrypoint", "true", image]))
    return floor, median(runs, cold), median(runs, warm)


def starts(runs: int, folder: Path) -> tuple[float, float]:
    exercises = folder / "exercises"
    (exercises / "packages").parent.mkdir(parents=True)
    (exercises / "packages").symlink_to(SHARED)
    for exercise_id, body in (("01-plain", ""), ("02-story", STORY)):
        (exercises / exercise_id).mkdir()
        (exercises / exercise_id / "exercise.yaml").write_text(
            EXERCISE.format(id=exercise_id) + body)
    env = {"LAB_HOME": str(folder / "home"), "LAB_STUDENT": STUDENT,
           "LAB_EXERCISES": str(exercises)}

    def fresh_start(exercise_id: str) -> float:
        lab("stop", env=env)
        return lab("start", exercise_id, env=env)

    try:
        return median(runs, lambda: fresh_start("01")), median(runs, lambda: fresh_start("02"))
    finally:
        lab("reset", "--all", env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    timed([sys.executable, "-m", "lab", "images", "build"])
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as folder:
        floor, cold, warm = builds(args.runs, Path(folder) / "debs")
        plain, story = starts(args.runs, Path(folder))
    print("7 shared packages")
    print(f"  docker run --rm (one throwaway container)  {floor:6.2f} s")
    print(f"  build, empty cache                         {cold:6.2f} s   "
          f"ratio {cold / floor:4.2f}x the container alone")
    print(f"  build, nothing changed (cache hit)         {warm * 1000:6.1f} ms")
    print("lab start, 3 servers, fresh")
    print(f"  nothing published                          {plain:6.2f} s")
    print(f"  publish + provision webapp + a fault       {story:6.2f} s   "
          f"ratio {story / plain:4.2f}x")


if __name__ == "__main__":
    main()
