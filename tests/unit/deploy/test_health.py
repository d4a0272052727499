"""Is a new server healthy: the verdict on its /health answer, and how it is told."""

from __future__ import annotations

import pytest

from lab.deploy.health import describe, judge


@pytest.mark.parametrize(
    ("status", "body", "healthy"),
    [(200, "ok", True), (200, "fail", False), (200, "", False), (200, "ok then", False),
     (503, "ok", False), (503, "", False), (404, "", False)],
)
def test_only_200_ok_is_healthy(status: int, body: str, healthy: bool) -> None:
    assert judge(status, body) is healthy


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [(200, "ok", "answered ok"), (200, "fail", "answered 'fail'"), (200, "", "answered ''"),
     (503, "", "answered HTTP 503"), (500, "ok", "answered HTTP 500")],
)
def test_describe(status: int, body: str, said: str) -> None:
    assert describe(status, body) == said
