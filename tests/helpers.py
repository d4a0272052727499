"""Running the real `lab` command from tests, as a learner would."""

from __future__ import annotations

import os
import subprocess
import sys


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
