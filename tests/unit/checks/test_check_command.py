"""The command check: exit codes and output, with what the command actually said."""

from __future__ import annotations

from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts


def test_wrong_exit_code_quotes_stderr() -> None:
    fake = FakeExecutor().when("tree", exit_code=127, stderr="sh: 1: tree: not found\n")
    [result] = verdicts(make_check({"kind": "command", "command": "tree --version"}), fake)
    assert not result.ok
    assert result.reason == (
        "web1: `tree --version` exited with 127, expected 0 (sh: 1: tree: not found)"
    )


def test_expected_non_zero_exit_code_passes() -> None:
    fake = FakeExecutor().when("test -e", exit_code=1)
    check = make_check({"kind": "command", "command": "test -e /etc/nologin", "exit_code": 1})
    assert verdicts(check, fake)[0].ok


def test_stdout_must_contain_the_text() -> None:
    check = make_check({"kind": "command", "command": "hostname", "stdout_contains": "web"})
    [result] = verdicts(check, FakeExecutor().when("hostname", stdout="db1\n"))
    assert result.reason == "web1: `hostname` printed 'db1', expected it to contain 'web'"


def test_stdout_must_match_the_pattern_on_some_line() -> None:
    check = make_check(
        {
            "kind": "command",
            "command": "nginx -v 2>&1",
            "stdout_matches": r"^nginx version: \S+/1\.",
        }
    )
    good = FakeExecutor().when("nginx", stdout="something\nnginx version: nginx/1.22.1\n")
    bad = FakeExecutor().when("nginx", stdout="nginx version: nginx/2.0\n")
    assert verdicts(check, good)[0].ok
    assert "expected a match for" in verdicts(check, bad)[0].reason
