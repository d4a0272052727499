"""A learner's report in the workspace: a YAML file mapping server names to what the learner
found on each, read with errors a learner can act on. Custom checks compare it with the truth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


class ReportError(Exception):
    """The report cannot be judged: missing, not YAML, or not shaped as the tutorial says.
    Its message is one sentence for the learner."""


def read_report(path: Path, servers: Sequence[str]) -> dict[str, Any]:
    """The report's entries by server name; a server the report leaves out is absent.

    Raises ReportError when the file is missing, is not YAML, is not a mapping, or names a
    server the exercise does not have.
    """
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ReportError(f"{path.name} must map each server to what you found, "
                          f"one server a line, like '{servers[0]}: ...'")
    unknown = [str(name) for name in data if name not in servers]
    if unknown:
        raise ReportError(f"{path.name} names {', '.join(unknown)}, which this exercise "
                          f"does not have; its servers are {', '.join(servers)}")
    return {str(name): value for name, value in data.items()}


def read_yaml(path: Path) -> Any:
    """A YAML file of the learner's workspace, as data; ReportError, with a sentence for
    the learner, when it is missing, unreadable or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"there is no {path.name} in your workspace ({path.parent}); "
                          "write it as the tutorial shows") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read {path}: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReportError(f"{path.name} is not valid YAML: {_where(exc)}") from None


def _where(error: yaml.YAMLError) -> str:
    """'line 3: mapping values are not allowed here', from PyYAML's longer message."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


def as_list(value: Any) -> list[str] | None:
    """A server's entry as a list of lines: a list of strings, one string, or nothing
    (None, an empty list); None when it is something else, like a mapping."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None
