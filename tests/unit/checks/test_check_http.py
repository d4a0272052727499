"""The http check: what the learner's browser would have seen, asked through the published port."""

from __future__ import annotations

import pytest

from lab.checks.executor import HttpResult
from lab.checks.http import longer_token, whole_match
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


# --- `contains` matches whole words and versions -----------------------------------------

VERSION = {"kind": "http", "port": 80, "path": "/", "contains": "2.0"}


def page(body: str) -> FakeExecutor:
    return FakeExecutor(pages={("web1", 80, "/"): HttpResult(200, body)})


@pytest.mark.parametrize("body", [
    "<p>webapp version: <strong>2.0</strong></p>", "2.0", "2.0\n", "version 2.0.",
    "webapp 2.0-1", "(2.0)"])
def test_a_version_on_its_own_passes(body: str) -> None:
    assert verdicts(make_check(VERSION), page(body))[0].ok, body


@pytest.mark.parametrize(("body", "inside"), [
    ("<strong>2.0.1</strong>", "2.0.1"), ("<strong>12.0</strong>", "12.0"),
    ("webapp 1.2.0", "1.2.0"), ("v2.0", "v2.0"), ("2.01", "2.01")])
def test_a_longer_version_holding_it_fails_and_says_so(body: str, inside: str) -> None:
    [result] = verdicts(make_check(VERSION), page(body))
    assert not result.ok
    assert f"with '2.0' only inside '{inside}', which is not the same" in result.reason


def test_a_word_is_matched_whole_but_phrases_and_punctuation_still_work() -> None:
    health = {"kind": "http", "port": 80, "path": "/", "contains": "ok"}
    assert verdicts(make_check(health), page("ok\n"))[0].ok
    assert not verdicts(make_check(health), page("okay\n"))[0].ok
    assert not verdicts(make_check(health), page("broken\n"))[0].ok
    phrase = {**HOME, "contains": "Managed by immutable-lab"}
    assert verdicts(make_check(phrase), page("# Managed by immutable-lab\n"))[0].ok
    tag = {**HOME, "contains": "<h1>"}  # an end that is not a letter or digit has no rule
    assert verdicts(make_check(tag), page("x<h1>web1</h1>"))[0].ok


def test_whole_match_and_the_longer_token() -> None:
    assert whole_match("2.0", "is 2.0, not 3.0")
    assert not whole_match("2.0", "is 2.0.1")
    assert longer_token("2.0", "is 2.0.1.") == "2.0.1"
    assert longer_token("2.0", "is 3.0") is None
