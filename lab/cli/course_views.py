"""The course as the learner sees it: `lab list`'s table and document, and what `lab check`
says after its goals (the debrief of a first pass, or where to turn when stuck)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lab import console
from lab.docs import WRAP_UP_PAGE, doc_url, page_url
from lab.exercises.schema import Exercise
from lab.progress import Progress

if TYPE_CHECKING:  # `lab list` must not pay for the checks' imports
    from lab.checking import Outcome

DONE, CURRENT, PENDING = "done", "current", "pending"
MARKS = {DONE: "✓", CURRENT: "▶", PENDING: " "}
STYLES = {DONE: "green", CURRENT: "bold", PENDING: None}
SOLVED = "*"  # beside the state of an exercise `lab solve` ran the solution of
WIDE = 112  # columns from which `lab list` has room for the titles too


def state(progress: Progress, exercise_id: str) -> str:
    if progress.of(exercise_id).passed:
        return DONE
    return CURRENT if progress.current == exercise_id else PENDING


def list_document(student: str, exercises: Sequence[Exercise],
                  progress: Progress) -> dict[str, Any]:
    """What `lab list --json` answers: each exercise, what it asks of the learner, and where
    the learner stands in it."""
    rows = [_exercise_document(exercise, progress) for exercise in exercises]
    return {"student": student, "current": progress.current,
            "done": sum(row["state"] == DONE for row in rows), "total": len(rows),
            "exercises": rows}


def _exercise_document(exercise: Exercise, progress: Progress) -> dict[str, Any]:
    spec, record = exercise.spec, progress.of(exercise.id)
    return {
        "exercise": exercise.id, "title": spec.title, "time": spec.time,
        "difficulty": spec.difficulty, "prerequisites": list(spec.prerequisites),
        "state": state(progress, exercise.id), "solution_used": record.solution_used,
        "hints_shown": record.hints_shown, "hints": len(spec.hints),
        "tutorial": page_url(exercise.id),
    }


def show_list(exercises: Sequence[Exercise], progress: Progress) -> None:
    """One row per exercise: its time, level, what it builds on and the learner's state. The
    titles join in when the terminal is wide enough; the ids say what an exercise is about."""
    wide = console.width() >= WIDE
    rows, styles = [], []
    for exercise in exercises:
        spec, now = exercise.spec, state(progress, exercise.id)
        solved = SOLVED if progress.of(exercise.id).solution_used else ""
        rows.append([MARKS[now], exercise.id, *([spec.title] if wide else []),
                     f"{spec.time} min" if spec.time else "-", spec.difficulty or "-",
                     ", ".join(number(i) for i in spec.prerequisites) or "-", now + solved])
        styles.append(STYLES[now])
    console.table(["", "exercise", *(["title"] if wide else []), "time", "level", "builds on",
                   "state"], rows, styles=styles)
    done = [e for e in exercises if progress.of(e.id).passed]
    left = sum(e.spec.time or 0 for e in exercises if e not in done)
    console.info(f"{_bar(len(done), len(exercises))} {len(done)}/{len(exercises)} done"
                 + (f", about {_duration(left)} to go" if left else ""))
    if any(progress.of(e.id).solution_used for e in exercises):
        console.info(f"{SOLVED} `lab solve` was used: it ran the reference solution")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def number(exercise_id: str) -> str:
    return exercise_id.split("-", 1)[0]


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "",
                                      f"{rest} min" if rest else "") if part)


def check_document(outcome: Outcome, last: bool) -> dict[str, Any]:
    """What `lab check --json` answers: the goals, and what the learner is told after them."""
    exercise = outcome.exercise
    debrief = exercise.spec.debrief if outcome.first_pass else None
    return {
        "exercise": exercise.id, "passed": outcome.passed, "first_pass": outcome.first_pass,
        "goals": [{"goal": g.goal, "ok": g.ok, "reasons": g.reasons} for g in outcome.goals],
        "hints": {"shown": outcome.hints_shown, "total": len(exercise.spec.hints)},
        "debrief": None if debrief is None else {
            "proved": " ".join(debrief.proved.split()), "concept": debrief.concept,
            "url": doc_url(debrief.concept)},
        "wrap_up": doc_url(WRAP_UP_PAGE) if outcome.first_pass and last else None,
    }


def show_check(outcome: Outcome, last: bool) -> None:
    """Each goal, how many hold, then: passed (with the debrief the first time), or stuck."""
    for goal in outcome.goals:
        if goal.ok:
            console.success(goal.goal)
        else:
            console.failure(goal.goal, goal.reasons)
    held = sum(goal.ok for goal in outcome.goals)
    console.info(f"{held}/{len(outcome.goals)} goals hold.")
    if outcome.passed:
        _show_passed(outcome, last)
    else:
        for line in stuck_lines(outcome):
            console.info(line)


def _show_passed(outcome: Outcome, last: bool) -> None:
    debrief = outcome.exercise.spec.debrief
    console.success(f"{outcome.exercise.id} passed!")
    if outcome.first_pass and debrief is not None:  # once: later passes prove nothing new
        console.markdown(f"**What you proved.** {' '.join(debrief.proved.split())}")
        _show_page(f"Read on: {debrief.concept}", debrief.concept)
    if not last:
        console.info("`lab next` starts the next exercise.")
    elif outcome.first_pass:
        _show_page(f"Last exercise done. Wrap the course up: {WRAP_UP_PAGE}",
                   WRAP_UP_PAGE)
    else:
        console.info("That was the last exercise; `lab list` shows where you stand.")


def _show_page(words: str, page: str) -> None:
    """Words naming a page of the site, then its address on a line of its own: a terminal
    must not wrap an address the learner clicks or copies."""
    console.info(f"{words}, served by `lab docs` at")
    console.info(f"    {doc_url(page)}")


def stuck_lines(outcome: Outcome) -> list[str]:
    """Where a learner whose check failed turns next: the next hint, else the page."""
    exercise, total = outcome.exercise, len(outcome.exercise.spec.hints)
    page = ["(`lab docs` serves it) at", f"    {page_url(exercise.id)}"]
    if total and outcome.hints_left == total:
        return [f"Stuck? `lab hint` shows the first of {_count(total, 'hint')}."]
    if outcome.hints_left:
        return [f"Stuck? `lab hint` shows the next hint ({outcome.hints_shown} of {total} "
                "seen)."]
    if total:
        return [f"Stuck? You have seen all {total} hints; the exercise's page walks through "
                f"it {page[0]}", page[1]]
    return [f"Stuck? Read the exercise's page again {page[0]}", page[1]]
