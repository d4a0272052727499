"""This run of `lab`: the Settings every command works with, made from the process
environment (lab.environment) and the student `lab --student NAME` chose."""

from __future__ import annotations

from lab.environment import current_settings
from lab.settings import Settings

_student: str | None = None  # --student (or LAB_STUDENT), once the command line is read


def choose_student(student: str | None) -> None:
    """Called once the root options are read, before any command runs."""
    global _student
    _student = student or None


def settings() -> Settings:
    """The settings of this command: LAB_HOME and the other LAB_* variables, for the student
    --student named (default LAB_STUDENT, else `learner`)."""
    return current_settings(student=_student)
