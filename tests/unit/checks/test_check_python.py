"""The python check: a function beside exercise.yaml, called with the CheckContext."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import UsageError
from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts

CUSTOM = """
def motd_mentions_every_server(ctx):
    motd = ctx.host(ctx.servers[0]).file("/etc/motd").content
    missing = [name for name in ctx.servers if name not in motd]
    return (not missing, f"/etc/motd does not mention {', '.join(missing)}" if missing else "ok")

def broken(ctx):
    return "yes"

def each_server(ctx):
    return [(name != "web2", f"{name}: {ctx.workspace.name}") for name in ctx.servers]

def nothing(ctx):
    return []
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "checks.py").write_text(CUSTOM)
    return tmp_path


def test_the_function_sees_the_servers_and_its_verdict_is_reported(folder: Path) -> None:
    check = make_check({"kind": "python", "function": "checks:motd_mentions_every_server"}, folder)
    fake = FakeExecutor().when("cat -- /etc/motd", stdout="web1 and web2")
    [result] = verdicts(check, fake, ["web1", "web2", "web3"])
    assert not result.ok
    assert result.server is None
    assert result.reason == "/etc/motd does not mention web3"


def test_a_function_returning_something_else_is_an_error_naming_it(folder: Path) -> None:
    check = make_check({"kind": "python", "function": "checks:broken"}, folder)
    with pytest.raises(TypeError, match=r"checks:broken returned 'yes', expected \(ok, reason\)"):
        verdicts(check, FakeExecutor())


def test_a_missing_function_is_a_usage_error(folder: Path) -> None:
    check = make_check({"kind": "python", "function": "checks:nope"}, folder)
    with pytest.raises(UsageError, match=r"checks\.py has no function nope"):
        verdicts(check, FakeExecutor())


def test_a_function_may_judge_each_server_and_read_the_workspace(folder: Path) -> None:
    check = make_check({"kind": "python", "function": "checks:each_server"}, folder)
    results = verdicts(check, FakeExecutor(), ["web1", "web2"])
    assert [(result.ok, result.reason) for result in results] == [
        (True, "web1: nonexistent-workspace"), (False, "web2: nonexistent-workspace")]


def test_an_empty_list_of_verdicts_is_an_error(folder: Path) -> None:
    check = make_check({"kind": "python", "function": "checks:nothing"}, folder)
    with pytest.raises(TypeError, match=r"expected \(ok, reason\) or a list of them"):
        verdicts(check, FakeExecutor())
