"""A bundled exercise's checks on a fake context: its real exercise.yaml and checks.py, with
servers and records scripted by the test."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from lab.checks.context import CheckContext
from lab.checks.host import Host
from lab.exercises.loader import load_exercise
from tests.helpers import EXERCISES
from tests.unit.checks.fakes import FakeExecutor, context


def exercise_context(exercise_id: str, executor: FakeExecutor | None = None, *,
                     workspace: Path = Path("/nonexistent-workspace"),
                     marks: Mapping[str, datetime] | None = None,
                     servers: Sequence[str] | None = None, **sources: Any) -> CheckContext:
    """The context `lab check` gives the exercise's checks, over a fake fleet."""
    return context(executor, load_exercise(EXERCISES / exercise_id), marks, workspace,
                   servers, **sources)


def scratch_of(executor: FakeExecutor, made: list[str | None]) -> Any:
    """A fake `scratch` source: each throwaway server is `executor`; `made` records from
    which image each was made."""
    @contextmanager
    def scratch(image_id: str | None) -> Iterator[Host]:
        made.append(image_id)
        yield Host("scratch", executor)
    return scratch


def holds(verdicts: Sequence[tuple[bool, str]]) -> bool:
    """The goal holds: at least one verdict, all of them ok."""
    return bool(verdicts) and all(ok for ok, _ in verdicts)
