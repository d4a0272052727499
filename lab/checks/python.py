"""The `python` check: a function beside exercise.yaml, given a CheckContext, judges the fleet."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lab.checks.base import AllServersCheck, CheckResult
from lab.checks.context import narrowed
from lab.checks.executor import Executor
from lab.checks.specs import PythonSpec, module_file
from lab.errors import UsageError


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


def _is_verdict(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2


class PythonCheck(AllServersCheck[PythonSpec]):
    """Call `function(ctx)`, ctx being the lab.authoring.CheckContext of the check's servers.

    It returns (ok, reason) about the whole fleet, or a list of them, one per thing judged
    (each server, say): each becomes a line of `lab check`, and the goal holds when all do.
    """

    def check_all(self, executor: Executor, servers: Sequence[str]) -> list[CheckResult]:
        function = load_function(self.context.folder, self.spec.function)
        verdict = function(narrowed(self.context, servers))
        verdicts = verdict if isinstance(verdict, list) else [verdict]
        if not verdicts or not all(_is_verdict(item) for item in verdicts):
            raise TypeError(f"{self.spec.function} returned {verdict!r}, "
                            "expected (ok, reason) or a list of them")
        return [self.verdict(bool(ok), str(reason)) for ok, reason in verdicts]
