"""The `http` check: a page asked from the host through the published port answers as expected."""

from __future__ import annotations

import re

from lab.checks.base import CheckResult, ServerCheck, quoted
from lab.checks.executor import Executor
from lab.checks.specs import HttpSpec

# A "token" is a run of letters, digits and dots between letters or digits: a word, or a
# version like 2.0.1. `contains` must match whole tokens at its ends, so that "2.0" is not
# found in "2.0.1" or "12.0" (a version check that a newer version passes proves nothing).
_ALNUM = r"[^\W_]"
_NOT_AFTER_TOKEN = rf"(?<!{_ALNUM})(?<!{_ALNUM}\.)"
_NOT_BEFORE_TOKEN = rf"(?!{_ALNUM})(?!\.{_ALNUM})"


def whole_match(text: str, body: str) -> bool:
    """Whether `text` is in `body` and not as part of a longer word or version: an end of
    `text` that is a letter or digit must not touch another one (or a dot then one)."""
    return re.search(_pattern(text), body) is not None


def _pattern(text: str) -> str:
    before = _NOT_AFTER_TOKEN if text[:1].isalnum() else ""
    after = _NOT_BEFORE_TOKEN if text[-1:].isalnum() else ""
    return before + re.escape(text) + after


def longer_token(text: str, body: str) -> str | None:
    """The longer word or version `text` first appears inside, like "2.0.1" for "2.0"."""
    start = body.find(text)
    if start < 0:
        return None
    end = start + len(text)
    while start > 0 and (body[start - 1].isalnum() or body[start - 1] == "."):
        start -= 1
    while end < len(body) and (body[end].isalnum() or body[end] == "."):
        end += 1
    return body[start:end].strip(".")


class HttpCheck(ServerCheck[HttpSpec]):
    """GET `path` on the server's published `port`; expect `status` and maybe some text."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        spec = self.spec
        request = f"GET {spec.path} on port {spec.port}"
        try:
            answer = executor.http(server, spec.port, spec.path)
        except OSError as exc:
            return self.failed(server, f"{request}: nothing answers ({exc})")
        if answer.status != spec.status:
            return self.failed(
                server, f"{request} answered {answer.status}, expected {spec.status}", answer.body
            )
        if spec.contains is not None and not whole_match(spec.contains, answer.body):
            return self.failed(server, self._missing(request, answer.status, answer.body),
                               answer.body)
        return self.passed(server, f"{request} answered {answer.status} as expected", answer.body)

    def _missing(self, request: str, status: int, body: str) -> str:
        expected = quoted(self.spec.contains or "")
        inside = longer_token(self.spec.contains or "", body)
        if inside is not None:
            return (f"{request} answered {status} with {expected} only inside "
                    f"{quoted(inside)}, which is not the same; the page starts with "
                    f"{quoted(body)}")
        return (f"{request} answered {status} without {expected}; "
                f"the page starts with {quoted(body)}")
