"""The reference solution of the current exercise, run step by step as a learner would."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from lab import learner
from lab.environment import child_environment
from lab.errors import LabError, StateError
from lab.exercises.solution import RunLab, RunPython, SolutionStep, shown
from lab.exercises.workspace import workspace_path
from lab.progress import ProgressStore
from lab.settings import Settings


def solve(settings: Settings, show: Callable[[str], None], record: bool = True) -> int:
    """Run the reference solution's steps one by one, each shown before it runs.

    A `lab` step runs as its own `lab` process, exactly as a learner would type it; a
    `python` step runs a workspace script with this Python, in the workspace; a `write`
    step writes a workspace file. Returns the number of steps run; stops at the first
    failing step (a script's expected exit code is not a failure). Progress remembers that
    the solution ran (`lab list` and `lab class status` show it) before its first step: the
    learner has seen it, whether or not every step succeeds.
    """
    exercise, _ = learner.running(settings)  # one clear error before any step runs
    steps = exercise.spec.solution
    if not steps:
        raise StateError(f"{exercise.id} has no reference solution")
    if record:
        ProgressStore.of(settings).update(lambda progress: progress.solution_run(exercise.id))
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
    if isinstance(step, str):
        return f"lab {shlex.join(shlex.split(step)[1:])}"
    return shown(step)


def _run_step(step: SolutionStep, settings: Settings, workspace: Path) -> tuple[int, int]:
    """Run one step; returns its exit code and the one expected."""
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
    """The steps run as the same student in the same lab as this command."""
    return child_environment(settings)
