"""A scripted Executor, and helpers that build checks from the YAML a test author would write."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from lab.checks.base import AllServersCheck, Check, CheckContext, CheckResult, ServerCheck
from lab.checks.executor import ExecResult, HttpResult, ServerInfo
from lab.checks.registry import build_check
from lab.checks.specs import AnyCheckSpec

Answer = ExecResult | Callable[[], ExecResult]


@dataclass
class FakeExecutor:
    """Answers commands by substring, per server or for all ("*"); records every call."""

    answers: list[tuple[str, str, Answer]] = field(default_factory=list)
    pages: dict[tuple[str, int, str], HttpResult | OSError] = field(default_factory=dict)
    infos: dict[str, ServerInfo] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

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

    def http_get(self, server: str, container_port: int, path: str) -> HttpResult:
        answer = self.pages[(server, container_port, path)]
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
) -> ServerInfo:
    return ServerInfo(
        name=name,
        container_id=f"{name}-container",
        image_id=image_id,
        created=created,
        image_tags=tags,
        image_labels=dict(labels or {}),
    )


def make_check(
    yaml_fields: dict[str, Any],
    folder: Path = Path("."),
    marks: Mapping[str, datetime] | None = None,
) -> Check[Any]:
    """The check a `checks:` entry of exercise.yaml describes; `goal` defaults to 'goal'."""
    spec = TypeAdapter(AnyCheckSpec).validate_python({"goal": "goal", **yaml_fields})
    return build_check(spec, CheckContext(folder, marks or {}))


def verdicts(
    check: Check[Any], executor: FakeExecutor, servers: Sequence[str] = ("web1",)
) -> list[CheckResult]:
    """What the runner would report for `check` on `servers`, without threads."""
    if isinstance(check, AllServersCheck):
        return check.check_all(executor, servers)
    assert isinstance(check, ServerCheck)
    return check.conclude([check.check_server(executor, server) for server in servers])


def reasons(results: Sequence[CheckResult]) -> list[str]:
    return [result.reason for result in results]
