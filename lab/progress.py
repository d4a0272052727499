"""The learner's progress: one JSON file per student, written atomically, kept across resets."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lab.files import updating, write_atomically
from lab.settings import Settings

LOCK_TIMEOUT_SECONDS = 10


class ProgressRecovered(UserWarning):
    """The progress file was unreadable: it was moved aside and progress starts afresh."""

    def __init__(self, message: str, moved_to: Path | None) -> None:
        super().__init__(message)
        self.moved_to = moved_to


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExerciseProgress(_Record):
    """What the learner did in one exercise."""

    started_at: datetime | None = None  # the first time it was started
    last_check_at: datetime | None = None
    passed_at: datetime | None = None  # the first time every check passed
    last_passed_at: datetime | None = None  # the latest time every check passed
    attempts: int = 0  # how many times `lab check` ran
    hints_shown: int = 0  # how many hints the learner has seen, in order
    # `lab solve`: when it first ran the reference solution here, and how many times it did.
    # Absent from files written before it was recorded: such a file loads as "never".
    solution_used_at: datetime | None = None
    solution_runs: int = 0
    # Moments checks compare with; "start" is when the servers were last brought up.
    marks: dict[str, datetime] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.passed_at is not None

    @property
    def solution_used(self) -> bool:
        return self.solution_runs > 0


class Progress(_Record):
    """Every exercise's progress and the one the learner is on; changes return a new copy."""

    format_version: Literal[1] = 1
    current: str | None = None
    exercises: dict[str, ExerciseProgress] = Field(default_factory=dict)

    def of(self, exercise_id: str) -> ExerciseProgress:
        return self.exercises.get(exercise_id, ExerciseProgress())

    def started(
        self, exercise_id: str, now: datetime | None = None, *, fresh_servers: bool = True
    ) -> Progress:
        """The exercise became current and its servers are up.

        Call it once the servers exist: the `replaced` check counts a server as replaced
        only if its container is newer than this moment (the "start" mark). Pass
        fresh_servers=False when the servers were kept from before (`lab start` on a
        running fleet), so that servers the learner replaced still count as replaced.
        """
        now = now or utc_now()
        record = self.of(exercise_id)
        keep_mark = not fresh_servers and "start" in record.marks
        changed = self._with(
            exercise_id,
            started_at=record.started_at or now,
            marks=record.marks if keep_mark else {**record.marks, "start": now},
        )
        return changed.model_copy(update={"current": exercise_id})

    def checked(self, exercise_id: str, passed: bool, now: datetime | None = None) -> Progress:
        """`lab check` ran; the first all-green run sets passed_at, later ones keep it, and
        every all-green run sets last_passed_at."""
        now = now or utc_now()
        record = self.of(exercise_id)
        return self._with(
            exercise_id,
            attempts=record.attempts + 1,
            last_check_at=now,
            passed_at=record.passed_at or (now if passed else None),
            last_passed_at=now if passed else record.last_passed_at,
        )

    def hint_shown(self, exercise_id: str, number: int) -> Progress:
        """The learner has seen hints 1..number; asking again for an earlier one changes nothing."""
        record = self.of(exercise_id)
        return self._with(exercise_id, hints_shown=max(record.hints_shown, number))

    def solution_run(self, exercise_id: str, now: datetime | None = None) -> Progress:
        """`lab solve` ran the reference solution: the first time is kept, every run counted."""
        record = self.of(exercise_id)
        return self._with(exercise_id, solution_runs=record.solution_runs + 1,
                          solution_used_at=record.solution_used_at or now or utc_now())

    def _with(self, exercise_id: str, **changes: object) -> Progress:
        record = self.of(exercise_id).model_copy(update=changes)
        return self.model_copy(update={"exercises": {**self.exercises, exercise_id: record}})


class ProgressStore:
    """Reads and writes one progress file; readers never see a half-written file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_SECONDS)

    @classmethod
    def of(cls, settings: Settings) -> ProgressStore:
        return cls(settings.progress_file)

    def load(self) -> Progress:
        """The saved progress; empty if there is none, or if the file is corrupt.

        A corrupt file is moved aside to progress.json.corrupt-<timestamp> and a
        ProgressRecovered warning is issued for the CLI to show.
        """
        progress = self._read()
        if progress is not None:
            return progress
        with self._locked():
            progress = self._read()  # another process may have repaired it meanwhile
            return progress if progress is not None else self._recover()

    def save(self, progress: Progress) -> None:
        with self._locked():
            self._write(progress)

    def update(self, change: Callable[[Progress], Progress]) -> Progress:
        """Load, change and save under a lock, so two `lab` commands cannot lose a change."""
        with self._locked():
            current = self._read()
            progress = change(current if current is not None else self._recover())
            self._write(progress)
            return progress

    def _read(self) -> Progress | None:
        """The progress, Progress() when there is no file yet, None when the file is bad."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Progress()
        except (OSError, UnicodeDecodeError):
            return None
        try:
            return Progress.model_validate_json(text)
        except ValidationError:
            return None

    def _recover(self) -> Progress:
        """Move the bad file aside (never delete it), warn, and start from empty progress."""
        target = _free_path(self.path, f".corrupt-{_stamp()}")
        try:
            os.replace(self.path, target)
        except FileNotFoundError:
            return Progress()
        except OSError as exc:
            self._warn(f"it could not be moved aside ({exc.strerror})", None)
        else:
            self._warn(f"it was moved to {target}", target)
        return Progress()

    def _warn(self, what_happened: str, moved_to: Path | None) -> None:
        message = (
            f"your progress file {self.path} was unreadable; {what_happened}, "
            "and your progress starts afresh"
        )
        warnings.warn(ProgressRecovered(message, moved_to), stacklevel=4)  # at load()'s caller

    def _write(self, progress: Progress) -> None:
        write_atomically(self.path, progress.model_dump_json(indent=2) + "\n")

    def _locked(self) -> AbstractContextManager[None]:
        return updating(self.path, self._lock)


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _free_path(path: Path, suffix: str) -> Path:
    """PATH+suffix, or PATH+suffix-2, -3, … if that name is taken: never overwrite."""
    candidate = path.with_name(path.name + suffix)
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}{suffix}-{number}")
        number += 1
    return candidate
