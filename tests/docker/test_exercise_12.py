"""Exercise 12 on a real engine: a fresh start fails its check (an empty table, no
deployments); after the reference solution (three builds, `lab compare`, fill_table.py) it
passes, and a row that disagrees with the history fails again, saying which cell."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]


def lab(*args: str, env: dict[str, str], exit_code: int = 0,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = run_lab(*args, env=env, timeout=timeout)
    assert result.returncode == exit_code, (args, result.stdout, result.stderr)
    return result


def workspace_of(started: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^Workspace: (.+)$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    return Path(match.group(1).strip())


def test_12_the_table_is_judged_by_the_learners_own_deployments(student: str) -> None:
    env = {"LAB_STUDENT": student}
    workspace = workspace_of(lab("start", "12", env=env))
    unsolved = lab("check", env=env, exit_code=1).stdout
    assert "all-at-once: not filled in yet" in unsolved

    lab("solve", env=env, timeout=1800)
    table = workspace / "strategies.yaml"
    assert "zero_downtime: no" in table.read_text()  # all at once lost requests
    assert "2/2 goals hold" in lab("check", env=env).stdout

    wrong = table.read_text().replace("zero_downtime: no", "zero_downtime: yes", 1)
    table.write_text(wrong)
    failed = lab("check", env=env, exit_code=1).stdout
    assert "all-at-once: zero_downtime is yes, but deployments" in failed
