"""A bundled exercise's checks on a fake context: its real exercise.yaml and checks.py, with
servers and records scripted by the test through lab.authoring.testing, as an exercise
author's own tests do."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from lab.authoring import CheckContext, Host
from lab.authoring.testing import FakeFleet, fake_context
from tests.helpers import EXERCISES


def exercise_context(exercise_id: str, fleet: FakeFleet | None = None, *,
                     workspace: Path = Path("/nonexistent-workspace"),
                     marks: Mapping[str, datetime] | None = None,
                     servers: Sequence[str] | None = None, **sources: Any) -> CheckContext:
    """The context `lab check` gives the exercise's checks, over a fake fleet."""
    return fake_context(servers, fleet=fleet, exercise=EXERCISES / exercise_id,
                        workspace=workspace, marks=marks, **sources)


def scratch_of(fleet: FakeFleet, made: list[str | None]) -> Any:
    """A fake `scratch` source: each throwaway server is `fleet`'s server "scratch"; `made`
    records from which image each was made."""
    @contextmanager
    def scratch(image: str | None) -> Iterator[Host]:
        made.append(image)
        yield fleet.host("scratch")
    return scratch


def holds(verdicts: Sequence[tuple[bool, str]]) -> bool:
    """The goal holds: at least one verdict, all of them ok."""
    return bool(verdicts) and all(ok for ok, _ in verdicts)
