"""The exercises shipped with the lab load, and each one's parts agree with each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.checks.specs import FileSpec
from lab.exercises import solution
from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise
from lab.exercises.solution import WriteFile

EXERCISES = Path(__file__).resolve().parents[3] / "exercises"
CATALOGUE = Catalogue(EXERCISES)


def test_every_bundled_exercise_loads() -> None:
    assert CATALOGUE.exercises()  # raises ExerciseError naming every broken line


@pytest.mark.parametrize("exercise_id", CATALOGUE.ids())
def test_each_exercise_has_a_tutorial_hints_and_a_solution(exercise_id: str) -> None:
    exercise = CATALOGUE.load(exercise_id)
    assert exercise.readme.read_text(encoding="utf-8").startswith("# ")
    assert exercise.spec.hints
    assert exercise.spec.solution


@pytest.mark.parametrize("exercise_id", CATALOGUE.ids())
def test_the_tutorial_shows_every_solution_step(exercise_id: str) -> None:
    """Every command the solution types is in the tutorial; a file it writes is named there
    (its content is the answer, kept for the spoiler)."""
    exercise = CATALOGUE.load(exercise_id)
    readme = exercise.readme.read_text(encoding="utf-8")
    shown = [step.write if isinstance(step, WriteFile) else solution.shown(step)
             for step in exercise.spec.solution]
    missing = [text for text in shown if text not in readme]
    assert missing == []


def first_fleet() -> Exercise:
    return CATALOGUE.find("first-fleet")


def test_first_fleet_starter_motd_passes_its_own_file_check() -> None:
    exercise = first_fleet()
    motd = (exercise.workspace_dir / "motd").read_text(encoding="utf-8")
    file_checks = [check for check in exercise.spec.checks if isinstance(check, FileSpec)]
    assert file_checks
    for check in file_checks:
        assert check.contains is not None
        assert check.contains in motd


def test_first_fleet_solution_puts_the_workspace_file_the_checks_expect() -> None:
    exercise = first_fleet()
    puts = [words for words in exercise.spec.solution_commands() if words[0] == "put"]
    assert puts == [["put", "--all", "motd", "/etc/motd"]]
    assert (exercise.workspace_dir / "motd").is_file()
