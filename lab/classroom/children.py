"""One `lab` command of a class as a process of its own, with the student's settings and on
the student's engine: forked from a warm process (lab.warm) where the platform can, else
started cold as `python -m lab`.

A process per student, rather than threads in this one: the engine client is made once per
process from DOCKER_HOST (lab.docker.engine), so a process talks to exactly one engine, and a
student's command runs exactly as the student's own `lab --student NAME ...` would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from lab import warm
from lab.classroom.engines import Environment
from lab.environment import child_environment as lab_environment
from lab.settings import Settings

PROGRAM = "lab"
# LAB_* variables `variables()` writes only when set: removed first, or the instructor's
# would reach every student.
@dataclass(frozen=True)
class Job:
    """One `lab` command: for a student, or for an engine (`lab images ...`)."""

    student: str  # "" for a command about the engine itself
    engine: str
    args: tuple[str, ...]
    environment: Mapping[str, str]  # the process's, whole (see child_environment)


@dataclass(frozen=True)
class Completed:
    exit_code: int
    stdout: str = ""
    stderr: str = ""


Runner = Callable[[Job], Completed]


def student_settings(settings: Settings, student: str) -> Settings:
    """The class's settings for one student: their own workspace, never the one LAB_WORKSPACE
    gives the instructor."""
    return replace(settings.for_student(student), workspace_override=None)


def child_environment(settings: Settings, engine: Environment) -> dict[str, str]:
    """This process's environment with the LAB_* variables of `settings` and the engine's
    DOCKER_* ones in their place, and room for one line per message (never wrapped)."""
    environment = lab_environment(settings)
    environment["COLUMNS"] = "1000"
    for name, value in engine.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


@dataclass(frozen=True)
class Processes:
    """Runs each job as a process of its own: `entry` (the lab's command line, which the CLI
    hands over) in a child forked warm where the platform can, else `python -m lab` started
    cold. Never raises: a process that cannot start is a failed job."""

    entry: warm.Entry

    def __call__(self, job: Job) -> Completed:
        if not warm.available():
            return run_cold(job.args, job.environment)
        try:
            return Completed(*warm.run(self.entry, [PROGRAM, *job.args], job.environment))
        except (OSError, EOFError) as exc:  # EOFError: the warm process went away
            return not_started(getattr(exc, "strerror", None) or str(exc)
                               or "the warm process ended")


def run_cold(args: Sequence[str], environment: Mapping[str, str]) -> Completed:
    """`python -m lab ARGS`, started from nothing; never raises."""
    try:
        done = subprocess.run([sys.executable, "-m", PROGRAM, *args],
                              capture_output=True, text=True, env=dict(environment),
                              stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        return not_started(exc.strerror or str(exc))
    return Completed(done.returncode, done.stdout, done.stderr)


def not_started(reason: str) -> Completed:
    """A process that never ran, answering as a failed `lab ... --json` would."""
    line = f"cannot run the lab: {reason}"
    return Completed(127, json.dumps({"error": line, "exit_code": 127}) + "\n",
                     f"error: {line}\n")
