"""run_checks: every check on every server in parallel, results in file order, no crashes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lab.checks.executor import ExecResult
from lab.checks.runner import all_passed, run_checks
from lab.errors import UsageError
from lab.exercises.schema import Exercise, ExerciseSpec
from tests.unit.checks.fakes import FakeExecutor


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


TREE = {"kind": "package", "goal": "tree is installed", "name": "tree"}
HOSTNAME = {"kind": "command", "goal": "hostname works", "command": "hostname"}


def installed() -> FakeExecutor:
    return FakeExecutor().when("dpkg-query", stdout="ii  2.1").when("hostname", stdout="x")


def test_results_follow_the_file_then_the_servers_even_when_later_ones_finish_first() -> None:
    def slowly() -> ExecResult:
        time.sleep(0.1)
        return ExecResult(0, "ii  2.1")

    fake = installed().when_called("dpkg-query", slowly, server="web1")
    results = run_checks(exercise([TREE, HOSTNAME]), fake)
    assert [(result.check, result.server) for result in results] == [
        (0, "web1"),
        (0, "web2"),
        (0, "web3"),
        (1, "web1"),
        (1, "web2"),
        (1, "web3"),
    ]
    assert all_passed(results)


def test_servers_are_checked_at_the_same_time() -> None:
    # Each server's command waits for the other two: done one after another, it would time out.
    everyone_there = threading.Barrier(3, timeout=5)

    def meet() -> ExecResult:
        everyone_there.wait()
        return ExecResult(0, "ii  2.1")

    results = run_checks(exercise([TREE]), FakeExecutor().when_called("dpkg-query", meet))
    assert all_passed(results)


def test_an_exception_in_one_check_becomes_a_failed_result_and_the_rest_still_run() -> None:
    def explode() -> ExecResult:
        raise ConnectionResetError("ssh connection to web2 lost")

    fake = installed().when_called("hostname", explode)
    results = run_checks(exercise([HOSTNAME, TREE]), fake, ["web2"])
    assert [result.ok for result in results] == [False, True]
    assert results[0].reason == "web2: could not check: ssh connection to web2 lost"
    assert results[0].goal == "hostname works"


def test_only_the_servers_asked_for_and_a_check_s_own_servers_are_checked() -> None:
    only_web3 = {**HOSTNAME, "servers": ["web3"]}
    fake = installed()
    results = run_checks(exercise([TREE, only_web3]), fake, ["web2", "web3"])
    assert [(result.check, result.server) for result in results] == [
        (0, "web2"),
        (0, "web3"),
        (1, "web3"),
    ]
    assert {server for server, _ in fake.calls} == {"web2", "web3"}


def test_a_group_name_stands_for_its_servers() -> None:
    groups: list[dict[str, Any]] = [{"name": "web", "count": 2}, {"name": "lb"}]
    results = run_checks(exercise([TREE], groups), installed(), ["web"])
    assert [result.server for result in results] == ["web1", "web2"]


def test_an_unknown_server_is_a_usage_error_listing_the_real_ones() -> None:
    with pytest.raises(UsageError) as caught:
        run_checks(exercise([TREE]), installed(), ["web9"])
    assert caught.value.line() == "unknown server 'web9'. This exercise has web1, web2, web3."


def test_no_results_is_not_a_pass() -> None:
    assert not all_passed([])


def test_custom_checks_get_the_workspace_and_the_settings(tmp_path: Path) -> None:
    from lab.settings import Settings

    (tmp_path / "checks.py").write_text(
        "def where(executor, servers, context):\n"
        "    return True, f'{context.workspace.name} {context.settings.student}'\n")
    spec = exercise([{"kind": "python", "goal": "g", "function": "checks:where"}]).spec
    settings = Settings(home=tmp_path, student="alice")
    [result] = run_checks(Exercise(tmp_path, spec), FakeExecutor(),
                          workspace=tmp_path / "01-test", settings=settings)
    assert result.reason == "01-test alice"
