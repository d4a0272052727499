"""Running the real `lab` command from tests, as a learner would."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType


def run_lab(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`lab ARGS...` in a subprocess with the test's environment plus `env`."""
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=timeout,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """The lab's error contract: the exit code, one line on stderr, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


EXERCISES = Path(__file__).resolve().parents[1] / "exercises"


def load_exercise_checks(exercise_id: str) -> ModuleType:
    """An exercise's checks.py (its custom python checks), as a module of its own."""
    spec = importlib.util.spec_from_file_location(
        f"checks_of_{exercise_id[:2]}", EXERCISES / exercise_id / "checks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module
