"""The real side of the checks' sources (lab.checking.sources: check_context, LabSources,
LiveFleet) over a fake engine: the lab.docker and lab.fleet functions they call are replaced,
the exercise's own checks judge, and the learner reads what they say."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lab import fleet, reach
from lab.checking import sources
from lab.checks.context import CheckContext
from lab.deploy import rollout
from lab.deploy.balancer import LB_NAME, LB_ROLE
from lab.deploy.state import Deployment, Desired, FleetState, Kind, StateStore
from lab.docker import containers, images, labels
from lab.docker.containers import ContainerInfo, PortBinding
from lab.errors import StateError
from lab.exercises.loader import load_exercise
from lab.fleet import SERVER_ROLE, Names
from lab.settings import Settings
from tests.helpers import EXERCISES, load_exercise_checks

START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
BLUE, GREEN = "sha256:" + "1" * 64, "sha256:" + "2" * 64
WEBS = ("web1", "web2", "web3")


@dataclass
class Engine:
    """The containers the engine has, found by their labels as lab.docker finds them."""

    infos: list[ContainerInfo] = field(default_factory=list)

    def find(self, **label_values: str) -> list[ContainerInfo]:
        wanted = dict(pair.split("=", 1) for pair in labels.container_selector(**label_values))
        return sorted((info for info in self.infos
                       if all(info.labels.get(key) == value for key, value in wanted.items())),
                      key=lambda info: info.name)

    def inspect(self, container_id: str) -> dict[str, Any] | None:
        info = next((info for info in self.infos if info.id == container_id), None)
        return None if info is None else {"Created": info.created.isoformat(),
                                          "State": {"Status": info.state}, "Mounts": []}

    def add(self, exercise_id: str, server: str, container_id: str, *, role: str = SERVER_ROLE,
            state: str = "running", image_id: str = BLUE, port: int | None = None) -> None:
        names = Names("learner", exercise_id)
        self.infos.append(ContainerInfo(
            container_id, names.container(server), image_id, image_id,
            labels.for_container(names.labels(role, server=server)), state, state,
            START - timedelta(minutes=1),
            (PortBinding("80/tcp", "127.0.0.1", port),) if port else ()))

    def server_infos(self) -> list[ContainerInfo]:
        return [info for info in self.infos if info.labels.get(labels.ROLE) == SERVER_ROLE]


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Engine:
    fake = Engine()
    monkeypatch.setattr(containers, "find", fake.find)
    monkeypatch.setattr(containers, "inspect", fake.inspect)
    monkeypatch.setattr(images, "inspect", lambda reference: None)
    monkeypatch.setattr(reach, "address", lambda port, engine=None: ("127.0.0.1", port))
    return fake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, student="learner")


def recorded(settings: Settings, exercise_id: str, state: FleetState) -> None:
    StateStore.of(settings, exercise_id).update(lambda _: state)


def opened(settings: Settings, engine: Engine, exercise_id: str) -> Any:
    """check_context over the exercise's fleet as `lab check` finds it now."""
    exercise = load_exercise(EXERCISES / exercise_id)
    return sources.check_context(settings, exercise, fleet.fleet_containers(settings, exercise_id),
                                 {"start": START})


# --- the load balancer -------------------------------------------------------------------


def deployment(number: int, kind: Kind, image_id: str, strategy: str) -> Deployment:
    return Deployment(number=number, kind=kind, image=f"lab-learner/app:v{number}",
                      image_id=image_id, strategy=strategy,
                      started_at=START + timedelta(minutes=number),
                      finished_at=START + timedelta(minutes=number, seconds=4),
                      result="succeeded")


STORY = FleetState(deployments=(deployment(1, "deploy", BLUE, "one-at-a-time"),
                                deployment(2, "deploy", GREEN, "blue-green"),
                                deployment(3, "rollback", BLUE, "switch back")))
WRITTEN = START + timedelta(minutes=2, seconds=30)  # while green served


class Guestbook(BaseHTTPRequestHandler):
    """The balancer's guestbook: one entry, written while green served."""

    def do_GET(self) -> None:
        if self.path == "/entries/":
            body = json.dumps([{"name": "ada", "type": "file",
                                "mtime": WRITTEN.strftime("%a, %d %b %Y %H:%M:%S GMT")}])
        else:
            body = "Hello from Ada\n"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def balancer_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Guestbook)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def blue_green(engine: Engine, settings: Settings, balancer_state: str, port: int) -> None:
    for server in WEBS:
        engine.add("13-blue-green", server, f"{server}-blue")
    engine.add("13-blue-green", LB_NAME, "lb-id", role=LB_ROLE, state=balancer_state, port=port)
    recorded(settings, "13-blue-green", STORY)


def test_a_stopped_balancer_is_said_to_be_not_running(engine: Engine, settings: Settings,
                                                       balancer_port: int) -> None:
    blue_green(engine, settings, "exited", balancer_port)
    checks = load_exercise_checks("13-blue-green")
    with opened(settings, engine, "13-blue-green") as ctx:
        assert ctx.balancer() is None
        assert checks.entry_from_green_survives(ctx) == (
            False, "the load balancer is not running: `lab start` brings it back")


def test_the_entry_is_read_through_the_running_balancer(engine: Engine, settings: Settings,
                                                        balancer_port: int) -> None:
    blue_green(engine, settings, "running", balancer_port)
    checks = load_exercise_checks("13-blue-green")
    with opened(settings, engine, "13-blue-green") as ctx:
        assert checks.entry_from_green_survives(ctx) == (
            True, "the entry 'ada' ('Hello from Ada'), written through green, is read through "
                  "the load balancer from blue: the data lives outside both colours")


def test_a_balancer_started_again_after_the_check_began_is_found(
        engine: Engine, settings: Settings, balancer_port: int) -> None:
    blue_green(engine, settings, "exited", balancer_port)
    with opened(settings, engine, "13-blue-green") as ctx:
        engine.infos[-1] = replace(engine.infos[-1], state="running")
        lb = ctx.balancer()
        assert lb is not None and lb.http("/entries/").status == 200


# --- the fleet's containers --------------------------------------------------------------


def with_deployed_fleet(engine: Engine, settings: Settings) -> None:
    """11-state-outside after `lab deploy v1`: web2 stopped since, web1's old container on
    standby beside its current one."""
    engine.add("11-state-outside", "web1", "web1-now")
    engine.add("11-state-outside", "web2", "web2-now", state="exited")
    engine.add("11-state-outside", "web3", "web3-now")
    engine.add("11-state-outside", "web1", "web1-standby")
    recorded(settings, "11-state-outside", FleetState(
        desired=Desired(image="lab-learner/app:v1", image_id=BLUE, servers=WEBS),
        deployments=(deployment(1, "deploy", BLUE, "one-at-a-time"),),
        standby=("web1-standby",)))


def test_the_containers_say_which_server_runs_and_which_is_on_standby(
        engine: Engine, settings: Settings) -> None:
    with_deployed_fleet(engine, settings)
    with opened(settings, engine, "11-state-outside") as ctx:
        assert [(item.server, item.id, item.state, item.standby)
                for item in ctx.containers()] == [
            ("web1", "web1-now", "running", False), ("web1", "web1-standby", "running", True),
            ("web2", "web2-now", "exited", False), ("web3", "web3-now", "running", False)]
        assert load_exercise_checks("11-state-outside").running_servers(ctx) == (
            "web2 is exited: `lab reconcile` brings it back, or `lab deploy v1` replaces "
            "every server")


# --- a deployment a check makes ----------------------------------------------------------


def replacing(engine: Engine, failure: str | None = None) -> Any:
    """A fake rollout.deploy: every server gets a new container of the image, or it fails."""
    def deploy(settings: Settings, image_id: str, report: Any) -> None:
        for index, info in enumerate(engine.infos):
            if info.labels.get(labels.ROLE) == SERVER_ROLE:
                engine.infos[index] = replace(info, id=info.id.replace("now", "new"),
                                              image_id=image_id)
        if failure:
            raise StateError(failure, "Run `lab history`.")
    return deploy


def container_of(ctx: CheckContext, server: str) -> str:
    return ctx.host(server).info.container_id


def test_after_a_deployment_each_host_is_its_server_s_new_container(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with_deployed_fleet(engine, settings)
    monkeypatch.setattr(rollout, "deploy", replacing(engine))
    with opened(settings, engine, "11-state-outside") as ctx:
        assert container_of(ctx, "web1") == "web1-now"
        assert ctx.deploy(GREEN) is None
        assert [container_of(ctx, server) for server in WEBS] == [
            "web1-new", "web2-new", "web3-new"]
        assert ctx.host("web3").info.image_id == GREEN


def test_a_failed_deployment_says_why_and_the_hosts_still_follow(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with_deployed_fleet(engine, settings)
    monkeypatch.setattr(rollout, "deploy", replacing(engine, failure="web2 never got healthy"))
    with opened(settings, engine, "11-state-outside") as ctx:
        assert ctx.deploy(GREEN) == "web2 never got healthy. Run `lab history`."
        assert container_of(ctx, "web1") == "web1-new"
