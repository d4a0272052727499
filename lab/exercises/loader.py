"""Reads exercise.yaml keeping each field's line number, and validates it into an Exercise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lab.checks.specs import PythonSpec
from lab.exercises.problems import (
    ExerciseError,
    field_path,
    prerequisite_problems,
    problems_from,
)
from lab.exercises.schema import Exercise, ExerciseSpec, Loc, Problem
from lab.repo.sources import source_problems

EXERCISE_FILE = "exercise.yaml"


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML, the line (1-based) of every mapping key and list item, and duplicate keys."""

    path: Path
    data: Any
    lines: Mapping[Loc, int] = field(default_factory=dict)
    duplicate_keys: tuple[Problem, ...] = ()

    def line_of(self, loc: Loc) -> int:
        """The line of `loc`, or of its nearest parent that has one (a missing field has none)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1

    def report(self, problems: list[Problem]) -> list[str]:
        """`file:LINE: field.path: message` lines, sorted by line."""
        located = sorted(
            ((self.line_of(loc), loc, message) for loc, message in problems), key=lambda x: x[0]
        )
        return [_report_line(self.path, line, loc, message) for line, loc, message in located]


def load_exercise(folder: Path, course: Sequence[str] | None = None) -> Exercise:
    """The exercise in `folder`; raises ExerciseError listing every mistake with its line.

    `course` is every exercise id of its catalogue, in order: given, each prerequisite must
    be one of them and come before this exercise.
    """
    document = read_yaml(folder / EXERCISE_FILE)
    spec, invalid = _validate(document)
    problems = [*document.duplicate_keys, *_id_problems(document.data, folder), *invalid]
    if spec is not None:
        problems += spec.consistency_problems() + _folder_problems(spec, folder)
        problems += prerequisite_problems(spec, course) if course is not None else []
    if problems or spec is None:
        raise ExerciseError(document.report(problems))
    return Exercise(folder, spec)


def read_yaml(path: Path) -> YamlDocument:
    """Parse one YAML document; a syntax error becomes an ExerciseError at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExerciseError([f"{_shown(path)}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExerciseError([f"{_shown(path)}:1: cannot read it: {exc}"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ExerciseError([_syntax_error(path, exc)]) from None
    finally:
        loader.dispose()
    recorder = _LineRecorder()
    if node is not None:
        recorder.visit(node, ())
    return YamlDocument(path, data, recorder.lines, tuple(recorder.duplicates))


def _validate(document: YamlDocument) -> tuple[ExerciseSpec | None, list[Problem]]:
    """The model, or None and what is wrong."""
    if not isinstance(document.data, dict):
        found = "nothing" if document.data is None else type(document.data).__name__
        return None, [
            ((), f"expected a mapping of fields (format_version, id, ...), found {found}")
        ]
    try:
        return ExerciseSpec.model_validate(document.data), []
    except ValidationError as exc:
        return None, problems_from(exc, document.data)


def _id_problems(data: Any, folder: Path) -> list[Problem]:
    """The id names the folder; checked on the raw data so it shows with any other mistake."""
    exercise_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(exercise_id, str) and exercise_id != folder.name:
        return [(("id",), f"{exercise_id!r} must equal the folder name {folder.name!r}")]
    return []


def _folder_problems(spec: ExerciseSpec, folder: Path) -> list[Problem]:
    """Mistakes only the file system shows: a missing workspace folder or check module."""
    problems: list[Problem] = []
    if "workspace" in spec.model_fields_set and not (folder / spec.workspace).is_dir():
        problems.append(
            (("workspace",), f"there is no folder {spec.workspace!r} beside exercise.yaml")
        )
    for index, check in enumerate(spec.checks):
        if isinstance(check, PythonSpec):
            module = check.module_file(folder)
            if not module.is_file():
                where = module.relative_to(folder).as_posix()
                problems.append(
                    (("checks", index, "function"), f"there is no {where} beside exercise.yaml")
                )
    return problems + source_problems(spec, folder)


class _LineRecorder:
    """Walks a composed YAML node tree, noting where each key and item starts."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}
        self.duplicates: list[Problem] = []
        self._open: set[int] = set()  # nodes being visited: YAML aliases can make cycles

    def visit(self, node: yaml.Node, loc: Loc) -> None:
        if id(node) in self._open:
            return
        self._open.add(id(node))
        if isinstance(node, yaml.MappingNode):
            self._visit_mapping(node, loc)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                item_loc = (*loc, index)
                self.lines[item_loc] = item.start_mark.line + 1
                self.visit(item, item_loc)
        self._open.discard(id(node))

    def _visit_mapping(self, node: yaml.MappingNode, loc: Loc) -> None:
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key_loc = (*loc, key_node.value)
            if key_loc in self.lines:
                # PyYAML silently keeps the last value; the YAML spec calls this an error.
                first = self.lines[key_loc]
                self.duplicates.append((key_loc, f"duplicate key, already set at line {first}"))
            self.lines[key_loc] = key_node.start_mark.line + 1
            self.visit(value_node, key_loc)


def _syntax_error(path: Path, exc: yaml.YAMLError) -> str:
    problem_mark = getattr(exc, "problem_mark", None)
    line = problem_mark.line + 1 if problem_mark is not None else 1
    detail = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        detail += f" ({context} started at line {context_mark.line + 1})"
    return f"{_shown(path)}:{line}: YAML syntax error: {detail}"


def _report_line(path: Path, line: int, loc: Loc, message: str) -> str:
    where = f"{field_path(loc)}: " if loc else ""
    return f"{_shown(path)}:{line}: {where}{message}"


def _shown(path: Path) -> str:
    """The path as the author would type it: relative to the current folder when inside it."""
    absolute = path.absolute()
    cwd = Path.cwd()
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(path)
