"""Runs an exercise's checks on its servers in parallel and returns verdicts in file order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.checks.base import AllServersCheck, Check, CheckContext, CheckResult, ServerCheck
from lab.checks.executor import Executor
from lab.checks.registry import build_check
from lab.errors import LabError

if TYPE_CHECKING:  # lab.exercises imports lab.checks.specs; only type hints go the other way
    from lab.exercises.schema import Exercise
    from lab.settings import Settings

MAX_WORKERS = 16


@dataclass
class _Pending:
    """One check's submitted work: a future per server, or one for all its servers."""

    index: int
    check: Check[Any]
    futures: list[Future[list[CheckResult]]]


def run_checks(
    exercise: Exercise,
    executor: Executor,
    servers: Sequence[str] | None = None,
    *,
    marks: Mapping[str, datetime] | None = None,
    workspace: Path | None = None,
    settings: Settings | None = None,
) -> list[CheckResult]:
    """Every check of `exercise` on `servers` (server or group names; None: all of them).

    Results come in the order of exercise.yaml, then of the servers. A check that raises
    gives a failed result carrying the message; it never stops the other checks.
    `marks` are moments the `replaced` check compares with, e.g. {"start": ...};
    `workspace` and `settings` are for custom checks (see CheckContext).
    """
    wanted = set(exercise.spec.expand(servers))
    context = CheckContext(exercise.folder, marks or {}, workspace, settings)
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="check") as pool:
        pending = []
        for index, spec in enumerate(exercise.spec.checks):
            targets = [name for name in exercise.spec.expand(spec.servers) if name in wanted]
            if targets:
                pending.append(_submit(pool, index, build_check(spec, context), targets, executor))
        return [result for work in pending for result in _collect(work)]


def all_passed(results: Sequence[CheckResult]) -> bool:
    """True when there is at least one result and none failed."""
    return bool(results) and all(result.ok for result in results)


def _submit(
    pool: ThreadPoolExecutor,
    index: int,
    check: Check[Any],
    servers: list[str],
    executor: Executor,
) -> _Pending:
    if isinstance(check, AllServersCheck):
        futures = [pool.submit(_check_all, check, executor, servers)]
    elif isinstance(check, ServerCheck):
        futures = [pool.submit(_check_one, check, executor, server) for server in servers]
    else:
        raise TypeError(f"{type(check).__name__} is neither a ServerCheck nor an AllServersCheck")
    return _Pending(index, check, futures)


def _check_one(check: ServerCheck[Any], executor: Executor, server: str) -> list[CheckResult]:
    try:
        return [check.check_server(executor, server)]
    except Exception as exc:  # a broken check or server must not hide the other verdicts
        return [_failure(check.goal, server, exc)]


def _check_all(
    check: AllServersCheck[Any], executor: Executor, servers: list[str]
) -> list[CheckResult]:
    try:
        return check.check_all(executor, servers)
    except Exception as exc:
        return [_failure(check.goal, None, exc)]


def _collect(work: _Pending) -> list[CheckResult]:
    results = [result for future in work.futures for result in future.result()]
    if isinstance(work.check, ServerCheck):
        try:
            results = work.check.conclude(results)
        except Exception as exc:
            results = [_failure(work.check.goal, None, exc)]
    return [replace(result, check=work.index) for result in results]


def _failure(goal: str, server: str | None, exc: Exception) -> CheckResult:
    message = exc.line() if isinstance(exc, LabError) else str(exc) or type(exc).__name__
    where = f"{server}: " if server else ""
    return CheckResult(goal, False, f"{where}could not check: {message}", server)
