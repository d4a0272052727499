"""The exercise.yaml reference page, generated from the pydantic models that validate the file."""

from __future__ import annotations

import inspect
import io
import json
import re
import textwrap
import tokenize
import types
import typing
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lab.exercises.schema import ExerciseSpec

PAGE_PATH = "reference/exercise-format.md"

INTRO = """\
# The exercise.yaml format

Every exercise is a folder `exercises/NN-slug/` holding an `exercise.yaml`, a `README.md`
(its page on this site) and the starter files of the learner's workspace. This page lists
every field `exercise.yaml` accepts. It is generated from the lab's own schema each time the
site is built, so it always matches what `lab start` and `lab dev check` accept.

A field the schema does not know is an error, not a silent typo: the lab reports every
mistake as `exercise.yaml:LINE: field: problem`, and starts nothing from an invalid file.
"""

_SCALARS = {str: "text", int: "integer", float: "number", bool: "`true` or `false`"}

# What a field means, for fields whose model says nothing about them (no description, no
# comment beside it). Keyed "Model.field"; a test fails when a key names no field.
FIELD_NOTES = {
    "ExerciseSpec.format_version": "The version of this format; `1`.",
    "ExerciseSpec.id": "The folder's name: two digits and a lower-case slug, like "
                       "`01-first-fleet`.",
    "ExerciseSpec.title": "Shown by `lab list`, by `lab start` and as the page's title.",
    "ExerciseSpec.summary": "A sentence or two that `lab start` shows under the title.",
    "ExerciseSpec.servers": "The servers to start, in groups of servers alike.",
    "ExerciseSpec.provision": "Steps the lab takes before the learner arrives.",
    "ExerciseSpec.faults": "Faults the lab injects: at start, or when a trigger fires.",
    "ExerciseSpec.checks": "The goals `lab check` judges; the exercise is passed when every "
                           "goal holds.",
    "ExerciseSpec.solution": "The reference solution: `lab` command lines that `lab solve` "
                             "runs in order, and that `lab dev check` proves.",
    "ExerciseSpec.workspace": "The folder beside exercise.yaml whose files `lab start` copies "
                              "into the learner's workspace.",
    "ServerGroup.name": "The group's name; with a `count` above 1 the servers are "
                        "`name1` to `nameN`.",
    "ServerGroup.count": "How many servers the group has.",
    "ServerGroup.image": "`server` for the lab's own server image, or an image reference.",
    "CheckSpec.goal": "The sentence `lab check` shows with a ✓ or a ✗.",
    "CommandSpec.command": "A shell command run as root on each server.",
    "CommandSpec.exit_code": "The exit code expected.",
    "CommandSpec.stdout_contains": "Text the command's output must contain.",
    "FileSpec.path": "The file on each server.",
    "FileSpec.exists": "`false`: the file must not exist.",
    "FileSpec.contains": "Text the file must contain.",
    "FileSpec.mode": 'The file\'s mode, quoted, like `"0644"`.',
    "FileSpec.sha256": "The file's SHA-256, as `sha256sum` prints it.",
    "PackageSpec.name": "The Debian package's name.",
    "PackageSpec.version": "The exact version expected.",
    "PackageSpec.state": "The dpkg status expected, like `ii` (installed), or `absent`.",
    "HttpSpec.port": "The server's port, published on 127.0.0.1, that the lab asks.",
    "HttpSpec.path": "The page's path.",
    "HttpSpec.status": "The HTTP status expected.",
    "ServiceSpec.process": "A process name that must be running.",
    "ServiceSpec.listens": "A TCP port something must listen on.",
    "FleetSpec.command": "A shell command run on every server; every output must be the same.",
    "ImageSpec.labels": "Labels the image must carry, with these values.",
}


@dataclass
class _Section:
    """A model (or a union of models) waiting to be described, and where it is linked from."""

    anchor: str
    title: str
    target: type[BaseModel] | tuple[type[BaseModel], ...]
    level: int = 2


@dataclass
class _Walker:
    """Describes models breadth-first: each nested model gets one section, linked by anchor."""

    anchors: dict[object, str] = field(default_factory=dict)
    queue: deque[_Section] = field(default_factory=deque)

    def section_for(self, target: type[BaseModel] | tuple[type[BaseModel], ...],
                    name: str) -> str:
        """The anchor of `target`'s section, queueing the section the first time."""
        if target not in self.anchors:
            anchor = _unique(_slug(name), set(self.anchors.values()))
            self.anchors[target] = anchor
            self.queue.append(_Section(anchor, f"`{name}`", target))
        return self.anchors[target]

    def type_text(self, annotation: Any, name: str) -> str:
        """How a value of this type is written in YAML, with links to nested sections."""
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is typing.Annotated:
            # A NamedTuple's parser (like 'webapp 1.0' -> a package) is said by its own text.
            rules = _constraints(annotation.__metadata__, validators=not _is_named_tuple(args[0]))
            return self.type_text(args[0], name) + rules
        if origin in (typing.Union, types.UnionType):
            return self._union_text([arg for arg in args if arg is not type(None)], name)
        if origin is Literal:
            return " or ".join(f"`{json.dumps(value)}`" for value in args)
        if origin in (tuple, list, set, frozenset):
            return f"list of {self.type_text(args[0], name)}" if args else "list"
        if origin is dict:
            return f"mapping of {self.type_text(args[0], name)} to {self.type_text(args[1], name)}"
        return self._class_text(annotation, name)

    def _union_text(self, members: list[Any], name: str) -> str:
        if len(members) == 1:
            return self.type_text(members[0], name)
        if all(_is_model(member) for member in members):
            return f"[a mapping of one of the kinds](#{self.section_for(tuple(members), name)})"
        return " or ".join(self.type_text(member, name) for member in members)

    def _class_text(self, cls: Any, name: str) -> str:
        if _is_model(cls):
            return f"[mapping](#{self.section_for(cls, name)})"
        if _is_named_tuple(cls):
            return f'text `"{" ".join(part.upper() for part in cls._fields)}"`'  # a NamedTuple
        return _SCALARS.get(cls, getattr(cls, "__name__", str(cls)))

    def render(self, root: type[BaseModel]) -> str:
        parts = [self._model_table(root, ())]
        while self.queue:
            parts.append(self._render_section(self.queue.popleft()))
        return "\n\n".join(parts)

    def _render_section(self, section: _Section) -> str:
        heading = f"{'#' * section.level} {section.title} {{ #{section.anchor} }}"
        if isinstance(section.target, tuple):
            return f"{heading}\n\n{self._union_body(section)}"
        return f"{heading}\n\n{self._model_body(section.target, ())}"

    def _union_body(self, section: _Section) -> str:
        members = typing.cast(tuple[type[BaseModel], ...], section.target)
        base = _common_base(members)
        shared = tuple(base.model_fields) if base else ()
        kinds = ", ".join(f"`{_kind(member)}`" for member in members)
        parts = [f"Each entry has a `kind`, one of {kinds}; the other fields depend on it."]
        if base is not None and set(shared) - {"kind"}:
            parts += ["Fields every kind has:", self._model_table(base, ("kind",))]
        for member in members:
            anchor = _unique(f"{section.anchor}-{_slug(_kind(member))}",
                             set(self.anchors.values()))
            self.anchors[member] = anchor
            parts.append(f"### `kind: {_kind(member)}` {{ #{anchor} }}\n\n"
                         + self._model_body(member, (*shared, "kind")))
        return "\n\n".join(parts)

    def _model_body(self, model: type[BaseModel], skip: tuple[str, ...]) -> str:
        doc = _docstring(model)
        table = self._model_table(model, skip)
        return f"{doc}\n\n{table}" if doc else table

    def _model_table(self, model: type[BaseModel], skip: tuple[str, ...]) -> str:
        comments = field_comments(model)
        rows = ["| field | type | default | description |", "|---|---|---|---|"]
        for name, info in model.model_fields.items():
            if name in skip:
                continue
            kind = self.type_text(info.annotation, name) + _constraints(info.metadata)
            meaning = _meaning(model, name, info, comments)
            rows.append(f"| `{name}` | {kind} | {_default(info)} | {_cell(meaning)} |")
        if len(rows) == 2:
            return "No other fields."
        return "\n".join(rows)


def reference_markdown(root: type[BaseModel], example: Example | None = None) -> str:
    """The whole page: an introduction, every model's fields, and a complete example."""
    body = _Walker().render(root)
    parts = [INTRO, "## The top level { #top-level }", _docstring(root), body]
    if example:
        parts += ["## A complete example { #example }",
                  f"The exercise `{example.exercise_id}` as the lab ships it, "
                  f"`exercises/{example.exercise_id}/exercise.yaml`:",
                  f"```yaml\n{example.text.rstrip()}\n```"]
    return "\n\n".join(part for part in parts if part) + "\n"


@dataclass(frozen=True)
class Example:
    """A real exercise.yaml shown at the end of the reference."""

    exercise_id: str
    text: str


def exercise_reference(example: Example | None = None) -> str:
    """The page for the lab's own ExerciseSpec."""
    return reference_markdown(ExerciseSpec, example)


def field_comments(model: type) -> dict[str, str]:
    """Each field's comment in the model's source: the comment lines right above the field,
    then the comment at the end of its line. The schema's authors write their explanations
    there, so the reference quotes them instead of keeping a second copy."""
    try:
        source = textwrap.dedent(inspect.getsource(model))
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    above: list[str] = []
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for index, token in enumerate(tokens):
        if token.type == tokenize.COMMENT and token.line.strip().startswith("#"):
            above = [*above, token.string.lstrip("# ").rstrip()] if token.start[1] == 4 else []
        elif token.type == tokenize.NL and not token.line.strip():
            above = []  # a blank line ends a comment block that belonged to nothing below
        elif _starts_field(tokens, index):
            trailing = _trailing_comment(tokens, index)
            comments[token.string] = " ".join([*above, trailing]).strip()
            above = []
        elif token.type in (tokenize.NAME, tokenize.OP) and token.start[1] == 4:
            above = []
    return {name: text for name, text in comments.items() if text}


def _starts_field(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    token = tokens[index]
    if token.type != tokenize.NAME or token.start[1] != 4 or index + 1 >= len(tokens):
        return False
    following = tokens[index + 1]
    previous = tokens[index - 1].type if index else tokenize.NEWLINE
    return following.string == ":" and previous in (tokenize.NEWLINE, tokenize.NL,
                                                     tokenize.INDENT, tokenize.DEDENT,
                                                     tokenize.COMMENT)


def _trailing_comment(tokens: list[tokenize.TokenInfo], index: int) -> str:
    for token in tokens[index:]:
        if token.type == tokenize.NEWLINE:
            return ""
        if token.type == tokenize.COMMENT:
            return token.string.lstrip("# ").rstrip()
    return ""


def _constraints(metadata: typing.Iterable[Any], validators: bool = True) -> str:
    """", 1 to 20", ", at least 1 entry", ", absolute path": the rules a value must follow."""
    items = _flatten(metadata)
    bounds = {name: getattr(item, name) for item in items for name in _BOUNDS
              if getattr(item, name, None) is not None}
    notes = _bound_notes(bounds)
    if validators:
        notes += [_validator_words(item.func) for item in items
                  if callable(getattr(item, "func", None))]
    return "".join(f", {note}" for note in notes)


_BOUNDS = ("ge", "gt", "le", "lt", "min_length", "max_length")


def _flatten(metadata: typing.Iterable[Any]) -> list[Any]:
    """Annotated metadata, with a nested Field(...)'s own constraints taken out of it."""
    items: list[Any] = []
    for item in metadata:
        items += _flatten(item.metadata) if isinstance(item, FieldInfo) else [item]
    return items


def _bound_notes(bounds: dict[str, Any]) -> list[str]:
    low, high = bounds.get("ge"), bounds.get("le")
    notes = [f"{low} to {high}"] if low is not None and high is not None else [
        f"{words} {bounds[name]}" for name, words in
        (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than"))
        if name in bounds]
    for name, words in (("min_length", "at least"), ("max_length", "at most")):
        if name in bounds:
            count = bounds[name]
            notes.append(f"{words} {count} {'entry' if count == 1 else 'entries'}")
    return notes


def _validator_words(function: Any) -> str:
    """A validator's name in words: `_absolute_path` -> "absolute path"."""
    return str(function.__name__).strip("_").replace("_", " ")


def _meaning(model: type, name: str, info: FieldInfo, comments: dict[str, str]) -> str:
    """The field's description, else its comment in the source, else a note of ours."""
    owner = next((cls for cls in model.__mro__ if name in inspect.get_annotations(cls)), model)
    return (info.description or comments.get(name)
            or field_comments(owner).get(name) or FIELD_NOTES.get(f"{owner.__name__}.{name}", ""))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        return "empty"
    value = info.default
    if value is None:
        return "not set"
    if value == ():
        return "empty"
    return f"`{json.dumps(list(value) if isinstance(value, tuple) else value)}`"


def _docstring(model: type) -> str:
    doc = model.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(doc).split()) if doc else ""


def _kind(model: type[BaseModel]) -> str:
    values = get_args(model.model_fields["kind"].annotation)
    return str(values[0]) if values else model.__name__


def _common_base(members: tuple[type[BaseModel], ...]) -> type[BaseModel] | None:
    """The nearest class all members derive from that declares fields of its own."""
    for candidate in members[0].__mro__[1:]:
        if (_is_model(candidate) and candidate.model_fields
                and all(issubclass(member, candidate) for member in members)):
            return candidate
    return None


def _is_named_tuple(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields")


def _is_model(value: Any) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(anchor: str, taken: set[str]) -> str:
    candidate, number = anchor, 2
    while candidate in taken:
        candidate, number = f"{anchor}-{number}", number + 1
    return candidate
