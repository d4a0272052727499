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
from tests.unit.exercises.builders import VALID, write_exercise

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


# --- prerequisites and the course's quality bar ---------------------------------------------


def with_prerequisites(exercise_id: str, prerequisites: str) -> str:
    """A valid exercise.yaml whose prerequisites line is `prerequisites`."""
    return VALID.format(id=exercise_id).replace(
        "servers:", f"prerequisites: {prerequisites}\nservers:")


def test_prerequisites_must_be_earlier_exercises_of_the_course(tmp_path: Path) -> None:
    write_exercise(tmp_path, "01-first-fleet")
    write_exercise(tmp_path, "02-drift", with_prerequisites("02-drift", "[01-first-fleet]"))
    write_exercise(tmp_path, "03-broken", with_prerequisites(
        "03-broken", "[03-broken, 04-later, 01-frist-fleet, 09-nowhere]"))
    write_exercise(tmp_path, "04-later")
    catalogue = Catalogue(tmp_path)
    assert catalogue.load("02-drift").spec.prerequisites == ("01-first-fleet",)
    with pytest.raises(ExerciseError) as caught:
        catalogue.load("03-broken")
    problems = caught.value.problems
    line = next(number for number, text in enumerate(
        (tmp_path / "03-broken" / "exercise.yaml").read_text().splitlines(), 1)
        if text.startswith("prerequisites"))
    assert len(problems) == 4, problems
    assert all(f"exercise.yaml:{line}: prerequisites[" in problem for problem in problems)
    assert "prerequisites[0]: an exercise cannot be its own prerequisite" in problems[0]
    assert "'04-later' comes after this exercise in the course" in problems[1]
    assert "did you mean '01-first-fleet'?" in problems[2]
    assert "no exercise '09-nowhere' in this course; its exercises are 01-first-fleet to " \
           "04-later" in problems[3]


SHIPPED = Catalogue(Path(__file__).resolve().parents[3] / "exercises")
DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.mark.parametrize("exercise_id", SHIPPED.ids())
def test_every_shipped_exercise_says_how_long_and_how_hard(exercise_id: str) -> None:
    """Optional for an instructor's own exercise; the course's quality bar for its own."""
    spec = SHIPPED.load(exercise_id).spec
    assert spec.time is not None, f"{exercise_id}: exercise.yaml needs `time` (minutes)"
    assert spec.difficulty is not None, f"{exercise_id}: exercise.yaml needs `difficulty`"


@pytest.mark.parametrize("exercise_id", SHIPPED.ids())
def test_every_debrief_sends_the_learner_to_a_page_that_exists(exercise_id: str) -> None:
    """`lab check` prints the page's address on the first pass; the site must have it."""
    debrief = SHIPPED.load(exercise_id).spec.debrief
    assert debrief is not None, f"{exercise_id}: exercise.yaml needs a `debrief`"
    assert (DOCS / debrief.concept).is_file(), \
        f"{exercise_id}: debrief.concept {debrief.concept!r} is not a page under docs/"
