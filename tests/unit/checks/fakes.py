"""A scripted Executor, contexts over it, and helpers that build checks from the YAML a test
author would write."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from lab.checks.base import AllServersCheck, Check, CheckResult, ServerCheck
from lab.checks.context import CheckContext, Sources
from lab.checks.executor import ExecResult, HttpResult, ServerInfo
from lab.checks.registry import build_check
from lab.checks.specs import AnyCheckSpec
from lab.exercises.schema import Exercise, ExerciseSpec

Answer = ExecResult | Callable[[], ExecResult]
Page = HttpResult | OSError


@dataclass
class FakeExecutor:
    """Answers commands by substring, per server or for all ("*"); records every call."""

    answers: list[tuple[str, str, Answer]] = field(default_factory=list)
    pages: dict[tuple[str, int, str], Page] = field(default_factory=dict)
    infos: dict[str, ServerInfo] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str, str, bytes | None]] = field(default_factory=list)

    def when(
        self,
        command_part: str,
        stdout: str = "",
        exit_code: int = 0,
        stderr: str = "",
        server: str = "*",
    ) -> FakeExecutor:
        """Commands containing `command_part` (on `server`) answer this; the latest rule wins."""
        self.answers.insert(0, (server, command_part, ExecResult(exit_code, stdout, stderr)))
        return self

    def when_called(
        self, command_part: str, answer: Callable[[], ExecResult], server: str = "*"
    ) -> FakeExecutor:
        """Like `when`, but `answer()` is called each time: to wait, count or raise."""
        self.answers.insert(0, (server, command_part, answer))
        return self

    def run(self, server: str, command: str) -> ExecResult:
        self.calls.append((server, command))
        for rule_server, part, answer in self.answers:
            if rule_server in ("*", server) and part in command:
                return answer if isinstance(answer, ExecResult) else answer()
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
        return self.infos[server]


def server_info(
    name: str,
    created: datetime = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc),
    image_id: str = "sha256:" + "ab" * 32,
    tags: tuple[str, ...] = ("immutable-lab/server:latest",),
    labels: Mapping[str, str] | None = None,
    **more: Any,
) -> ServerInfo:
    more.setdefault("container_id", f"{name}-container")
    return ServerInfo(
        name=name,
        image_id=image_id,
        created=created,
        image_tags=tags,
        image_labels=dict(labels or {}),
        **more,
    )


def exercise(folder: Path = Path("."), servers: int = 3,
             checks: Sequence[dict[str, Any]] = ()) -> Exercise:
    """A small exercise: `servers` servers web1..webN and these checks."""
    spec = ExerciseSpec.model_validate({
        "format_version": 1, "id": "01-test", "title": "t", "summary": "s",
        "servers": [{"name": "web", "count": servers}],
        "checks": list(checks) or [{"kind": "command", "goal": "g", "command": "true"}],
    })
    return Exercise(folder, spec)


def context(
    executor: FakeExecutor | None = None,
    the_exercise: Exercise | None = None,
    marks: Mapping[str, datetime] | None = None,
    workspace: Path = Path("/nonexistent-workspace"),
    servers: Sequence[str] | None = None,
    **sources: Any,
) -> CheckContext:
    """A context over a fake executor; `sources` fake what else its checks read."""
    chosen = the_exercise or exercise()
    return CheckContext(chosen, Sources(executor or FakeExecutor(), **sources), workspace,
                        "learner", dict(marks or {}),
                        tuple(servers if servers is not None else chosen.spec.server_names))


def make_check(
    yaml_fields: dict[str, Any],
    folder: Path = Path("."),
    marks: Mapping[str, datetime] | None = None,
    **sources: Any,
) -> Check[Any]:
    """The check a `checks:` entry of exercise.yaml describes; `goal` defaults to 'goal'."""
    spec = TypeAdapter(AnyCheckSpec).validate_python({"goal": "goal", **yaml_fields})
    return build_check(spec, context(the_exercise=exercise(folder), marks=marks, **sources))


def verdicts(
    check: Check[Any], executor: FakeExecutor, servers: Sequence[str] = ("web1",)
) -> list[CheckResult]:
    """What the runner would report for `check` on `servers`, without threads."""
    if isinstance(check, AllServersCheck):
        sources = replace(check.context.sources, executor=executor)
        check.context = replace(check.context, sources=sources, servers=tuple(servers))
        return check.check_all(executor, servers)
    assert isinstance(check, ServerCheck)
    return check.conclude([check.check_server(executor, server) for server in servers])


def judge(ctx: CheckContext, index: int) -> list[tuple[bool, str]]:
    """The verdicts of check number `index` of the context's exercise.yaml, as `lab check`
    prints them, on the servers that check names: (ok, reason) each."""
    spec = ctx.spec.checks[index]
    targets = [name for name in ctx.spec.expand(spec.servers) if name in ctx.servers]
    check = build_check(spec, ctx.with_servers(targets))
    executor = ctx.sources.executor
    if isinstance(check, AllServersCheck):
        results = check.check_all(executor, targets)
    else:
        assert isinstance(check, ServerCheck)
        results = check.conclude([check.check_server(executor, name) for name in targets])
    return [(result.ok, result.reason) for result in results]


def reasons(results: Sequence[CheckResult]) -> list[str]:
    return [result.reason for result in results]
