"""The catalogue: exercises in folder order, found by id, number or slug."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab.environment import current_settings
from lab.errors import UsageError
from lab.exercises.catalogue import Catalogue
from lab.exercises.problems import ExerciseError
from lab.progress import Progress
from tests.unit.exercises.builders import write_exercise

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    for exercise_id in ("02-drift", "01-first-fleet", "10-blue-green"):
        write_exercise(tmp_path, exercise_id)
    (tmp_path / "notes").mkdir()  # a folder without exercise.yaml is not an exercise
    return Catalogue(tmp_path)


def test_exercises_are_listed_in_folder_order(catalogue: Catalogue) -> None:
    assert catalogue.ids() == ["01-first-fleet", "02-drift", "10-blue-green"]
    assert [exercise.id for exercise in catalogue.exercises()] == catalogue.ids()


@pytest.mark.parametrize("name", ["01-first-fleet", "01", "1", "first-fleet", " First-Fleet "])
def test_an_exercise_is_found_by_id_number_or_slug(catalogue: Catalogue, name: str) -> None:
    assert catalogue.find(name).id == "01-first-fleet"


def test_an_unknown_name_lists_the_known_exercises(catalogue: Catalogue) -> None:
    with pytest.raises(UsageError) as caught:
        catalogue.find("foo")
    assert caught.value.line() == (
        "unknown exercise 'foo'. Known exercises: 01-first-fleet, 02-drift, 10-blue-green."
    )


def test_an_empty_folder_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown exercise '01'"):
        Catalogue(tmp_path / "missing").find("01")


def test_the_first_unfinished_exercise_skips_passed_ones(catalogue: Catalogue) -> None:
    progress = Progress().checked("01-first-fleet", passed=True, now=NOW)
    progress = progress.checked("02-drift", passed=False, now=NOW)
    unfinished = catalogue.first_unfinished(progress)
    assert unfinished is not None
    assert unfinished.id == "02-drift"


def test_nothing_is_unfinished_when_everything_passed(catalogue: Catalogue) -> None:
    progress = Progress()
    for exercise_id in catalogue.ids():
        progress = progress.checked(exercise_id, passed=True, now=NOW)
    assert catalogue.first_unfinished(progress) is None


def test_the_exercise_after_another(catalogue: Catalogue) -> None:
    following = catalogue.following("02-drift")
    assert following is not None
    assert following.id == "10-blue-green"
    assert catalogue.following("10-blue-green") is None


def test_listing_reports_every_broken_exercise_together(tmp_path: Path) -> None:
    write_exercise(tmp_path, "01-good")
    write_exercise(tmp_path, "02-bad", "format_version: 1\nid: 02-bad\n")
    write_exercise(tmp_path, "03-worse", "id: [\n")
    with pytest.raises(ExerciseError) as caught:
        Catalogue(tmp_path).exercises()
    named = {name for name in ("01-good", "02-bad", "03-worse") if name in caught.value.line()}
    assert named == {"02-bad", "03-worse"}


def test_the_catalogue_of_settings_reads_lab_exercises(tmp_path: Path) -> None:
    write_exercise(tmp_path, "05-only")
    settings = current_settings({"LAB_HOME": str(tmp_path), "LAB_EXERCISES": str(tmp_path)})
    assert Catalogue.of(settings).ids() == ["05-only"]
