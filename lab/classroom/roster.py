"""The students of a class and the engine each works on: roster files (names one a line, or
YAML), and the class saved as class.yaml in the lab's data folder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from lab.classroom.engines import LOCAL, check_engine, engine_environment
from lab.errors import StateError, UsageError
from lab.files import write_atomically
from lab.settings import Settings, check_student

CLASS_FILE = "class.yaml"


@dataclass(frozen=True)
class Student:
    name: str
    engine: str | None = None  # as the roster writes it; None: the roster's default
    line: int = field(default=0, compare=False)  # where the roster names the student


@dataclass(frozen=True)
class Roster:
    """The students of a class, each on an engine: a DOCKER_HOST URL or `context:NAME`."""

    students: tuple[Student, ...]
    engine: str | None = None  # the default for students without one of their own

    def engine_of(self, student: Student) -> str:
        return student.engine or self.engine or LOCAL

    def names(self) -> list[str]:
        return [student.name for student in self.students]

    def only(self, names: Sequence[str]) -> Roster:
        """The students named (all when none are); UsageError for a name not in the class."""
        if not names:
            return self
        unknown = [name for name in names if name not in self.names()]
        if unknown:
            raise UsageError(f"{unknown[0]!r} is not in the class",
                             "`lab class status` lists the class; `lab class init` changes it.")
        return replace(self, students=tuple(s for s in self.students if s.name in names))

    def by_engine(self) -> dict[str, list[Student]]:
        """The students of each engine, engines in the order the roster first names them."""
        groups: dict[str, list[Student]] = {}
        for student in self.students:
            groups.setdefault(self.engine_of(student), []).append(student)
        return groups

    def to_yaml(self) -> str:
        document: dict[str, Any] = {"engine": self.engine} if self.engine else {}
        document["students"] = [{"name": s.name, **({"engine": s.engine} if s.engine else {})}
                                for s in self.students]
        header = "# The class, saved by `lab class init`; run it again to change the class.\n"
        return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def load_roster(path: Path) -> Roster:
    """A roster file: names one a line (`#` comments), or YAML (`students:` and `engine:`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"the roster {path} does not exist",
                         "Give a file of student names, one a line.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the roster {path}: {getattr(exc, 'strerror', exc)}",
                         "Give a text file of student names, one a line.") from None
    if path.suffix in (".yaml", ".yml") or any(":" in _uncommented(line)
                                               for line in text.splitlines()):
        return parse_yaml(text, str(path))
    return parse_plain(text, str(path))


def _uncommented(line: str) -> str:
    return line.split("#", 1)[0].strip()


def parse_plain(text: str, where: str) -> Roster:
    students = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = _uncommented(raw)
        if not line:
            continue
        if len(line.split()) > 1:
            raise _bad(where, number, f"{line!r} is more than one name",
                       "Put one student name on each line; a YAML roster gives students engines.")
        students.append(_student(line, None, where, number))
    return _roster(students, None, where)


def parse_yaml(text: str, where: str) -> Roster:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise _bad(where, mark.line + 1 if mark else 1, f"not valid YAML: {problem}",
                   "Fix the YAML, or give a plain file of names, one a line.") from None
    if not isinstance(root, yaml.MappingNode):
        raise _bad(where, _line(root), "a YAML roster is a mapping with a `students:` list",
                   "Write `students:` and under it `- name: alice`, optionally `engine: URL`.")
    engine, students_node = None, None
    for key, value in root.value:
        if key.value == "engine":
            engine = _engine(_scalar(value, where, "engine"), where, _line(value))
        elif key.value == "students":
            students_node = value
        else:
            raise _bad(where, _line(key), f"unknown key {key.value!r}",
                       "A roster has `students:` and, optionally, a default `engine:`.")
    if not isinstance(students_node, yaml.SequenceNode):
        raise _bad(where, _line(students_node or root), "`students:` must be a list",
                   "Write `students:` and under it one `- name: NAME` per student.")
    return _roster([_yaml_student(item, where) for item in students_node.value], engine, where)


def _yaml_student(node: yaml.Node, where: str) -> Student:
    if isinstance(node, yaml.ScalarNode):
        return _student(str(node.value), None, where, _line(node))
    if not isinstance(node, yaml.MappingNode):
        raise _bad(where, _line(node), "a student is a name or `{name: NAME, engine: URL}`",
                   "Write `- name: alice` and, optionally, `engine: ssh://user@host`.")
    fields: dict[str, str] = {}
    for key, value in node.value:
        if key.value not in ("name", "engine"):
            raise _bad(where, _line(key), f"unknown key {key.value!r} of a student",
                       "A student has a `name:` and, optionally, an `engine:`.")
        fields[key.value] = _scalar(value, where, key.value)
    if "name" not in fields:
        raise _bad(where, _line(node), "a student without a name",
                   "Give every student a `name:`.")
    return _student(fields["name"], fields.get("engine"), where, _line(node))


def _scalar(node: yaml.Node, where: str, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _bad(where, _line(node), f"`{key}:` must be a single value",
                   f"Write `{key}: VALUE` on one line.")
    return str(node.value).strip()


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _student(name: str, engine: str | None, where: str, line: int) -> Student:
    try:
        check_student(name)
    except UsageError as exc:
        raise _bad(where, line, exc.message, exc.remedy) from None
    return Student(name, _engine(engine, where, line) if engine else None, line)


def _engine(engine: str, where: str, line: int) -> str | None:
    try:
        return check_engine(engine)
    except UsageError as exc:
        raise _bad(where, line, exc.message, exc.remedy) from None


def _roster(students: list[Student], engine: str | None, where: str) -> Roster:
    first: dict[str, int] = {}
    for student in students:
        if student.name in first:
            raise _bad(where, student.line,
                       f"{student.name} is listed twice (first on line {first[student.name]})",
                       "List each student once.")
        first[student.name] = student.line
    if not students:
        raise UsageError(f"{where}: the roster names no student",
                         "Put one student name on each line.")
    return Roster(tuple(students), engine)


def _bad(where: str, line: int, message: str, remedy: str) -> UsageError:
    return UsageError(f"{where}:{line}: {message}", remedy)


def class_file(settings: Settings) -> Path:
    return settings.home / CLASS_FILE


def save_roster(settings: Settings, roster: Roster) -> Path:
    for engine in roster.by_engine():
        engine_environment(engine)  # an unknown Docker context fails now, not in class
    path = class_file(settings)
    write_atomically(path, roster.to_yaml())
    return path


def saved_roster(settings: Settings) -> Roster:
    path = class_file(settings)
    if not path.is_file():
        raise StateError("no class is set up on this machine",
                         "Run `lab class init ROSTER` with a file of student names first.")
    return load_roster(path)
