"""Turns validation errors into the lines shown to authors: `file:LINE: field.path: problem`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lab.checks.specs import spec_models
from lab.errors import UsageError
from lab.exercises.schema import ExerciseSpec, Loc, Problem, ServerGroup


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
        return (*loc, "kind"), _unknown_kind(value)
    if kind == "too_short":
        least = details.get("ctx", {}).get("min_length", 1)
        return loc, f"must list at least {least} {'entry' if least == 1 else 'entries'}"
    if kind == "union_tag_not_found":
        return loc, f"'kind' is missing; it is one of {', '.join(spec_models())}"
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
    """pydantic names the union member in the location, ('checks', 0, 'file', 'mode'): drop it."""
    if len(loc) >= 3 and loc[0] == "checks" and isinstance(loc[1], int):
        check = _child(_child(data, "checks"), loc[1])
        if isinstance(check, Mapping) and loc[2] == check.get("kind"):
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
    if len(loc) == 2 and loc[0] == "checks":
        kind = _child(_child(_child(data, "checks"), loc[1]), "kind")
        return spec_models().get(kind) if isinstance(kind, str) else None
    return None


def _unknown_kind(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, Mapping) else value
    kinds = list(spec_models())
    close = difflib.get_close_matches(str(kind), kinds, n=1, cutoff=0.6)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown check kind {kind!r}; {suggestion}known kinds: {', '.join(kinds)}"
