"""Judging the current exercise: its checks on the fleet, its hints and its reference solution.

sources: the lab as checks see it (lab.authoring's CheckContext, made here). solving: the
reference solution, step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lab import learner
from lab.checking.solving import solve
from lab.checking.sources import check_context
from lab.checks.base import CheckResult
from lab.checks.runner import run_checks
from lab.errors import StateError
from lab.exercises.schema import Exercise
from lab.progress import ExerciseProgress, Progress, ProgressStore
from lab.settings import Settings

__all__ = ["Goal", "Outcome", "check", "fold", "next_hint", "solve"]


@dataclass(frozen=True)
class Goal:
    """One goal of the exercise with every server's verdict folded into one line."""

    goal: str
    ok: bool
    reasons: list[str]


@dataclass(frozen=True)
class Outcome:
    """What `lab check` found for the exercise: each goal, met or not (lab.authoring's
    Verdict is one check's `(ok, reason)`)."""

    exercise: Exercise
    goals: list[Goal]
    first_pass: bool = False  # this check is the first that every goal held (its debrief's)
    hints_shown: int = 0  # how many of the exercise's hints the learner has seen

    @property
    def passed(self) -> bool:
        return bool(self.goals) and all(goal.ok for goal in self.goals)

    @property
    def hints_left(self) -> int:
        return max(len(self.exercise.spec.hints) - self.hints_shown, 0)


def check(settings: Settings, record: bool = True) -> Outcome:
    """Run every check of the current exercise on its fleet; remember the outcome."""
    exercise, infos = learner.running(settings)
    marks = learner.load_progress(settings).of(exercise.id).marks
    with check_context(settings, exercise, infos, marks) as context:
        verdict = Outcome(exercise, fold(run_checks(context)))
    if not record:
        return verdict
    before, after = _record_check(settings, exercise.id, verdict.passed)
    return replace(verdict, first_pass=after.passed and not before.passed,
                   hints_shown=after.hints_shown)


def _record_check(settings: Settings, exercise_id: str,
                  passed: bool) -> tuple[ExerciseProgress, ExerciseProgress]:
    """Remember this check; the exercise's record just before it and just after, read under
    the same lock, so two checks at once cannot both be the first pass."""
    before: list[ExerciseProgress] = []

    def change(progress: Progress) -> Progress:
        before.append(progress.of(exercise_id))
        return progress.checked(exercise_id, passed)

    after = ProgressStore.of(settings).update(change)
    return before[-1], after.of(exercise_id)


def fold(results: list[CheckResult]) -> list[Goal]:
    """Per-server results grouped by check, in exercise.yaml's order."""
    goals: dict[int, Goal] = {}
    for result in results:
        goal = goals.setdefault(result.check, Goal(result.goal, True, []))
        if not result.ok:
            goals[result.check] = Goal(goal.goal, False, [*goal.reasons, result.reason])
    return [goals[index] for index in sorted(goals)]


def next_hint(settings: Settings) -> tuple[Exercise, int, str]:
    """The next hint of the current exercise (the last one again once all are shown)."""
    exercise = learner.current(settings)
    hints = exercise.spec.hints
    if not hints:
        raise StateError(f"{exercise.id} has no hints", "Read its page: `lab start` prints it.")
    shown = learner.load_progress(settings).of(exercise.id).hints_shown
    number = min(shown + 1, len(hints))
    ProgressStore.of(settings).update(lambda p: p.hint_shown(exercise.id, number))
    return exercise, number, hints[number - 1]
