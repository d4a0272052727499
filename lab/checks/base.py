"""What a check kind is (a spec plus the code judging servers) and what it reports."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from lab.checks.context import CheckContext
from lab.checks.executor import Executor
from lab.checks.specs import CheckSpec


@dataclass(frozen=True)
class CheckResult:
    """One verdict: a check's goal, whether it holds, and why, on one server or the fleet."""

    goal: str
    ok: bool
    reason: str  # a whole sentence naming the server, e.g. "web2: tree is not installed"
    server: str | None = None  # None for a verdict on the whole fleet
    check: int = 0  # the check's position in exercise.yaml, to group results by check
    found: str | None = None  # what was observed (a version, a probe's output), if anything


SpecT = TypeVar("SpecT", bound=CheckSpec)


class Check(ABC, Generic[SpecT]):
    """One check of exercise.yaml, ready to judge servers."""

    def __init__(self, spec: SpecT, context: CheckContext) -> None:
        self.spec = spec
        self.context = context

    @property
    def goal(self) -> str:
        return self.spec.goal

    def passed(self, server: str, reason: str, found: str | None = None) -> CheckResult:
        return CheckResult(self.goal, True, f"{server}: {reason}", server, found=found)

    def failed(self, server: str, reason: str, found: str | None = None) -> CheckResult:
        return CheckResult(self.goal, False, f"{server}: {reason}", server, found=found)

    def verdict(self, ok: bool, reason: str) -> CheckResult:
        """A verdict on the whole fleet rather than one server."""
        return CheckResult(self.goal, ok, reason)


class ServerCheck(Check[SpecT]):
    """A check that looks at one server at a time; the runner checks servers in parallel."""

    @abstractmethod
    def check_server(self, executor: Executor, server: str) -> CheckResult:
        """Judge one server."""

    def conclude(self, results: list[CheckResult]) -> list[CheckResult]:
        """Final verdicts from every server's result; checks comparing servers override it."""
        return results


class AllServersCheck(Check[SpecT]):
    """A check that needs all its servers at once, such as a custom Python function."""

    @abstractmethod
    def check_all(self, executor: Executor, servers: Sequence[str]) -> list[CheckResult]:
        """Judge the servers together."""


def shorten(text: str, width: int = 40) -> str:
    """The first line of `text`, cut to `width` characters, for a reason that fits a line."""
    lines = text.strip().splitlines() or [""]
    first = lines[0]
    if len(first) > width or len(lines) > 1:
        return first[: width - 1].rstrip() + "…"
    return first


def with_remedy(reason: str, remedy: str | None) -> str:
    """A failed goal's reason, and what to do about it when the exercise says."""
    return f"{reason}: {remedy}" if remedy else reason


def quoted(text: str, width: int = 40) -> str:
    return f"'{shorten(text, width)}'"


def first_words(output: str) -> str:
    """A command's output reduced to something worth quoting in a reason."""
    return shorten(output, 60) if output.strip() else "no output"
