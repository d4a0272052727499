"""Unit-testing an exercise's checks with the authoring API alone: a FakeFleet of servers that
answer scripted commands, pages and engine queries; `fake_context`, a CheckContext over one as
`lab check` gives it; `load_checks`, an exercise's checks.py loaded as `lab check` loads it.
Frozen like lab.authoring; the lab's own tests of the bundled exercises use it too."""

from __future__ import annotations

import hashlib
import importlib.util
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from lab import dpkg
from lab.checks.context import CheckContext, Sources
from lab.checks.executor import ExecResult, HttpResult, ServerInfo
from lab.checks.host import (
    COMM_LENGTH,
    READ_PROCESS_NAMES,
    READ_TCP_SOCKETS,
    TCP_LISTEN,
    Host,
    digest_command,
    read_command,
    stat_command,
)
from lab.checks.records import Deployment, Event, History
from lab.checks.specs import module_file
from lab.checks.views import Container, Drift, Image, Request, Smoke
from lab.exercises.loader import load_exercise
from lab.exercises.schema import Exercise, ExerciseSpec

T = TypeVar("T")
Reply = str | ExecResult  # a str is what the command prints, exiting 0
Page = str | HttpResult | OSError  # a str is a 200 page's body; an OSError: nothing answers
EVERY_SERVER = "*"
NOWHERE = Path("/nonexistent-workspace")  # reading the workspace fails unless one is given


@dataclass
class FakeFleet:
    """Servers that answer what checks ask them, as scripted.

    Commands answer by a part of the command line, per server or on every one; the latest
    rule wins (`when`, `when_called`). `file`, `package`, `service` and `listening` script
    what Host's modules read; `page` what `host.http` gets; `infos` what `host.info` says.
    What checks asked is recorded in order: `calls` (server, command), `requests` (server,
    method, path, body) and `asked` (the servers whose info was read).
    """

    pages: dict[tuple[str, int, str], HttpResult | OSError] = field(default_factory=dict)
    infos: dict[str, ServerInfo] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str, str, bytes | None]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    _rules: list[tuple[str, str, Callable[[str], ExecResult]]] = field(
        default_factory=list, repr=False)
    _installed: dict[str, dict[str, dpkg.Package]] = field(default_factory=dict, repr=False)
    _processes: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _ports: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def when(self, command_part: str, stdout: str = "", exit_code: int = 0, stderr: str = "",
             server: str = EVERY_SERVER) -> FakeFleet:
        """Commands containing `command_part` (on `server`, default every one) answer this."""
        result = ExecResult(exit_code, stdout, stderr)
        return self._rule(server, command_part, lambda command: result)

    def when_called(self, command_part: str, answer: Callable[[], ExecResult],
                    server: str = EVERY_SERVER) -> FakeFleet:
        """Like `when`, but `answer()` is called each time: to wait, count or raise."""
        return self._rule(server, command_part, lambda command: answer())

    def file(self, server: str, path: str, content: str | None, mode: str = "0644"
             ) -> FakeFleet:
        """`host.file(path)` on `server`: a regular file with this content and mode, or (with
        content None) nothing there."""
        if content is None:
            missing = f"stat: cannot statx '{path}': No such file or directory"
            return self.when(stat_command(path), exit_code=1, stderr=missing, server=server)
        kind = "regular file" if content else "regular empty file"
        digest = hashlib.sha256(content.encode()).hexdigest()
        return (self.when(stat_command(path), f"{int(mode, 8):o} {kind}\n", server=server)
                .when(read_command(path), content, server=server)
                .when(digest_command(path), f"{digest}  {path}\n", server=server))

    def package(self, server: str, name: str, version: str, status: str = "ii") -> FakeFleet:
        """`host.package(name)` on `server`: dpkg has it at this version and status ('ii'
        installed, 'hi' held, 'iF' half-configured, ...). Packages not scripted are unknown
        to dpkg."""
        self._installed.setdefault(server, {})[name] = dpkg.Package(name, version, status)
        return self._rule(server, "dpkg-query -W", partial(self._dpkg, server))

    def service(self, server: str, *names: str) -> FakeFleet:
        """`host.service(name).running` on `server` for each of these process names."""
        running = self._processes.setdefault(server, [])
        running += names
        return self._rule(server, READ_PROCESS_NAMES,
                          lambda command: ExecResult(0, "".join(f"{name[:COMM_LENGTH]}\n"
                                                                for name in running)))

    def listening(self, server: str, *ports: int) -> FakeFleet:
        """`host.listening(port)` on `server` for each of these TCP ports."""
        listening = self._ports.setdefault(server, [])
        listening += ports
        return self._rule(server, READ_TCP_SOCKETS,
                          lambda command: ExecResult(0, "".join(
                              f"0: 00000000:{port:04X} 00000000:0000 {TCP_LISTEN}\n"
                              for port in listening)))

    def page(self, server: str, path: str, answer: Page, port: int = 80) -> FakeFleet:
        """What `host.http(path, port)` on `server` gets."""
        self.pages[(server, port, path)] = as_page(answer)
        return self

    def host(self, name: str) -> Host:
        """The server `name` of this fleet as a Host, e.g. for `balancer=`."""
        return Host(name, self)

    # --- what Host calls ----------------------------------------------------------------

    def run(self, server: str, command: str) -> ExecResult:
        self.calls.append((server, command))
        for rule_server, part, answer in self._rules:
            if rule_server in (EVERY_SERVER, server) and part in command:
                return answer(command)
        raise AssertionError(f"no answer scripted for {command!r} on {server}")

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        self.requests.append((server, method, path, body))
        answer = self.pages.get((server, container_port, path),
                                ConnectionRefusedError(f"nothing scripted for {path}"))
        if isinstance(answer, OSError):
            raise answer
        return answer

    def info(self, server: str) -> ServerInfo:
        self.asked.append(server)
        if server not in self.infos:
            raise AssertionError(f"no info scripted for {server}")
        return self.infos[server]

    def _rule(self, server: str, part: str, answer: Callable[[str], ExecResult]) -> FakeFleet:
        self._rules.insert(0, (server, part, answer))
        return self

    def _dpkg(self, server: str, command: str) -> ExecResult:
        """dpkg-query's answer: the packages asked for (every one when none is named)."""
        known = self._installed[server]
        asked = shlex.split(command)[3:] or list(known)
        lines = [f"{known[name].status} |{name}|{known[name].version}\n"
                 for name in asked if name in known]
        unknown = [f"dpkg-query: {dpkg.NOT_FOUND} matching {name}\n"
                   for name in asked if name not in known]
        return ExecResult(1 if unknown else 0, "".join(lines), "".join(unknown))


def as_page(answer: Page) -> HttpResult | OSError:
    return HttpResult(200, answer) if isinstance(answer, str) else answer


def fake_context(
    servers: Mapping[str, Mapping[str, Reply]] | Sequence[str] | None = None,
    *,
    pages: Mapping[str, Mapping[str, Page]] | None = None,
    infos: Mapping[str, ServerInfo] | None = None,
    fleet: FakeFleet | None = None,
    exercise: Path | str | None = None,
    workspace: Path | str = NOWHERE,
    student: str = "learner",
    marks: Mapping[str, datetime] | None = None,
    history: History | Sequence[Deployment | Event] | Callable[[], History] | None = None,
    images: Sequence[Image] | Callable[[], Sequence[Image]] | None = None,
    image: Callable[[str], Image | None] | None = None,
    smoke: Callable[[str, Sequence[str]], Smoke] | None = None,
    scratch: FakeFleet | Callable[[str | None], AbstractContextManager[Host]] | None = None,
    drift: Sequence[Drift] | Callable[[Sequence[str]], Sequence[Drift]] | None = None,
    containers: Sequence[Container] | Callable[[], Sequence[Container]] | None = None,
    deploy: Callable[[str], str | None] | None = None,
    balancer: Host | Callable[[], Host | None] | None = None,
    repository_log: Sequence[Request] | Callable[[], Sequence[Request]] | None = None,
) -> CheckContext:
    """The CheckContext `lab check` would give, over fakes.

    `servers`: the servers the check judges, each with its commands' answers
    ({"web1": {"cat /etc/banner": "hello\\n"}}), or their names alone; default: every server
    of the exercise. `pages` ({"web1": {"/": "<h1>hello</h1>"}}, port 80) and `infos`
    ({"web1": ServerInfo(...)}) script the rest of them; `fleet` is a FakeFleet scripted
    already. `exercise` is the exercise's folder (its exercise.yaml gives `ctx.spec`);
    without it, a stand-in exercise 00-test with these servers.

    The lab's records are values (`history=[Deployment(...)]`, `images=[...]`) or functions
    giving them each time they are asked (for a history that changes after `ctx.deploy`).
    `image`, `smoke`, `deploy` are functions taking what the ctx method takes; `scratch` a
    FakeFleet whose server "scratch" each throwaway server is; `balancer` a Host, or
    `lambda: None` for none running. A source not given raises NotAvailable when asked.
    """
    chosen = fleet if fleet is not None else FakeFleet()
    _script(chosen, servers, pages or {}, infos or {})
    names = list(servers or [])
    the_exercise = (load_exercise(Path(exercise)) if exercise is not None
                    else stand_in_exercise(names or ["web1"]))
    sources = Sources(
        chosen, history=_history(history), images=_records(images), image=image, smoke=smoke,
        scratch=_scratch(scratch), drift=_drift(drift), containers=_records(containers),
        deploy=deploy, balancer=_balancer(balancer), repository_log=_records(repository_log))
    return CheckContext(the_exercise, sources, Path(workspace), student, dict(marks or {}),
                        judged(the_exercise, names))


def load_checks(folder: Path | str, module: str = "checks") -> ModuleType:
    """The exercise's `checks.py` (or another module beside exercise.yaml), loaded as
    `lab check` loads it: without touching sys.path, so every exercise's may be named so."""
    path = module_file(Path(folder), module)
    name = f"lab_exercise_checks.{Path(folder).resolve().name}.{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded  # dataclasses look their module up here
    spec.loader.exec_module(loaded)
    return loaded


# --- how fake_context builds it ------------------------------------------------------------


def stand_in_exercise(servers: Sequence[str]) -> Exercise:
    """An exercise 00-test of these servers, one group each, checking nothing of note."""
    spec = ExerciseSpec.model_validate({
        "format_version": 1, "id": "00-test", "title": "test", "summary": "a stand-in",
        "servers": [{"name": name} for name in servers],
        "checks": [{"kind": "command", "goal": "a stand-in", "command": "true"}]})
    return Exercise(Path("00-test"), spec)


def judged(exercise: Exercise, names: Sequence[str]) -> tuple[str, ...]:
    """The servers named (every one of the exercise when none is), in the exercise's order."""
    everyone = exercise.spec.server_names
    unknown = sorted(set(names) - set(everyone))
    if unknown:
        raise ValueError(f"{exercise.id} has no server {unknown[0]}; it has "
                         f"{', '.join(everyone)}")
    return tuple(name for name in everyone if not names or name in names)


def _script(fleet: FakeFleet, servers: object, pages: Mapping[str, Mapping[str, Page]],
            infos: Mapping[str, ServerInfo]) -> None:
    if isinstance(servers, Mapping):
        for server, replies in servers.items():
            for part, reply in replies.items():
                result = ExecResult(0, reply) if isinstance(reply, str) else reply
                fleet.when(part, result.stdout, result.exit_code, result.stderr, server)
    for server, paths in pages.items():
        for path, answer in paths.items():
            fleet.page(server, path, answer)
    fleet.infos.update(infos)


def _records(value: Sequence[T] | Callable[[], Sequence[T]] | None
             ) -> Callable[[], Sequence[T]] | None:
    if value is None or callable(value):
        return value
    return lambda: value


def _history(value: History | Sequence[Deployment | Event] | Callable[[], History] | None
             ) -> Callable[[], History] | None:
    if value is None or callable(value):
        return value
    if isinstance(value, History):
        fixed = value
    else:
        fixed = History(tuple(item for item in value if isinstance(item, Deployment)),
                        tuple(item for item in value if isinstance(item, Event)))
    return lambda: fixed


def _drift(value: Sequence[Drift] | Callable[[Sequence[str]], Sequence[Drift]] | None
           ) -> Callable[[Sequence[str]], Sequence[Drift]] | None:
    """A server the list leaves out is identical to its image."""
    if value is None or callable(value):
        return value
    found = {item.server: item for item in value}
    return lambda servers: [found.get(server, Drift(server)) for server in servers]


def _scratch(value: FakeFleet | Callable[[str | None], AbstractContextManager[Host]] | None
             ) -> Callable[[str | None], AbstractContextManager[Host]] | None:
    if not isinstance(value, FakeFleet):
        return value
    fleet = value

    @contextmanager
    def scratch(image: str | None) -> Iterator[Host]:
        yield fleet.host("scratch")
    return scratch


def _balancer(value: Host | Callable[[], Host | None] | None
              ) -> Callable[[], Host | None] | None:
    if isinstance(value, Host):
        return lambda: value
    return value


__all__ = ["FakeFleet", "fake_context", "load_checks"]
