"""What each student's command comes to in the class's table: ok, failed, passed or not
passed, and a detail, read from the one JSON document the command answers with
(`lab start --json`, `lab check --json`, ...). A failure answers `{"error": LINE, ...}`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from lab.classroom.children import Completed, Job

OK, FAILED, PASSED, NOT_PASSED = "ok", "failed", "passed", "not passed"

Answer = Mapping[str, Any]
Describe = Callable[[Answer], str]  # a successful answer's detail


@dataclass(frozen=True)
class Outcome:
    """What one student's (or engine's) command came to, as the final table shows it."""

    student: str
    engine: str
    ok: bool
    result: str  # ok, failed, passed, not passed
    detail: str


Summary = Callable[[Job, Completed], Outcome]


def answer(completed: Completed) -> Answer | None:
    """The JSON document the command printed last, or None when it printed none (it crashed,
    or Click refused its command line before it ran). Whatever came before it (a `print()`
    left in an exercise's checks) is not the answer."""
    text = completed.stdout
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    for start in reversed(starts):  # the document starts with a `{` at a line's start
        if text.startswith("{", start):
            try:
                document = json.loads(text[start:])
            except ValueError:
                continue
            return document if isinstance(document, dict) else None
    return None


def summarize(job: Job, completed: Completed, describe: Describe | None = None) -> Outcome:
    """ok with what the answer says was done, or failed with the error it gives."""
    document = answer(completed)
    if completed.exit_code != 0 or (document is not None and "error" in document):
        return Outcome(job.student, job.engine, False, FAILED, failure(completed, document))
    detail = "done"  # the exit code says it went well, whatever the answer's shape
    if document is not None and describe is not None:
        with suppress(KeyError, TypeError, ValueError):
            detail = describe(document)
    return Outcome(job.student, job.engine, True, OK, detail)


def failure(completed: Completed, document: Answer | None = None) -> str:
    """The error the answer gives; without one, the last thing the process said."""
    if document is None:
        document = answer(completed)
    if document is not None and document.get("error"):
        return str(document["error"])
    lines = [line.strip() for line in (completed.stdout + "\n" + completed.stderr).splitlines()
             if line.strip()]
    if not lines or document is not None:
        return f"exit code {completed.exit_code}"
    return lines[-1].removeprefix("error: ")


def summarize_start(job: Job, completed: Completed) -> Outcome:
    """`lab start --json`: the exercise is running."""
    return summarize(job, completed, _running)


def summarize_stop(job: Job, completed: Completed) -> Outcome:
    """`lab stop --json`: how many servers were removed, if any ran."""
    return summarize(job, completed, _stopped)


def summarize_reset(job: Job, completed: Completed) -> Outcome:
    """`lab reset --json`: the exercise running again, or everything of the student removed."""
    return summarize(job, completed, _reset)


def summarize_check(job: Job, completed: Completed) -> Outcome:
    """`lab check --json`: passed, or not passed with the first goal that fails."""
    document = answer(completed)
    try:
        goals = [(str(goal["goal"]), bool(goal["ok"]))
                 for goal in (document or {})["goals"]]
        passed = bool((document or {})["passed"])
    except (KeyError, TypeError):  # an error's answer, or none
        return Outcome(job.student, job.engine, False, FAILED, failure(completed, document))
    held = f"{sum(ok for _, ok in goals)}/{len(goals)} goals hold"
    if passed:
        return Outcome(job.student, job.engine, True, PASSED, held)
    failing = next((goal for goal, ok in goals if not ok), "")
    return Outcome(job.student, job.engine, False, NOT_PASSED,
                   f"{held}; not yet: {failing}" if failing else held)


def _running(document: Answer) -> str:
    return f"{document['exercise']} is running"


def _stopped(document: Answer) -> str:
    exercise, removed = document["exercise"], int(document["removed"])
    if exercise is None:
        return "No exercise is started; nothing to stop."
    if removed == 0:
        return f"{exercise} is not running; nothing to stop."
    return f"stopped {exercise}: {count(removed, 'container')} removed"


def _reset(document: Answer) -> str:
    if document.get("started"):
        return _running(document["started"])
    removed = ", ".join(count(int(number), kind.rstrip("s"))
                        for kind, number in document["removed"].items())
    return f"removed every lab resource of {document['student']}: {removed}"


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
