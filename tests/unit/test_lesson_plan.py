"""The instructor's lesson plan agrees with the exercises: every exercise once, with the
minutes, difficulty and prerequisites its exercise.yaml declares, never before a
prerequisite, and each session's sums adding up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "docs" / "instructor" / "lesson-plan.md"
CATALOGUE = Catalogue(ROOT / "exercises")

# | [01 · Your first fleet](../exercises/01-first-fleet.md) | 10 | beginner | none | 1 |
ROW = re.compile(
    r"^\| \[(?P<number>\d{2}) · [^\]]+\]\(\.\./exercises/(?P<id>[\w-]+)\.md\) "
    r"\| (?P<minutes>\d+) \| (?P<difficulty>\w+) \| (?P<prerequisites>[^|]+?) "
    r"\| (?P<session>\d+) \|$", re.MULTILINE)
SESSION = re.compile(r"^## Session (\d+):", re.MULTILINE)
EXERCISE_TIME = re.compile(r"\*\*Exercise time: (\d+) minutes\.\*\*")
LENGTH = re.compile(r"Session: about (\d+) minutes \(([^)]*)\)")
PART = re.compile(r"(\d+)\s+(\w+)")
START = re.compile(r"Start with `lab class start (\d{2})`")


@dataclass(frozen=True)
class Row:
    """One exercise as the plan's table shows it."""

    exercise_id: str
    minutes: int
    difficulty: str
    prerequisites: tuple[str, ...]  # two-digit numbers, like ("02", "05")
    session: int


def _text() -> str:
    return PLAN.read_text(encoding="utf-8")


def _rows() -> list[Row]:
    rows = []
    for match in ROW.finditer(_text()):
        assert match["id"].startswith(match["number"]), match.group(0)
        listed = match["prerequisites"].strip()
        prerequisites = () if listed == "none" else tuple(p.strip() for p in listed.split(","))
        rows.append(Row(match["id"], int(match["minutes"]), match["difficulty"], prerequisites,
                        int(match["session"])))
    return rows


def _sessions() -> dict[int, str]:
    """Each session's section of the page, by number."""
    text = _text()
    starts = list(SESSION.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return {int(m[1]): text[m.start():end] for m, end in zip(starts, ends, strict=True)}


def test_the_plan_lists_every_exercise_once_in_course_order() -> None:
    assert [row.exercise_id for row in _rows()] == CATALOGUE.ids()


@pytest.mark.parametrize("exercise", CATALOGUE.exercises(), ids=lambda e: e.id)
def test_each_row_says_what_the_exercise_yaml_says(exercise: Exercise) -> None:
    (row,) = [row for row in _rows() if row.exercise_id == exercise.id]
    spec = exercise.spec
    assert row.minutes == spec.time, (
        f"{exercise.id}: the lesson plan says {row.minutes} minutes, exercise.yaml {spec.time}")
    assert row.difficulty == spec.difficulty, exercise.id
    assert row.prerequisites == tuple(p[:2] for p in spec.prerequisites), exercise.id


def test_no_exercise_is_planned_before_its_prerequisites() -> None:
    session_of = {row.exercise_id[:2]: row.session for row in _rows()}
    late = [f"{row.exercise_id} (session {row.session}) needs {p} (session {session_of[p]})"
            for row in _rows() for p in row.prerequisites if session_of[p] > row.session]
    assert late == []


def test_each_session_adds_up() -> None:
    """A session's exercise time is its exercises' minutes; its length is its parts' sum,
    and it starts the class on its own first exercise."""
    rows = _rows()
    sessions = _sessions()
    assert sorted(sessions) == sorted({row.session for row in rows})
    for number, section in sessions.items():
        mine = [row for row in rows if row.session == number]
        exercise_time = EXERCISE_TIME.search(section)
        length = LENGTH.search(section)
        start = START.search(section)
        assert exercise_time and length and start, f"session {number} lacks its sums"
        assert int(exercise_time[1]) == sum(row.minutes for row in mine), f"session {number}"
        parts = {word: int(minutes) for minutes, word in PART.findall(length[2])}
        assert sum(parts.values()) == int(length[1]), f"session {number}: {length[0]}"
        assert parts["exercises"] == int(exercise_time[1]), f"session {number}"
        assert start[1] == mine[0].exercise_id[:2], f"session {number}"


def test_a_changed_exercise_time_is_caught() -> None:
    """The row pattern really reads the minutes (a pattern matching nothing passes above)."""
    row = "| [01 · Your first fleet](../exercises/01-first-fleet.md) | 11 | beginner | none | 1 |"
    match = ROW.search(row)
    assert match and int(match["minutes"]) == 11
