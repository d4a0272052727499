"""Class commands run each student's `lab` in a process forked warm (lab.warm): what a
student's command says, and its exit code, are what `python -m lab` would give."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from lab import warm
from lab.classroom.children import Job, Processes, child_environment, run_cold
from lab.classroom.engines import LOCAL
from lab.cli.classroom import run_lab_in_child
from lab.settings import Settings

pytestmark = pytest.mark.skipif(not warm.available(), reason="no fork server on this platform")

WARM = Processes(run_lab_in_child)


def job(home: Path, student: str, *args: str) -> Job:
    settings = Settings(home=home, student=student or "learner")
    return Job(student, LOCAL, args, child_environment(settings, {}))


def test_a_warm_command_says_and_exits_as_a_cold_one(tmp_path: Path) -> None:
    for args in (("start", "no-such-exercise", "--json"), ("--version",), ("list",),
                 ("stop", "--json")):
        command = job(tmp_path, "alice", *args)
        warm_run, cold_run = WARM(command), run_cold(command.args, command.environment)
        assert (warm_run.exit_code, warm_run.stdout, warm_run.stderr) == (
            cold_run.exit_code, cold_run.stdout, cold_run.stderr), args
    failed = WARM(job(tmp_path, "alice", "start", "no-such-exercise", "--json"))
    assert failed.exit_code == 3
    assert failed.stderr.startswith("error: unknown exercise 'no-such-exercise'")
    assert json.loads(failed.stdout)["error"].startswith("unknown exercise 'no-such-exercise'")
    assert "Traceback" not in failed.stderr


def test_each_command_gets_the_environment_it_is_given(tmp_path: Path) -> None:
    """The warm process started with the first command's environment; a later command with
    another lab home sees its own home, not the first one's."""
    first, second = tmp_path / "first", tmp_path / "second"
    roster = tmp_path / "roster.txt"
    roster.write_text("zoe\n")
    nothing = WARM(job(first, "", "class", "status"))
    assert nothing.exit_code == 5 and "no class is set up" in nothing.stderr
    assert WARM(job(second, "", "class", "init", str(roster))).exit_code == 0
    shown = WARM(job(second, "", "class", "status"))
    assert shown.exit_code == 0, shown.stderr
    assert "zoe" in shown.stdout
    assert (second / "class.yaml").is_file() and not (first / "class.yaml").exists()


def test_a_class_run_from_a_terminal_gets_plain_lines(tmp_path: Path) -> None:
    """The warm process starts with the instructor's terminal as its output and input; a
    student's command still writes plain, uncoloured lines, and reads nothing from it."""
    roster = tmp_path / "roster.txt"
    roster.write_text("zoe\n")
    said = tmp_path / "said.json"
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from lab.classroom.children import Job, Processes, child_environment\n"
        "from lab.cli.classroom import run_lab_in_child\n"
        "from lab.settings import Settings\n"
        "settings = Settings(home=Path(sys.argv[3]), student='learner')\n"
        "job = Job('', 'local', ('class', 'init', sys.argv[1]), child_environment(settings, {}))\n"
        "done = Processes(run_lab_in_child)(job)\n"
        "json.dump([done.exit_code, done.stdout, done.stderr], open(sys.argv[2], 'w'))\n"
    )
    leader, follower = pty.openpty()
    try:
        finished = subprocess.run(
            [sys.executable, "-c", script, str(roster), str(said), str(tmp_path / "home")],
            stdin=follower, stdout=follower, stderr=follower, timeout=120,
            env={**os.environ, "TERM": "xterm-256color"})
    finally:
        os.close(follower)
        os.close(leader)
    assert finished.returncode == 0
    exit_code, stdout, stderr = json.loads(said.read_text())
    assert exit_code == 0, stderr
    assert "\x1b[" not in stdout + stderr
    assert stdout.splitlines()[-1].startswith("✓ class of 1")
