"""Benchmark: `lab start`, `lab check` and `lab reset` of three servers against the raw floor.

The floor is the same three containers made by hand with raw docker commands: a private
network, then three `docker run -d` of the server image on it (a network alias each, ports
22 and 80 published on loopback, the lab's key given), then polling each sshd until it
answers with its banner. Everything is measured in the same run, medians of --runs.

    python bench/fleet.py [--runs 5]

Two exercises are timed: a copy of 01-first-fleet without the APT repository container
(three servers, like the floor) and 01-first-fleet itself (three servers and the repo).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab import ssh
from lab.environment import current_settings
from lab.images import definitions

SERVER_IMAGE = definitions.BY_NAME["server"].ref_for(current_settings())
BENCH_LABEL = "lab.bench=fleet"


def sh(*command: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


def wait_for_banner(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                if conn.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"sshd on port {port} did not answer")


def floor_once(public_key: str) -> float:
    network = f"lab-bench-floor-{os.getpid()}"
    started = time.perf_counter()
    sh("docker", "network", "create", "--label", BENCH_LABEL, "--label", "lab.managed=true",
       network)
    ids = [sh("docker", "run", "-d", "--label", BENCH_LABEL, "--label", "lab.managed=true",
              "--network", network, "--network-alias", f"web{number}",
              "--hostname", f"web{number}", "-p", "127.0.0.1::22", "-p", "127.0.0.1::80",
              "-e", f"LAB_AUTHORIZED_KEY={public_key}", SERVER_IMAGE).strip()
           for number in (1, 2, 3)]
    ports = [int(sh("docker", "port", cid, "22/tcp").splitlines()[0].rsplit(":", 1)[1])
             for cid in ids]
    for port in ports:
        wait_for_banner(port, time.monotonic() + 30)
    elapsed = time.perf_counter() - started
    sh("docker", "rm", "-f", *ids)
    sh("docker", "network", "rm", network)
    return elapsed


def lab(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True,
                            text=True, env={**os.environ, **env})
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"lab {' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def exercises_without_repo(folder: Path) -> Path:
    source = current_settings().exercises_dir / "01-first-fleet"
    target = folder / "exercises" / "01-first-fleet"
    shutil.copytree(source, target)
    yaml = target / "exercise.yaml"
    yaml.write_text(yaml.read_text().replace("repository: true", "repository: false"))
    return folder / "exercises"


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure(name: str, env: dict[str, str], runs: int, floor: float) -> None:
    starts, checks, resets = [], [], []
    lab("start", "01", env=env)  # first start prepares keys and workspace; not counted
    for _ in range(runs):
        lab("stop", env=env)
        starts.append(lab("start", "01", env=env))
        checks.append(lab("check", env=env))
        resets.append(lab("reset", env=env))
    lab("reset", "--all", env=env)
    for label, values in (("start", starts), ("check", checks), ("reset", resets)):
        value = median(values)
        print(f"{name:<28} lab {label:<6} {value:6.2f} s   ratio to floor {value / floor:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "lab", "images", "build"], check=True,
                   capture_output=True)
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as folder:
        home = Path(folder) / "home"
        base_env = {"LAB_HOME": str(home), "LAB_STUDENT": "bench"}
        lab("doctor", env=base_env)  # creates the key
        public_key = ssh.public_key(home / "keys" / "id_ed25519")
        floor_once(public_key)  # warm up; not counted
        floor = median([floor_once(public_key) for _ in range(args.runs)])
        print(f"raw floor (network + 3 x docker run -d + sshd banners) {floor:6.2f} s")
        no_repo = {**base_env, "LAB_EXERCISES": str(exercises_without_repo(Path(folder)))}
        measure("3 servers, no repo", no_repo, args.runs, floor)
        measure("01-first-fleet (3 + repo)", base_env, args.runs, floor)
    print("goals: start within 1.5x of the floor; check under 1 s; reset under 3 s")


if __name__ == "__main__":
    main()
