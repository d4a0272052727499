"""Runs an exercise's checks on its servers in parallel and returns verdicts in file order."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from lab.checks.base import AllServersCheck, Check, CheckResult, ServerCheck
from lab.checks.context import CheckContext, executor_of, narrowed
from lab.checks.executor import Executor
from lab.checks.registry import build_check
from lab.errors import LabError

MAX_WORKERS = 16


@dataclass
class _Pending:
    """One check's submitted work: a future per server, or one for all its servers."""

    index: int
    check: Check[Any]
    futures: list[Future[list[CheckResult]]]


def run_checks(context: CheckContext) -> list[CheckResult]:
    """Every check of the context's exercise on the context's servers.

    Results come in the order of exercise.yaml, then of the servers. A check that raises
    gives a failed result carrying the message; it never stops the other checks. Each check
    gets the context narrowed to its own servers (its `servers:` among the context's).
    """
    spec, executor = context.spec, executor_of(context)
    wanted = set(context.servers)
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="check") as pool:
        pending = []
        for index, check_spec in enumerate(spec.checks):
            targets = [name for name in spec.expand(check_spec.servers) if name in wanted]
            if targets:
                check = build_check(check_spec, narrowed(context, targets))
                pending.append(_submit(pool, index, check, targets, executor))
        return [result for work in pending for result in _collect(work)]


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
