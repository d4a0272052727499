"""Judging the current exercise: its checks on the fleet, its hints and its reference solution."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.errors import StateError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.checks.base import CheckResult
    from lab.exercises.schema import Exercise


@dataclass(frozen=True)
class Goal:
    """One goal of the exercise with every server's verdict folded into one line."""

    goal: str
    ok: bool
    reasons: list[str]


@dataclass(frozen=True)
class Verdict:
    exercise: Exercise
    goals: list[Goal]
    first_pass: bool  # this check is the first time every goal held

    @property
    def passed(self) -> bool:
        return bool(self.goals) and all(goal.ok for goal in self.goals)


def check(settings: Settings, record: bool = True) -> Verdict:
    """Run every check of the current exercise on its fleet; remember a pass."""
    from lab import fleet, lifecycle
    from lab.checks.runner import run_checks
    from lab.progress import ProgressStore

    exercise, infos = lifecycle.running(settings)
    marks = lifecycle.load_progress(settings).of(exercise.id).marks
    with fleet.FleetExecutor(infos) as executor:
        results = run_checks(exercise, executor, marks=marks)
    goals = fold(results)
    passed = bool(goals) and all(goal.ok for goal in goals)
    first = False
    if record:
        before = ProgressStore.of(settings).load().of(exercise.id).passed
        ProgressStore.of(settings).update(lambda p: p.checked(exercise.id, passed))
        first = passed and not before
    return Verdict(exercise, goals, first)


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
    from lab import lifecycle
    from lab.progress import ProgressStore

    exercise = lifecycle.current(settings)
    hints = exercise.spec.hints
    if not hints:
        raise StateError(f"{exercise.id} has no hints", "Read its page: `lab start` prints it.")
    shown = lifecycle.load_progress(settings).of(exercise.id).hints_shown
    number = min(shown + 1, len(hints))
    ProgressStore.of(settings).update(lambda p: p.hint_shown(exercise.id, number))
    return exercise, number, hints[number - 1]


def solve(settings: Settings, show: Callable[[str], None]) -> int:
    """Run the reference solution's `lab` commands one by one, each shown before it runs.

    Each step runs as its own `lab` process, exactly as a learner would type it.
    Returns the number of steps run; stops at the first failing step.
    """
    from lab import lifecycle

    exercise, _ = lifecycle.running(settings)  # one clear error before any step runs
    steps = exercise.spec.solution_commands()
    if not steps:
        raise StateError(f"{exercise.id} has no reference solution")
    for number, arguments in enumerate(steps, start=1):
        show(f"step {number}/{len(steps)}: $ lab {shlex.join(arguments)}")
        result = subprocess.run([sys.executable, "-m", "lab", *arguments], env=_env(settings))
        if result.returncode != 0:
            raise StateError(f"solution step {number} failed with exit code {result.returncode}",
                             "Look at its output above; `lab status` shows the servers.")
    return len(steps)


def _env(settings: Settings) -> dict[str, str]:
    """The steps run as the same student in the same lab home as this command."""
    return {**os.environ, "LAB_HOME": str(settings.home), "LAB_STUDENT": settings.student}
