"""run_checks: every check on every server in parallel, results in file order, no crashes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from lab.checks.context import CheckContext
from lab.checks.executor import ExecResult
from lab.checks.runner import run_checks
from lab.exercises.schema import Exercise, ExerciseSpec
from tests.unit.checks.fakes import FakeExecutor, context


def exercise(checks: list[dict[str, Any]], servers: list[dict[str, Any]] | None = None) -> Exercise:
    spec = ExerciseSpec.model_validate(
        {
            "format_version": 1,
            "id": "01-test",
            "title": "t",
            "summary": "s",
            "servers": servers or [{"name": "web", "count": 3}],
            "checks": checks,
        }
    )
    return Exercise(Path("."), spec)


def run(the_exercise: Exercise, fake: FakeExecutor,
        servers: list[str] | None = None) -> list[Any]:
    ctx: CheckContext = context(fake, the_exercise, servers=servers)
    return run_checks(ctx)


TREE = {"kind": "package", "goal": "tree is installed", "name": "tree"}
HOSTNAME = {"kind": "command", "goal": "hostname works", "command": "hostname"}


def installed() -> FakeExecutor:
    return FakeExecutor().when("dpkg-query", stdout="ii |tree|2.1\n").when("hostname", stdout="x")


def test_results_follow_the_file_then_the_servers_even_when_later_ones_finish_first() -> None:
    def slowly() -> ExecResult:
        time.sleep(0.1)
        return ExecResult(0, "ii |tree|2.1\n")

    fake = installed().when_called("dpkg-query", slowly, server="web1")
    results = run(exercise([TREE, HOSTNAME]), fake)
    assert [(result.check, result.server) for result in results] == [
        (0, "web1"),
        (0, "web2"),
        (0, "web3"),
        (1, "web1"),
        (1, "web2"),
        (1, "web3"),
    ]
    assert all(result.ok for result in results)


def test_servers_are_checked_at_the_same_time() -> None:
    # Each server's command waits for the other two: done one after another, it would time out.
    everyone_there = threading.Barrier(3, timeout=5)

    def meet() -> ExecResult:
        everyone_there.wait()
        return ExecResult(0, "ii |tree|2.1\n")

    results = run(exercise([TREE]), FakeExecutor().when_called("dpkg-query", meet))
    assert all(result.ok for result in results)


def test_an_exception_in_one_check_becomes_a_failed_result_and_the_rest_still_run() -> None:
    def explode() -> ExecResult:
        raise ConnectionResetError("ssh connection to web2 lost")

    fake = installed().when_called("hostname", explode)
    results = run(exercise([HOSTNAME, TREE]), fake, ["web2"])
    assert [result.ok for result in results] == [False, True]
    assert results[0].reason == "web2: could not check: ssh connection to web2 lost"
    assert results[0].goal == "hostname works"


def test_only_the_servers_asked_for_and_a_check_s_own_servers_are_checked() -> None:
    only_web3 = {**HOSTNAME, "servers": ["web3"]}
    fake = installed()
    results = run(exercise([TREE, only_web3]), fake, ["web2", "web3"])
    assert [(result.check, result.server) for result in results] == [
        (0, "web2"),
        (0, "web3"),
        (1, "web3"),
    ]
    assert {server for server, _ in fake.calls} == {"web2", "web3"}


def test_custom_checks_get_the_context_narrowed_to_their_own_servers(tmp_path: Path) -> None:
    (tmp_path / "checks.py").write_text(
        "def where(ctx):\n"
        "    return True, f'{ctx.exercise_id} {ctx.student} {\",\".join(ctx.servers)}'\n")
    spec = exercise([{"kind": "python", "goal": "g", "function": "checks:where",
                      "servers": ["web2", "web3"]}]).spec
    [result] = run(Exercise(tmp_path, spec), FakeExecutor(), ["web1", "web3"])
    assert result.reason == "01-test learner web3"
