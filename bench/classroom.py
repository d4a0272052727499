"""Benchmark: a class of N students x 3 servers with `lab class start`, against the raw floor.

The floor is the same servers made with raw docker commands, in the same run: for each
student a network, three `docker run -d` of the server image on it (a network alias each,
ports 22 and 80 on 127.0.0.1, the lab's key given) and a wait for each sshd's banner;
students are made as many at a time as `lab class` runs at once on an engine (--parallel).
Then `lab class start 01` (every server accepting the lab's SSH key: `lab start` waits for
that), the memory each server container uses, and `lab class reset` of the whole class.

    python bench/classroom.py [--students 30] [--parallel 8] [--no-repo-only]

Two exercises are timed: 01-first-fleet itself (three servers and its APT repository
container per student) and a copy without the repository (three servers, like the floor).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.environment import current_settings
from lab.images import definitions

SERVER_IMAGE = definitions.BY_NAME["server"].ref_for(current_settings())
FLOOR_LABEL = "lab.bench=classroom-floor"
SPARE = "198.19.{}.0/24"  # the floor's networks once the engine's pools are used up


def sh(*command: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> str:
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode not in ok:
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


# --- the floor --------------------------------------------------------------------------


def floor_student(index: int, student: str, public_key: str) -> None:
    network = f"bench-floor-{student}"
    made = subprocess.run(["docker", "network", "create", "--label", FLOOR_LABEL, network],
                          capture_output=True, text=True)
    if made.returncode != 0:  # the default address pools are used up: as the lab does
        sh("docker", "network", "create", "--label", FLOOR_LABEL,
           "--subnet", SPARE.format(index), network)
    ids = [sh("docker", "run", "-d", "--label", FLOOR_LABEL, "--name", f"{network}-web{n}",
              "--network", network, "--network-alias", f"web{n}", "--hostname", f"web{n}",
              "-p", "127.0.0.1::22", "-p", "127.0.0.1::80",
              "-e", f"LAB_AUTHORIZED_KEY={public_key}", SERVER_IMAGE).strip()
           for n in (1, 2, 3)]
    deadline = time.monotonic() + 60
    for container in ids:
        port = int(sh("docker", "port", container, "22/tcp").splitlines()[0].rsplit(":", 1)[1])
        wait_for_banner(port, deadline)


def floor(students: list[str], public_key: str, parallel: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda item: floor_student(item[0], item[1], public_key),
                      enumerate(students)))
    elapsed = time.perf_counter() - started
    remove_floor()
    return elapsed


def remove_floor() -> None:
    ids = sh("docker", "ps", "-aq", "--filter", f"label={FLOOR_LABEL}").split()
    if ids:
        sh("docker", "rm", "-f", *ids)
    networks = sh("docker", "network", "ls", "-q", "--filter", f"label={FLOOR_LABEL}").split()
    if networks:
        sh("docker", "network", "rm", *networks)


# --- the lab ----------------------------------------------------------------------------


def lab(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True,
                            text=True, env={**os.environ, "COLUMNS": "200", **env})
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"lab {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def class_containers(prefix: str) -> list[tuple[str, str, str]]:
    """(id, name, role) of the class's containers."""
    lines = sh("docker", "ps", "--no-trunc", "--filter", "label=lab.managed=true",
               "--format", '{{.ID}} {{.Names}} {{.Label "lab.role"}}').splitlines()
    return [(cid, name, role) for cid, name, role in (line.split() for line in lines)
            if name.startswith(f"lab-{prefix}")]


def all_ready(containers: list[tuple[str, str, str]]) -> int:
    """Every server's sshd answers now (lab start waited for a key login); returns how many."""
    servers = [cid for cid, _, role in containers if role == "server"]
    for cid in servers:
        port = int(sh("docker", "port", cid, "22/tcp").splitlines()[0].rsplit(":", 1)[1])
        wait_for_banner(port, time.monotonic() + 5)
    return len(servers)


# --- memory -----------------------------------------------------------------------------


UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2,
         "GB": 1000**3}


def stats_memory(ids: list[str]) -> dict[str, float]:
    """MiB per container as `docker stats` shows it (usage without the page cache)."""
    found = {}
    for line in sh("docker", "stats", "--no-stream", "--format",
                   "{{.ID}} {{.MemUsage}}", *ids).splitlines():
        short, usage = line.split(" ", 1)
        match = re.match(r"([\d.]+)\s*([A-Za-z]+)", usage)
        if match:
            found[short] = float(match.group(1)) * UNITS.get(match.group(2), 1) / 1024**2
    return {cid: next((mib for short, mib in found.items() if cid.startswith(short)), 0.0)
            for cid in ids}


def cgroup_rss(container_id: str) -> float | None:
    """The container's resident anonymous memory in MiB from its cgroup, when readable."""
    candidates = [
        (Path(f"/sys/fs/cgroup/memory/docker/{container_id}/memory.stat"), "total_rss"),
        (Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/memory.stat"), "anon"),
        (Path(f"/sys/fs/cgroup/docker/{container_id}/memory.stat"), "anon"),
    ]
    for path, key in candidates:
        try:
            for line in path.read_text().splitlines():
                name, value = line.split()
                if name == key:
                    return int(value) / 1024**2
        except OSError:
            continue
    return None


def proxies_rss(ports: set[int]) -> tuple[int, float]:
    """How many docker-proxy processes serve these host ports, and their RSS sum in MiB."""
    count, total = 0, 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "docker-proxy":
                continue
            argv = (entry / "cmdline").read_text().split("\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if "-host-port" not in argv or int(argv[argv.index("-host-port") + 1]) not in ports:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        count += 1
        total += int(match.group(1)) / 1024 if match else 0
    return count, total


def host_ports(ids: list[str]) -> set[int]:
    found = set()
    for cid in ids:
        for line in sh("docker", "port", cid).splitlines():
            found.add(int(line.rsplit(":", 1)[1]))
    return found


def memory_report(prefix: str) -> None:
    containers = class_containers(prefix)
    ids = [cid for cid, _, _ in containers]
    shown = stats_memory(ids)
    servers = [cid for cid, _, role in containers if role == "server"]
    per_server = [shown[cid] for cid in servers]
    rss = [value for value in (cgroup_rss(cid) for cid in servers) if value is not None]
    print(f"  memory per server container (docker stats): median "
          f"{statistics.median(per_server):.1f} MiB, max {max(per_server):.1f} MiB   "
          "goal: under 20 MB")
    if rss:
        print(f"  memory per server container (cgroup rss):   median "
              f"{statistics.median(rss):.1f} MiB, max {max(rss):.1f} MiB")
    others = sum(shown[cid] for cid in ids if cid not in servers)
    print(f"  whole class: {len(servers)} servers {sum(per_server):.0f} MiB + "
          f"{len(ids) - len(servers)} other containers {others:.0f} MiB "
          f"= {sum(shown.values()):.0f} MiB (docker stats)")
    count, proxies = proxies_rss(host_ports(ids))
    if count:
        print(f"  engine side: {count} docker-proxy processes (one per published port), "
              f"RSS sum {proxies:.0f} MiB")


# --- the run ----------------------------------------------------------------------------


def exercises_without_repo(folder: Path) -> Path:
    from lab.environment import current_settings

    source = current_settings().exercises_dir / "01-first-fleet"
    target = folder / "exercises" / "01-first-fleet"
    shutil.copytree(source, target)
    yaml = target / "exercise.yaml"
    yaml.write_text(yaml.read_text().replace("repository: true", "repository: false"))
    return folder / "exercises"


def measure(name: str, env: dict[str, str], prefix: str, parallel: int, floor_s: float,
            memory: bool) -> None:
    start = lab("class", "start", "01", "--parallel", str(parallel), env=env)
    containers = class_containers(prefix)
    servers = all_ready(containers)
    print(f"{name}: lab class start {start:6.1f} s for {servers} servers "
          f"({len(containers)} containers), ratio to floor {start / floor_s:4.2f}x   "
          f"goal: within 1.5x and under 90 s")
    if memory:
        memory_report(prefix)
    reset = lab("class", "reset", "--progress", "--parallel", str(parallel), env=env)
    left = len(class_containers(prefix))
    print(f"{name}: lab class reset {reset:6.1f} s, {left} containers left")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=8,
                        help="students at once, for `lab class` and the floor alike")
    parser.add_argument("--no-repo-only", action="store_true",
                        help="time only the three-server copy of 01 (like the floor)")
    args = parser.parse_args()
    prefix = f"cb{os.getpid()}-"
    students = [f"{prefix}{number:02d}" for number in range(1, args.students + 1)]
    subprocess.run([sys.executable, "-m", "lab", "images", "build"], check=True,
                   capture_output=True)
    with tempfile.TemporaryDirectory(prefix="lab-bench-class-") as folder:
        home = Path(folder) / "home"
        env = {"LAB_HOME": str(home)}
        roster = Path(folder) / "roster.txt"
        roster.write_text("\n".join(students) + "\n")
        lab("doctor", env=env)  # makes the lab's key
        lab("class", "init", str(roster), env=env)
        from lab import ssh

        public_key = ssh.public_key(home / "keys" / "id_ed25519")
        try:
            floor_s = floor(students, public_key, args.parallel)
            print(f"{args.students} students x 3 servers, {args.parallel} students at once; "
                  f"{os.cpu_count()} cores")
            print(f"raw floor: {args.students} networks + {3 * args.students} x docker run -d "
                  f"+ sshd banners {floor_s:6.1f} s")
            no_repo = {**env, "LAB_EXERCISES": str(exercises_without_repo(Path(folder)))}
            measure("3 servers, no repo        ", no_repo, prefix, args.parallel, floor_s,
                    memory=True)
            if not args.no_repo_only:
                measure("01-first-fleet (3 + repo) ", env, prefix, args.parallel, floor_s,
                        memory=False)
        finally:
            remove_floor()
            subprocess.run([sys.executable, "-m", "lab", "class", "reset"], capture_output=True,
                           env={**os.environ, **env})


if __name__ == "__main__":
    main()
