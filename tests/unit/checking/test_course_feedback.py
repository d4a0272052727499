"""What `lab check` and `lab solve` remember and say beyond the goals: the debrief of the first
pass (only the first), where a stuck learner turns, the last exercise's wrap-up, and the
solution's use, all over a faked fleet whose goals the test decides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lab import checking, learner
from lab.checks.base import CheckResult
from lab.cli import course_views
from lab.errors import StateError
from lab.exercises.loader import load_exercise
from lab.exercises.schema import Exercise
from lab.progress import Progress, ProgressStore
from lab.settings import Settings
from tests.unit.exercises.builders import VALID, write_exercise

PROVED = "Three servers, *one* command, the same result on each."
CONCEPT = "concepts/mutable-and-immutable.md"


def exercise(tmp_path: Path, hints: int = 2, debrief: bool = True) -> Exercise:
    extra = "".join(f"  - Hint number {n}.\n" for n in range(1, hints + 1))
    text = VALID.format(id="01-demo").replace("servers:", (
        (f"debrief:\n  proved: {PROVED}\n  concept: {CONCEPT}\n" if debrief else "")
        + (f"hints:\n{extra}" if hints else "") + "servers:"))
    return load_exercise(write_exercise(tmp_path, "01-demo", text))


class Fleet:
    """The running exercise, and whether its one goal holds on the next check."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, running: Exercise) -> None:
        self.holds = False
        monkeypatch.setattr(learner, "running", lambda settings: (running, []))
        monkeypatch.setattr(checking, "check_context", self._context)
        monkeypatch.setattr(checking, "run_checks", lambda context: [
            CheckResult("tree is installed", self.holds,
                        "web1: fine" if self.holds else "web1: tree is not installed", "web1")])

    @contextmanager
    def _context(self, *args: Any) -> Iterator[None]:
        yield None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", student="learner")


def test_only_the_first_passing_check_is_the_first_pass(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = Fleet(monkeypatch, exercise(tmp_path))
    failing = checking.check(settings)
    assert not failing.passed and not failing.first_pass
    fleet.holds = True
    first, again = checking.check(settings), checking.check(settings)
    assert first.passed and first.first_pass
    assert again.passed and not again.first_pass
    fleet.holds = False
    assert not checking.check(settings).first_pass  # broken again: no pass, no debrief
    assert not checking.check(settings, record=False).first_pass  # `lab dev check`'s kind


def test_a_failing_check_counts_the_hints_seen(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    Fleet(monkeypatch, exercise(tmp_path, hints=3))
    assert course_views.stuck_lines(checking.check(settings)) == [
        "Stuck? `lab hint` shows the first of 3 hints."]
    ProgressStore.of(settings).save(Progress().hint_shown("01-demo", 1))
    outcome = checking.check(settings)
    assert (outcome.hints_shown, outcome.hints_left) == (1, 2)
    assert course_views.stuck_lines(outcome) == [
        "Stuck? `lab hint` shows the next hint (1 of 3 seen)."]


def test_with_every_hint_seen_or_none_a_stuck_learner_is_sent_to_the_page(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    Fleet(monkeypatch, exercise(tmp_path, hints=2))
    ProgressStore.of(settings).save(Progress().hint_shown("01-demo", 2))
    seen_all = course_views.stuck_lines(checking.check(settings))
    assert seen_all == ["Stuck? You have seen all 2 hints; the exercise's page walks through it "
                        "(`lab docs` serves it) at", "    http://127.0.0.1:8000/exercises/01-demo/"]

    Fleet(monkeypatch, exercise(tmp_path / "bare", hints=0))
    bare = course_views.stuck_lines(checking.check(settings))
    assert bare == ["Stuck? Read the exercise's page again (`lab docs` serves it) at",
                    "    http://127.0.0.1:8000/exercises/01-demo/"]


def test_the_debrief_is_printed_on_the_first_pass_only(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fleet = Fleet(monkeypatch, exercise(tmp_path))
    fleet.holds = True
    course_views.show_check(checking.check(settings), last=False)
    first = capsys.readouterr().out
    assert "What you proved. Three servers, one command, the same result on each." in first
    assert (f"Read on: {CONCEPT}, served by `lab docs` at\n"
            "    http://127.0.0.1:8000/concepts/mutable-and-immutable/\n") in first
    assert "`lab next` starts the next exercise." in first
    assert "wrap-up" not in first

    course_views.show_check(checking.check(settings), last=False)
    again = capsys.readouterr().out
    assert "01-demo passed!" in again
    assert "What you proved" not in again and "Read on" not in again


def test_without_a_debrief_a_first_pass_says_nothing_more(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    Fleet(monkeypatch, exercise(tmp_path, debrief=False)).holds = True
    outcome = checking.check(settings)
    course_views.show_check(outcome, last=False)
    said = capsys.readouterr().out
    assert outcome.first_pass and "01-demo passed!" in said
    assert "What you proved" not in said and "Read on" not in said
    assert course_views.check_document(outcome, last=False)["debrief"] is None


def test_the_last_exercise_points_to_the_wrap_up_once(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    Fleet(monkeypatch, exercise(tmp_path)).holds = True
    first = checking.check(settings)
    course_views.show_check(first, last=True)
    said = capsys.readouterr().out
    assert ("Last exercise done. Wrap the course up: wrap-up.md, served by "
            "`lab docs` at\n    http://127.0.0.1:8000/wrap-up/\n") in said
    assert "lab next" not in said
    document = json.loads(json.dumps(course_views.check_document(first, last=True)))
    assert document["first_pass"] is True
    assert document["debrief"] == {"proved": PROVED, "concept": CONCEPT,
                                   "url": "http://127.0.0.1:8000/concepts/mutable-and-immutable/"}
    assert document["wrap_up"] == "http://127.0.0.1:8000/wrap-up/"

    course_views.show_check(checking.check(settings), last=True)
    later = capsys.readouterr().out
    assert "wrap-up" not in later and "`lab list` shows where you stand" in later


def test_lab_solve_is_remembered_before_its_first_step(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = exercise(tmp_path)
    monkeypatch.setattr(learner, "running", lambda settings: (demo, []))
    monkeypatch.setattr("lab.checking.solving._run_step", lambda step, settings, ws: (1, 0))
    with pytest.raises(StateError, match="solution step 1 failed"):
        checking.solve(settings, lambda line: None)
    record = ProgressStore.of(settings).load().of("01-demo")
    assert record.solution_used and record.solution_runs == 1  # seen, though a step failed


def test_starting_before_the_prerequisites_are_passed_says_so(
        tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from lab.cli.exercise import _note_unmet_prerequisites

    later = load_exercise(write_exercise(tmp_path, "03-later", VALID.format(id="03-later")
                                         .replace("servers:", "prerequisites: [01-a, 02-b]\n"
                                                  "servers:")))
    ProgressStore.of(settings).save(Progress().checked("01-a", True))
    _note_unmet_prerequisites(settings, later)
    assert " ".join(capsys.readouterr().out.split()) == \
        "This exercise builds on 02-b, which you have not passed yet; `lab list` shows the course."
    ProgressStore.of(settings).save(Progress().checked("01-a", True).checked("02-b", True))
    _note_unmet_prerequisites(settings, later)
    assert capsys.readouterr().out == ""
