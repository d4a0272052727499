"""The http check: what the learner's browser would have seen, asked through the published port."""

from __future__ import annotations

from lab.checks.executor import HttpResult
from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts

HOME = {"kind": "http", "port": 80, "path": "/", "contains": "Hello"}


def test_a_page_with_the_text_passes() -> None:
    fake = FakeExecutor(pages={("web1", 80, "/"): HttpResult(200, "<h1>Hello</h1>")})
    assert verdicts(make_check(HOME), fake)[0].ok


def test_wrong_status_is_reported_with_both_codes() -> None:
    fake = FakeExecutor(pages={("web1", 80, "/"): HttpResult(502, "Bad Gateway")})
    [result] = verdicts(make_check(HOME), fake)
    assert result.reason == "web1: GET / on port 80 answered 502, expected 200"


def test_missing_text_quotes_the_start_of_the_page() -> None:
    fake = FakeExecutor(pages={("web1", 80, "/"): HttpResult(200, "Welcome to nginx!\n...")})
    [result] = verdicts(make_check(HOME), fake)
    assert result.reason == (
        "web1: GET / on port 80 answered 200 without 'Hello'; "
        "the page starts with 'Welcome to nginx!…'"
    )


def test_nothing_listening_is_a_failed_check_not_a_crash() -> None:
    fake = FakeExecutor(
        pages={("web1", 80, "/"): ConnectionRefusedError(111, "Connection refused")}
    )
    [result] = verdicts(make_check(HOME), fake)
    assert not result.ok
    assert (
        result.reason == "web1: GET / on port 80: nothing answers ([Errno 111] Connection refused)"
    )
