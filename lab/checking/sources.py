"""The lab as checks see it: the CheckContext of lab.authoring, its sources made here over the
engine (servers, images, throwaway containers), the deployment history, drift and the
repository's access log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial

from lab import fleet, learner, scratch
from lab.checks.context import CheckContext, Sources
from lab.checks.executor import ExecResult, HttpResult, ServerInfo
from lab.checks.host import Host
from lab.checks.records import Deployment, Desired, Event, History
from lab.checks.views import Change, Container, Drift, Image, Request, Smoke
from lab.deploy import builds
from lab.deploy.balancer import LB_NAME
from lab.deploy.state import FleetState, StateStore
from lab.docker import containers, images, labels
from lab.docker.containers import ContainerInfo
from lab.docker.images import ImageInfo
from lab.errors import LabError
from lab.exercises.schema import Exercise
from lab.exercises.workspace import workspace_path
from lab.settings import Settings

ACCESS_LOG = "/var/log/nginx/repo-access.log"  # images/repo: 'ADDRESS SERVER STATUS PATH TIME'
SCRATCH_NAME = "scratch"  # a throwaway server's name as a Host


@contextmanager
def check_context(settings: Settings, exercise: Exercise, infos: Sequence[ContainerInfo],
                  marks: Mapping[str, datetime]) -> Iterator[CheckContext]:
    """The context of the exercise's checks over its running fleet (`infos`), open for the
    block: its servers' command shells are closed at the end."""
    servers = LiveFleet(settings, exercise.id, infos)
    try:
        sources = LabSources(settings, exercise.id, servers).sources()
        yield CheckContext(exercise, sources, workspace_path(exercise, settings),
                           settings.student, dict(marks), tuple(exercise.spec.server_names))
    finally:
        servers.close()


class LiveFleet:
    """The checks' Executor over the fleet's containers, found again after a deployment so
    that a server's name always means its current container."""

    def __init__(self, settings: Settings, exercise_id: str,
                 infos: Sequence[ContainerInfo]) -> None:
        self._find = partial(fleet.fleet_containers, settings, exercise_id)
        self._current = fleet.FleetExecutor(infos)
        self._retired: list[fleet.FleetExecutor] = []

    def refresh(self) -> None:
        self._retired.append(self._current)
        self._current = fleet.FleetExecutor(self._find())

    def follow(self, found: ContainerInfo) -> None:
        """Find the fleet again when `found`, a container as the engine has it now, is not
        the one its name means here (another container, stopped or restarted since)."""
        known = self._current.by_name.get(fleet.server_name(found))
        if known is None or _seen(known) != _seen(found):
            self.refresh()

    def close(self) -> None:
        for executor in (*self._retired, self._current):
            executor.__exit__(None, None, None)

    def run(self, server: str, command: str) -> ExecResult:
        return self._current.run(server, command)

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        return self._current.http(server, container_port, path, method, body)

    def info(self, server: str) -> ServerInfo:
        return self._current.info(server)


@dataclass(frozen=True)
class ScratchExecutor:
    """A throwaway server as an Executor: commands by docker exec; it publishes no port."""

    server: scratch.ScratchServer
    image_id: str = ""
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def run(self, server: str, command: str) -> ExecResult:
        return self.server.run(command)

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        raise ConnectionRefusedError("a scratch server publishes no port")

    def info(self, server: str) -> ServerInfo:
        details = containers.inspect(self.server.container_id) or {}
        image_id = str(details.get("Image") or self.image_id)
        image = images.inspect(image_id)
        return ServerInfo(SCRATCH_NAME, self.server.container_id, image_id,
                          fleet.parse_engine_time(str(details.get("Created", ""))) or self.started,
                          image_tags=image.tags if image else (),
                          image_labels=image.labels if image else {})


@dataclass(frozen=True)
class LabSources:
    """Each source of a CheckContext, over the engine and the student's records."""

    settings: Settings
    exercise_id: str
    servers: LiveFleet

    def sources(self) -> Sources:
        return Sources(
            executor=self.servers, history=self.history, images=self.images,
            image=self.image, smoke=self.smoke, scratch=self.scratch, drift=self.drift,
            containers=self.containers, deploy=self.deploy, balancer=self.balancer,
            repository_log=self.repository_log)

    def _state(self) -> FleetState:
        return StateStore.of(self.settings, self.exercise_id).load()

    def history(self) -> History:
        return history_of(self._state())

    def images(self) -> list[Image]:
        return [self._image(info) for info in builds.student_images(self.settings)]

    def image(self, reference: str) -> Image | None:
        found = images.inspect(reference)
        return self._image(found) if found else None

    def _image(self, info: ImageInfo) -> Image:
        return Image(info.id, builds.display_name(info, self.settings), info.tags,
                     dict(info.labels), built_at(info), info.labels.get(labels.EXERCISE, ""))

    def smoke(self, image_id: str, probes: Sequence[str]) -> Smoke:
        # smoke, drift and rollout are imported by the sources that need them: most
        # exercises' `lab check` asks none of them, and they bring the deployment machinery.
        from lab.deploy import smoke

        tried = smoke.run(self.settings, self.exercise_id, image_id, probes=probes)
        return Smoke(tried.healthy, tried.detail, dict(tried.outputs))

    @contextmanager
    def scratch(self, image_id: str | None) -> Iterator[Host]:
        with scratch.scratch_server(self.settings, self.exercise_id, image=image_id) as fresh:
            yield Host(SCRATCH_NAME, ScratchExecutor(fresh, image_id or ""))

    def drift(self, servers: Sequence[str]) -> list[Drift]:
        from lab import drift

        found = drift.exercise_drift(self.settings, partial(learner.running, self.settings),
                                     list(servers))
        return [Drift(server.name, tuple(Change(finding.kind.value, finding.subject,
                                                finding.detail, finding.summary)
                                         for finding in server.findings))
                for server in found.servers]

    def containers(self) -> list[Container]:
        standby = set(self._state().standby)
        found = containers.find(student=self.settings.student, exercise=self.exercise_id,
                                role=fleet.SERVER_ROLE)
        return [Container(fleet.server_name(info), info.name, info.id, info.image_id,
                          info.state, info.created, info.id in standby) for info in found]

    def deploy(self, image_id: str) -> str | None:
        from lab.deploy import rollout

        try:
            rollout.deploy(self.settings, image_id, report=lambda line: None)
        except LabError as failure:
            return failure.line()
        finally:
            self.servers.refresh()
        return None

    def balancer(self) -> Host | None:
        """The running load balancer, looked for now (a stopped one is none)."""
        running = fleet.load_balancer(self.settings, self.exercise_id)
        if running is None:
            return None
        self.servers.follow(running)
        return Host(LB_NAME, self.servers)

    def repository_log(self) -> list[Request]:
        _, repo_id = learner.running_repository(self.settings)
        return parse_access_log(containers.exec_run(repo_id, f"cat {ACCESS_LOG}").stdout)


def _seen(info: ContainerInfo) -> tuple[object, ...]:
    """What a check's requests depend on: which container, whether it runs, its ports."""
    return info.id, info.state, info.ports


def built_at(info: ImageInfo) -> datetime | None:
    """When `lab build` made the image (its label), None for an image it did not make."""
    moment = _moment(info.labels.get(builds.BUILT_AT_LABEL, ""))
    return moment.replace(tzinfo=timezone.utc) if moment and not moment.tzinfo else moment


def history_of(state: FleetState) -> History:
    desired = state.desired
    return History(
        tuple(Deployment(item.number, item.kind, item.image, item.image_id, item.strategy,
                         item.started_at, item.finished_at, item.result, item.message,
                         item.replaced, item.summary) for item in state.deployments),
        tuple(Event(event.at, event.kind, event.server, event.container_id, event.detail)
              for event in state.events),
        Desired(desired.image, desired.image_id, desired.servers, dict(desired.volumes))
        if desired else None,
        state.standby)


def parse_access_log(text: str) -> list[Request]:
    """nginx's 'ADDRESS SERVER STATUS PATH TIME' lines (images/repo's `lab` log format)."""
    requests = []
    for fields in (line.split() for line in text.splitlines()):
        if len(fields) >= 4 and fields[2].isdigit():
            requests.append(Request(fields[1], int(fields[2]), fields[3],
                                    _moment(fields[4]) if len(fields) > 4 else None))
    return requests


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
