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

from lab import classroom, warm

pytestmark = pytest.mark.skipif(not warm.available(), reason="no fork server on this platform")


def job(student: str, *args: str, **environment: str | None) -> classroom.Job:
    return classroom.Job(student, classroom.LOCAL, args, environment)


def test_a_warm_command_says_and_exits_as_a_cold_one(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    for args in (("start", "no-such-exercise"), ("--version",), ("list",)):
        warm_run = classroom.run_in_process(job("alice", *args))
        cold_run = classroom.run_cold(["--student", "alice", *args],
                                      classroom._environment_of(job("alice", *args)))
        assert (warm_run.exit_code, warm_run.stdout, warm_run.stderr) == (
            cold_run.exit_code, cold_run.stdout, cold_run.stderr), args
    failed = classroom.run_in_process(job("alice", "start", "no-such-exercise"))
    assert failed.exit_code == 3
    assert failed.stderr.startswith("error: unknown exercise 'no-such-exercise'")
    assert "Traceback" not in failed.stderr


def test_each_command_gets_the_environment_of_its_moment(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm process started with the first command's environment; a later command with
    another lab home sees its own home, not the first one's."""
    first, second = tmp_path / "first", tmp_path / "second"
    roster = tmp_path / "roster.txt"
    roster.write_text("zoe\n")
    monkeypatch.setenv("LAB_HOME", str(first))
    nothing = classroom.run_in_process(job("", "class", "status"))
    assert nothing.exit_code == 5 and "no class is set up" in nothing.stderr
    monkeypatch.setenv("LAB_HOME", str(second))
    assert classroom.run_in_process(job("", "class", "init", str(roster))).exit_code == 0
    shown = classroom.run_in_process(job("", "class", "status"))
    assert shown.exit_code == 0, shown.stderr
    assert "zoe" in shown.stdout
    assert (second / "class.yaml").is_file() and not (first / "class.yaml").exists()


def test_the_class_student_never_leaks_into_a_student_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_STUDENT", "mallory")
    environment = classroom._environment_of(job("bob", "status", DOCKER_HOST=None))
    assert "LAB_STUDENT" not in environment and "DOCKER_HOST" not in environment
    assert environment["COLUMNS"] == "1000"


def test_a_class_run_from_a_terminal_gets_plain_lines(tmp_path: Path) -> None:
    """The warm process starts with the instructor's terminal as its output and input; a
    student's command still writes plain, uncoloured lines, and reads nothing from it."""
    roster = tmp_path / "roster.txt"
    roster.write_text("zoe\n")
    said = tmp_path / "said.json"
    script = (
        "import json, sys\n"
        "from lab import classroom\n"
        "job = classroom.Job('', classroom.LOCAL, ('class', 'init', sys.argv[1]), {})\n"
        "done = classroom.run_in_process(job)\n"
        "json.dump([done.exit_code, done.stdout, done.stderr], open(sys.argv[2], 'w'))\n"
    )
    leader, follower = pty.openpty()
    try:
        finished = subprocess.run(
            [sys.executable, "-c", script, str(roster), str(said)], stdin=follower,
            stdout=follower, stderr=follower, timeout=120,
            env={**os.environ, "LAB_HOME": str(tmp_path / "home"), "TERM": "xterm-256color"})
    finally:
        os.close(follower)
        os.close(leader)
    assert finished.returncode == 0
    exit_code, stdout, stderr = json.loads(said.read_text())
    assert exit_code == 0, stderr
    assert "\x1b[" not in stdout + stderr
    assert stdout.splitlines()[-1].startswith("✓ class of 1")
