"""Judging the current exercise: its checks on the fleet, its hints and its reference solution."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lab.errors import LabError, StateError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.checks.base import CheckResult
    from lab.exercises.schema import Exercise
    from lab.exercises.solution import SolutionStep


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
    from lab import fleet, learner
    from lab.checks.runner import run_checks
    from lab.exercises.workspace import workspace_path
    from lab.progress import ProgressStore

    exercise, infos = learner.running(settings)
    marks = learner.load_progress(settings).of(exercise.id).marks
    with fleet.FleetExecutor(infos) as executor:
        results = run_checks(exercise, executor, marks=marks, settings=settings,
                             workspace=workspace_path(exercise, settings))
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
    from lab import learner
    from lab.progress import ProgressStore

    exercise = learner.current(settings)
    hints = exercise.spec.hints
    if not hints:
        raise StateError(f"{exercise.id} has no hints", "Read its page: `lab start` prints it.")
    shown = learner.load_progress(settings).of(exercise.id).hints_shown
    number = min(shown + 1, len(hints))
    ProgressStore.of(settings).update(lambda p: p.hint_shown(exercise.id, number))
    return exercise, number, hints[number - 1]


def solve(settings: Settings, show: Callable[[str], None]) -> int:
    """Run the reference solution's steps one by one, each shown before it runs.

    A `lab` step runs as its own `lab` process, exactly as a learner would type it; a
    `python` step runs a workspace script with this Python, in the workspace; a `write`
    step writes a workspace file. Returns the number of steps run; stops at the first
    failing step (a script's expected exit code is not a failure).
    """
    from lab import learner
    from lab.exercises.workspace import workspace_path

    exercise, _ = learner.running(settings)  # one clear error before any step runs
    steps = exercise.spec.solution
    if not steps:
        raise StateError(f"{exercise.id} has no reference solution")
    workspace = workspace_path(exercise, settings)
    for number, step in enumerate(steps, start=1):
        show(f"step {number}/{len(steps)}: $ {_display(step)}")
        code, expected = _run_step(step, settings, workspace)
        if code != expected:
            raise StateError(f"solution step {number} failed with exit code {code}"
                             + (f", expected {expected}" if expected else ""),
                             "Look at its output above; `lab status` shows the servers. "
                             "The solution starts from the exercise as `lab start` left it: "
                             "`lab reset` starts it over.")
    return len(steps)


def _display(step: SolutionStep) -> str:
    """The step as shown before it runs: a `lab` command as its words are passed on."""
    from lab.exercises.solution import shown

    if isinstance(step, str):
        return f"lab {shlex.join(shlex.split(step)[1:])}"
    return shown(step)


def _run_step(step: SolutionStep, settings: Settings, workspace: Path) -> tuple[int, int]:
    """Run one step; returns its exit code and the one expected."""
    from lab.exercises.solution import RunLab, RunPython

    if isinstance(step, str | RunLab):
        line = step if isinstance(step, str) else step.lab
        command = [sys.executable, "-m", "lab", *shlex.split(line)[1:]]
        expected = step.exit_code if isinstance(step, RunLab) else 0
        return subprocess.run(command, env=_env(settings)).returncode, expected
    if isinstance(step, RunPython):
        command = [sys.executable, step.python, *step.args]
        result = subprocess.run(command, cwd=workspace, env=_env(settings))
        return result.returncode, step.exit_code
    _write(workspace / step.write, step.content)
    return 0, 0


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise LabError(f"cannot write {path}: {exc}") from None


def _env(settings: Settings) -> dict[str, str]:
    """The steps run as the same student in the same lab home as this command."""
    return {**os.environ, "LAB_HOME": str(settings.home), "LAB_STUDENT": settings.student}
