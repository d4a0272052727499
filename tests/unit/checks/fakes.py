"""Contexts over lab.authoring.testing's FakeFleet for the check kinds' tests, and helpers that
build checks from the YAML a test author would write and judge them as the runner does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from lab.authoring.testing import FakeFleet
from lab.checks.base import AllServersCheck, Check, CheckResult, ServerCheck
from lab.checks.context import CheckContext, Sources, executor_of, narrowed
from lab.checks.executor import ServerInfo
from lab.checks.registry import build_check
from lab.checks.specs import AnyCheckSpec
from lab.exercises.schema import Exercise, ExerciseSpec

# lab.authoring.testing's fake servers, by the name the check kinds' tests know them by: the
# lab's tests script servers the way an exercise author's do.
FakeExecutor = FakeFleet


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
    """A context over a fake fleet; `sources` fake what else its checks read, as functions.
    (An exercise's own tests use lab.authoring.testing.fake_context, over its folder.)"""
    chosen = the_exercise or exercise()
    return CheckContext(chosen, Sources(executor or FakeFleet(), **sources), workspace,
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


def rerouted(ctx: CheckContext, executor: FakeFleet) -> CheckContext:
    """The same context, its hosts reached through `executor`."""
    return replace(ctx, _sources=replace(ctx._sources, executor=executor))


def verdicts(
    check: Check[Any], executor: FakeExecutor, servers: Sequence[str] = ("web1",)
) -> list[CheckResult]:
    """What the runner would report for `check` on `servers`, without threads."""
    if isinstance(check, AllServersCheck):
        check.context = narrowed(rerouted(check.context, executor), servers)
        return check.check_all(executor, servers)
    assert isinstance(check, ServerCheck)
    return check.conclude([check.check_server(executor, server) for server in servers])


def judge(ctx: CheckContext, index: int) -> list[tuple[bool, str]]:
    """The verdicts of check number `index` of the context's exercise.yaml, as `lab check`
    prints them, on the servers that check names: (ok, reason) each."""
    spec = ctx.spec.checks[index]
    targets = [name for name in ctx.spec.expand(spec.servers) if name in ctx.servers]
    check = build_check(spec, narrowed(ctx, targets))
    executor = executor_of(ctx)
    if isinstance(check, AllServersCheck):
        results = check.check_all(executor, targets)
    else:
        assert isinstance(check, ServerCheck)
        results = check.conclude([check.check_server(executor, name) for name in targets])
    return [(result.ok, result.reason) for result in results]


def reasons(results: Sequence[CheckResult]) -> list[str]:
    return [result.reason for result in results]
