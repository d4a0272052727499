"""Turns validation errors into the lines shown to authors: `file:LINE: field.path: problem`."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lab.checks.specs import spec_models
from lab.errors import UsageError
from lab.exercises.schema import ExerciseSpec, Loc, Problem, ServerGroup
from lab.exercises.solution import LAB, MAPPING_STEPS
from lab.repo.specs import ProvisionStep, Trigger, fault_models

# The lists whose items are a union joined on `kind`, and each one's models by kind.
KINDS: dict[str, Callable[[], Mapping[str, type[BaseModel]]]] = {
    "checks": spec_models,
    "faults": fault_models,
}
SOLUTION_TAGS = (LAB, *MAPPING_STEPS)  # how pydantic names each kind of solution step


class ExerciseError(UsageError):
    """An exercise.yaml is malformed; the message has one `file:line: …` line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)

    def line(self) -> str:
        """Every problem on its own line, like a compiler's output.

        Unlike other errors this is several lines: an author fixing the file needs each
        problem's line number, which one joined line would bury.
        """
        return "\n".join(self.problems)


def field_path(loc: Loc) -> str:
    """('servers', 0, 'count') -> 'servers[0].count'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def prerequisite_problems(spec: ExerciseSpec, course: Sequence[str]) -> list[Problem]:
    """Each prerequisite must be another exercise of the course that comes before this one:
    a learner follows the course in order, so a later one could never have been done."""
    problems: list[Problem] = []
    for position, wanted in enumerate(spec.prerequisites):
        where = ("prerequisites", position)
        if wanted == spec.id:
            problems.append((where, "an exercise cannot be its own prerequisite"))
        elif wanted not in course:
            problems.append((where, _unknown_exercise(wanted, course)))
        elif spec.id in course and course.index(wanted) > course.index(spec.id):
            problems.append((where, f"{wanted!r} comes after this exercise in the course; a "
                             "prerequisite must come before it"))
    return problems


def _unknown_exercise(wanted: str, course: Sequence[str]) -> str:
    close = difflib.get_close_matches(wanted, course, n=1, cutoff=0.6)
    if close:
        return f"no exercise {wanted!r} in this course; did you mean {close[0]!r}?"
    known = f"its exercises are {course[0]} to {course[-1]}" if course else "it has none"
    return f"no exercise {wanted!r} in this course; {known}"


def problems_from(error: ValidationError, data: Any) -> list[Problem]:
    """Each pydantic error as (location in the YAML document, humane message)."""
    errors = error.errors()
    return [_describe(details, data) for details in errors if not _echo(details, errors)]


def _echo(details: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """A list whose items failed is also "too short" to pydantic; the items' errors say more."""
    loc = details["loc"]
    return details["type"] == "too_short" and any(
        other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors
    )


def _describe(details: ErrorDetails, data: Any) -> Problem:
    loc = _without_union_tag(details["loc"], data)
    kind, value = details["type"], details.get("input")
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        return loc, _unknown_field(loc, data)
    if kind == "union_tag_invalid":
        return (*loc, "kind"), _unknown_kind(loc, value)
    if kind == "too_short":
        least = details.get("ctx", {}).get("min_length", 1)
        return loc, f"must list at least {least} {'entry' if least == 1 else 'entries'}"
    if kind == "union_tag_not_found":
        return loc, f"'kind' is missing; it is one of {', '.join(_kinds(loc))}"
    return loc, _pydantic_message(details)


def _pydantic_message(details: ErrorDetails) -> str:
    message = details["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    value = details.get("input")
    if details["type"] != "value_error" and isinstance(value, (str, int, float, bool)):
        message += f" (found {value!r})"
    if details["type"] == "string_type" and isinstance(value, (int, float, bool)):
        message += "; put the value in quotes: YAML read it as a number or a boolean"
    return message


def _without_union_tag(loc: tuple[int | str, ...], data: Any) -> Loc:
    """pydantic names the union member in the location, ('checks', 0, 'file', 'mode') or
    ('solution', 2, 'write', 'content'): drop it."""
    if len(loc) >= 3 and loc[0] in KINDS and isinstance(loc[1], int):
        item = _child(_child(data, loc[0]), loc[1])
        if isinstance(item, Mapping) and loc[2] == item.get("kind"):
            return (*loc[:2], *loc[3:])
    if len(loc) >= 3 and loc[0] == "solution" and loc[2] in SOLUTION_TAGS:
        return (*loc[:2], *loc[3:])
    return tuple(loc)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _unknown_field(loc: Loc, data: Any) -> str:
    model = _model_at(loc[:-1], data)
    if model is None:
        return "unknown field"
    known = [name for name in model.model_fields if name != "kind"]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"unknown field; did you mean '{close[0]}'?"
    return f"unknown field; known fields here: {', '.join(known)}"


def _model_at(loc: Loc, data: Any) -> type[BaseModel] | None:
    if loc == ():
        return ExerciseSpec
    if len(loc) == 2 and loc[0] == "servers":
        return ServerGroup
    if len(loc) == 2 and loc[0] in KINDS:
        kind = _child(_child(_child(data, loc[0]), loc[1]), "kind")
        return _kinds(loc).get(kind) if isinstance(kind, str) else None
    if len(loc) == 2 and loc[0] == "provision":
        return ProvisionStep
    if len(loc) == 2 and loc[0] == "solution":
        step = _child(_child(data, loc[0]), loc[1])
        return next((model for tag, model in MAPPING_STEPS.items()
                     if isinstance(step, Mapping) and tag in step), None)
    if len(loc) == 3 and loc[0] == "faults" and loc[2] == "after":
        return Trigger
    return None


def _kinds(loc: Loc) -> Mapping[str, type[BaseModel]]:
    return KINDS.get(str(loc[0]) if loc else "", spec_models)()


def _unknown_kind(loc: Loc, value: Any) -> str:
    kind = value.get("kind") if isinstance(value, Mapping) else value
    kinds = list(_kinds(loc))
    close = difflib.get_close_matches(str(kind), kinds, n=1, cutoff=0.6)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    what = "fault" if loc[:1] == ("faults",) else "check"
    return f"unknown {what} kind {kind!r}; {suggestion}known kinds: {', '.join(kinds)}"
