"""The exercise's load balancer on a real engine: `lab start` puts the servers behind it, its
backends change with a graceful reload that loses no request under steady traffic, and a
server that vanishes while still registered costs no request either.

Each test works as its own student on an exercise written into tmp_path (LAB_EXERCISES), and
removes what it made by label.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lab import fleet
from lab.deploy import balancer
from lab.deploy.balancer import Backend
from lab.docker import containers
from lab.environment import current_settings
from lab.errors import StateError
from lab.settings import Settings
from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "12-behind-a-balancer"
WEBS = ("web1", "web2", "web3")
YAML = f"""\
format_version: 1
id: {EXERCISE}
title: Balancer test
summary: Used by tests/docker/test_balancer.py.
repository: false
load_balancer: true
servers:
  - {{name: web, count: 3}}
checks:
  - {{kind: http, goal: every server answers, port: 80, path: /version, contains: none}}
"""
RATE = 100  # requests a second of the steady traffic
RELOADS = 10


@dataclass
class Traffic:
    """What a steady stream of GET /version through the balancer met."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)
    answered_by: Counter[str] = field(default_factory=Counter)  # X-Lab-Backend values
    versions: Counter[str] = field(default_factory=Counter)
    began: float = 0.0  # time.monotonic() of the first request
    ended: float = 0.0  # and when the last one was answered


def get(url: str) -> tuple[int, str, str]:
    """GET url: status, X-Lab-Backend, body (stripped)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return (answer.status, answer.headers.get("X-Lab-Backend", ""),
                    answer.read().decode().strip())
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("X-Lab-Backend", ""), ""


def steady(url: str, traffic: Traffic, *, seconds: float = 3600.0,
           stop: threading.Event | None = None, rate: int = RATE) -> None:
    """GET url/version `rate` times a second for `seconds` (or until `stop`), one request
    after another, each on its own connection; an answer other than 200 (or none) fails."""
    began = traffic.began = time.monotonic()
    for number in range(int(seconds * rate)):
        if stop is not None and stop.is_set():
            break
        delay = began + number / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        traffic.sent += 1
        try:
            status, backend, body = get(f"{url}/version")
        except OSError as failure:
            traffic.failed.append(f"#{number}: {failure}")
            continue
        if status != 200:
            traffic.failed.append(f"#{number}: {status} from {backend}")
            continue
        traffic.answered_by[backend] += 1
        traffic.versions[body] += 1
    traffic.ended = time.monotonic()


@dataclass
class Started:
    env: dict[str, str]
    settings: Settings
    url: str  # the balancer's, as `lab start` printed it
    lb_id: str
    backends: dict[str, Backend]  # by server


def lab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture
def started(student: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Started]:
    """Three servers behind the balancer, started with `lab start`."""
    folder = tmp_path / "exercises" / EXERCISE
    folder.mkdir(parents=True)
    (folder / "exercise.yaml").write_text(YAML)
    env = {"LAB_STUDENT": student, "LAB_EXERCISES": str(tmp_path / "exercises")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # for the lab's functions called here
    shown = lab("start", EXERCISE, env=env).stdout
    match = re.search(r"^Load balancer: (http://127\.0\.0\.1:\d+)$", shown, re.MULTILINE)
    assert match, shown
    settings = current_settings()
    info = fleet.load_balancer(settings, EXERCISE)
    assert info is not None
    network = fleet.Names(student, EXERCISE).network
    by_server = {fleet.server_name(server): Backend(fleet.server_name(server),
                                                     balancer.address(server.id, network))
                 for server in fleet.servers(settings, EXERCISE)}
    assert sorted(by_server) == list(WEBS)
    yield Started(env, settings, match.group(1), info.id, by_server)


def addresses(backends: Sequence[Backend]) -> set[str]:
    return {f"{backend.address}:80" for backend in backends}


def test_start_puts_every_server_behind_the_balancer(started: Started, student: str) -> None:
    info = fleet.load_balancer(started.settings, EXERCISE)
    assert info is not None and balancer.url(info) == started.url
    assert balancer.backends(started.lb_id) == [started.backends[web] for web in WEBS]
    assert get(f"{started.url}/lb-health")[0] == 200

    spread = Traffic()
    steady(started.url, spread, seconds=0.6, rate=50)
    assert spread.failed == [] and spread.sent == 30
    assert set(spread.answered_by) == addresses(list(started.backends.values()))
    assert spread.versions == {"none": 30}  # the lab's server image has no app installed

    balancer.set_backends(started.lb_id, [started.backends["web2"]])
    alone = Traffic()
    steady(started.url, alone, seconds=0.4, rate=50)
    assert alone.failed == [] and dict(alone.answered_by) == {
        f"{started.backends['web2'].address}:80": 20}

    balancer.set_backends(started.lb_id, [])
    assert get(f"{started.url}/version")[0] == 502  # nobody behind it: bad gateway

    # Nothing that works on "the servers" takes the balancer for one.
    ran = lab("run", "--all", "--", "hostname", env=started.env).stdout
    assert sorted(re.findall(r"^(\w+) \| (\w+)$", ran, re.MULTILINE)) == [
        (web, web) for web in WEBS]
    assert "unknown server 'lb'" in run_lab("ssh", "lb", env=started.env).stderr
    lab("check", env=started.env)

    # A second start registers every server again.
    lab("start", EXERCISE, env=started.env)
    assert balancer.backends(started.lb_id) == [started.backends[web] for web in WEBS]

    table = lab("status", env=started.env).stdout
    assert f"Load balancer: {started.url} → web1, web2, web3" in table
    assert re.search(r"^lb\W+running\W+immutable-lab/lb:latest", table, re.MULTILINE), table
    document = json.loads(lab("status", "--json", env=started.env).stdout)
    assert document["load_balancer"] == {
        "url": started.url,
        "backends": [{"server": web, "address": started.backends[web].address, "weight": 1}
                     for web in WEBS]}
    rows = {row["name"]: row for row in document["servers"]}
    assert rows["lb"]["role"] == "lb" and rows["lb"]["url"] == started.url
    assert rows["web1"]["url"] is None and rows["web1"]["app_version"] == "none"

    lab("stop", env=started.env)
    assert docker("ps", "--all", "--quiet", "--filter", f"label=lab.student={student}") == ""


def test_a_configuration_nginx_refuses_leaves_the_old_one(
        started: Started, monkeypatch: pytest.MonkeyPatch) -> None:
    before = balancer.backends(started.lb_id)
    monkeypatch.setattr(balancer, "upstream_text", lambda _: "server 10.0.0.1:80 weight=x;\n")
    with pytest.raises(StateError, match=r"refused its new backends .*weight=x"):
        balancer.set_backends(started.lb_id, [started.backends["web1"]])
    assert balancer.backends(started.lb_id) == before
    status, backend, _ = get(f"{started.url}/version")
    assert status == 200 and backend in addresses(before)


def test_reloads_under_steady_traffic_lose_no_request(started: Started) -> None:
    everyone = [started.backends[web] for web in WEBS]
    sets = [[started.backends["web1"]], everyone, [started.backends["web3"]],
            [started.backends["web2"], started.backends["web3"]]]
    traffic, stop = Traffic(), threading.Event()
    stream = threading.Thread(target=steady, args=(started.url, traffic), kwargs={"stop": stop})
    stream.start()
    time.sleep(0.3)
    began = time.monotonic()
    for number in range(RELOADS):
        balancer.set_backends(started.lb_id, sets[number % len(sets)])
    ended = time.monotonic()
    time.sleep(0.3)
    stop.set()
    stream.join()
    assert traffic.failed == [], f"{len(traffic.failed)} of {traffic.sent} failed"
    assert traffic.began < began and ended < traffic.ended, "every reload under traffic"
    lasted = traffic.ended - traffic.began
    assert traffic.sent >= 0.8 * RATE * lasted, f"{traffic.sent} requests in {lasted:.1f} s"
    reloading = ended - began
    assert set(traffic.answered_by) == addresses(everyone)  # every set served some of it
    print(f"\n{RELOADS} reloads in {reloading:.2f} s under {traffic.sent} requests in "
          f"{lasted:.2f} s: {len(traffic.failed)} failed")


def test_a_registered_server_that_vanishes_costs_no_request(started: Started) -> None:
    gone = started.backends["web3"]
    assert balancer.backends(started.lb_id)[-1] == gone
    traffic = Traffic()
    stream = threading.Thread(target=steady, args=(started.url, traffic), kwargs={"seconds": 3.0})
    stream.start()
    time.sleep(0.5)
    web3 = next(info for info in fleet.servers(started.settings, EXERCISE)
                if fleet.server_name(info) == "web3")
    containers.remove(web3.id)  # SIGKILL: the balancer is not told
    stream.join()
    assert traffic.sent == 3 * RATE
    assert traffic.failed == [], f"{len(traffic.failed)} of {traffic.sent} failed"
    assert gone in balancer.backends(started.lb_id)  # still registered all along
    # Served before it went, and afterwards tried first and passed on (proxy_next_upstream).
    assert traffic.answered_by[f"{gone.address}:80"] > 0
    passed_on = [value for value in traffic.answered_by
                 if value.startswith(f"{gone.address}:80, ")]
    assert passed_on, traffic.answered_by
    print(f"\nweb3 removed under {traffic.sent} requests: {len(traffic.failed)} failed, "
          f"{sum(traffic.answered_by[value] for value in passed_on)} passed on from it")
