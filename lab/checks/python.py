"""The `python` check: a custom function in a module beside exercise.yaml judges the servers."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lab.checks.base import AllServersCheck, CheckResult
from lab.checks.executor import Executor
from lab.checks.specs import PythonSpec
from lab.errors import UsageError


def module_file(exercise_folder: Path, module: str) -> Path:
    """'checks' -> FOLDER/checks.py; 'checks.motd' -> FOLDER/checks/motd.py."""
    return exercise_folder.joinpath(*module.split(".")).with_suffix(".py")


def load_function(exercise_folder: Path, reference: str) -> Callable[..., Any]:
    """Import 'module:function' from the exercise's folder, without touching sys.path."""
    module_name, function_name = reference.split(":")
    path = module_file(exercise_folder, module_name)
    if not path.is_file():
        raise UsageError(f"custom check {reference}: there is no {path}")
    module = _import_file(path, f"lab_exercise_checks.{exercise_folder.name}.{module_name}")
    function = getattr(module, function_name, None)
    if not callable(function):
        raise UsageError(f"custom check {reference}: {path.name} has no function {function_name}")
    return function


def _import_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    spec.loader.exec_module(module)
    return module


def wants_context(function: Callable[..., Any]) -> bool:
    """Whether the function takes a third argument, the CheckContext, after the servers."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: the old convention
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def _is_verdict(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2


class PythonCheck(AllServersCheck[PythonSpec]):
    """Call `function(executor, servers)`, or `function(executor, servers, context)` when it
    takes a third argument (the CheckContext: workspace, settings, ...).

    It returns (ok, reason) about the whole fleet, or a list of them, one per thing judged
    (each server, say): each becomes a line of `lab check`, and the goal holds when all do.
    """

    def check_all(self, executor: Executor, servers: Sequence[str]) -> list[CheckResult]:
        function = load_function(self.context.exercise_folder, self.spec.function)
        arguments: list[Any] = [executor, list(servers)]
        if wants_context(function):
            arguments.append(self.context)
        verdict = function(*arguments)
        verdicts = verdict if isinstance(verdict, list) else [verdict]
        if not verdicts or not all(_is_verdict(item) for item in verdicts):
            raise TypeError(f"{self.spec.function} returned {verdict!r}, "
                            "expected (ok, reason) or a list of them")
        return [CheckResult(self.goal, bool(ok), str(reason)) for ok, reason in verdicts]
