"""The course around an exercise, on a real fleet, as a learner meets it: a failing check
points to the next hint, `lab solve` is remembered, the first pass prints the exercise's
debrief (once), and `lab list` shows where the learner stands in 80 columns."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lab.docs import doc_url
from lab.exercises.loader import load_exercise
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "01-first-fleet"
SPEC = load_exercise(Path(__file__).resolve().parents[2] / "exercises" / EXERCISE).spec


def lab(*args: str, env: dict[str, str], code: int = 0) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env)
    assert result.returncode == code, (args, result.stdout, result.stderr)
    return result


def words(text: str) -> str:
    """Text as the terminal shows it rendered: Markdown's marks gone, lines joined."""
    return " ".join(text.replace("*", "").replace("`", "").split())


def test_hint_pointer_solve_mark_and_a_debrief_printed_once(student: str) -> None:
    env = {"LAB_STUDENT": student, "COLUMNS": "80"}
    lab("start", EXERCISE, env=env)
    lab("hint", env=env)

    failing = lab("check", env=env, code=1)
    hints = len(SPEC.hints)
    assert failing.stdout.rstrip().endswith(
        f"Stuck? `lab hint` shows the next hint (1 of {hints} seen)."), failing.stdout

    solved = lab("solve", env=env)
    assert "`lab list` marks this exercise as solved with `lab solve`" in solved.stdout

    first = lab("check", env=env)
    assert f"{EXERCISE} passed!" in first.stdout
    debrief = SPEC.debrief
    if debrief is not None:  # the exercise's own words, whatever they are
        assert words(f"What you proved. {debrief.proved}") in words(first.stdout), first.stdout
        assert f"Read on: {debrief.concept}, served by `lab docs` at" in first.stdout
        assert doc_url(debrief.concept) in first.stdout
    assert "`lab next` starts the next exercise." in first.stdout

    again = lab("check", env=env)
    assert f"{EXERCISE} passed!" in again.stdout
    assert "What you proved" not in again.stdout and "Read on" not in again.stdout

    listed = lab("list", env=env).stdout
    assert max(len(line) for line in listed.splitlines()) <= 80, listed
    row = next(line for line in listed.splitlines() if EXERCISE in line)
    assert row.split("│")[-1].strip() == "done*", listed
    assert "* `lab solve` was used" in listed
