"""The class's progress: every student x exercise, done (and when the checks last passed),
in progress or not started, read from the students' progress files without any engine."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lab.classroom.roster import Roster
from lab.progress import Progress
from lab.settings import Settings

DONE, IN_PROGRESS, NOT_STARTED = "done", "in progress", "not started"


@dataclass(frozen=True)
class Cell:
    """One student's standing in one exercise."""

    state: str  # done, in progress, not started
    last_passed_at: datetime | None = None  # the latest check that passed
    last_check_at: datetime | None = None
    attempts: int = 0
    solution_used: bool = False  # `lab solve` ran the reference solution


@dataclass(frozen=True)
class Standing:
    """One student's row of the class matrix."""

    student: str
    engine: str
    current: str | None
    cells: dict[str, Cell]
    problem: str = ""  # e.g. the progress file cannot be read

    @property
    def done(self) -> int:
        return sum(cell.state == DONE for cell in self.cells.values())

    def last_pass(self) -> tuple[str, datetime] | None:
        """The exercise whose checks passed most recently, and when."""
        passes = [(found.last_passed_at, exercise_id) for exercise_id, found in self.cells.items()
                  if found.last_passed_at is not None]
        if not passes:
            return None
        moment, exercise_id = max(passes)
        return exercise_id, moment


def standings(settings: Settings, roster: Roster, exercise_ids: Sequence[str]) -> list[Standing]:
    """Every student's progress, read from their progress files; no engine is asked."""
    rows = []
    for student in roster.students:
        path = settings.for_student(student.name).progress_file
        progress, problem = read_progress(path)
        rows.append(Standing(student.name, roster.engine_of(student), progress.current,
                             {exercise_id: cell(progress, exercise_id)
                              for exercise_id in exercise_ids}, problem))
    return rows


def read_progress(path: Path) -> tuple[Progress, str]:
    """The progress in `path` (empty when there is none), and a problem reading it if any.

    Only read: a broken file is left where it is for the student's own `lab` to recover.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Progress(), ""
    except (OSError, UnicodeDecodeError) as exc:
        return Progress(), f"cannot read {path}: {getattr(exc, 'strerror', exc)}"
    try:
        return Progress.model_validate_json(text), ""
    except ValidationError:
        return Progress(), f"{path} is not a progress file the lab can read"


def cell(progress: Progress, exercise_id: str) -> Cell:
    record = progress.of(exercise_id)
    if record.passed:
        state = DONE
    elif record.started_at or record.attempts or progress.current == exercise_id:
        state = IN_PROGRESS
    else:
        state = NOT_STARTED
    return Cell(state, record.last_passed_at or record.passed_at, record.last_check_at,
                record.attempts, record.solution_used)


def standings_json(rows: Sequence[Standing], exercise_ids: Sequence[str]) -> dict[str, Any]:
    def stamp(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "exercises": list(exercise_ids),
        "students": [{
            "student": row.student, "engine": row.engine, "current": row.current,
            "done": row.done, "problem": row.problem or None,
            "exercises": {exercise_id: {
                "state": found.state, "last_passed_at": stamp(found.last_passed_at),
                "last_check_at": stamp(found.last_check_at), "attempts": found.attempts,
                "solution_used": found.solution_used,
            } for exercise_id, found in row.cells.items()},
        } for row in rows],
    }


def standings_csv(rows: Sequence[Standing], exercise_ids: Sequence[str]) -> str:
    """One row per student: each exercise's state, the time its checks last passed, and
    "yes" where `lab solve` was used."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "engine", "done",
                     *(column for exercise_id in exercise_ids
                       for column in (exercise_id, f"{exercise_id} last passed",
                                      f"{exercise_id} lab solve"))])
    for row in rows:
        cells = [row.cells[exercise_id] for exercise_id in exercise_ids]
        writer.writerow([row.student, row.engine, row.done,
                         *(value for found in cells for value in (
                             found.state,
                             found.last_passed_at.isoformat() if found.last_passed_at else "",
                             "yes" if found.solution_used else ""))])
    return out.getvalue()
