"""The steps of a reference solution: `lab` command lines, and the two things a learner does
outside `lab`: writing a file in the workspace, and running a script from it."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, Tag

from lab.checks.specs import FrozenModel

# The tag of each kind of step; a mapping's tag is the field that names its file (or, for
# a `lab` command expected to fail, the field holding the command).
LAB, WRITE, PYTHON, LAB_FAILING = "lab", "write", "python", "lab-failing"


def lab_command(step: str) -> str:
    try:
        words = shlex.split(step)
    except ValueError as exc:  # an unclosed quote
        raise ValueError(f"cannot be split into words: {exc}") from None
    if not words or words[0] != "lab":
        raise ValueError("must be a `lab` command line, like 'lab run --all -- uptime'")
    return step


def _workspace_file(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value.strip() or value.endswith("/"):
        raise ValueError("must be a file name inside the learner's workspace, like 'report.yaml'")
    return value


WorkspaceFile = Annotated[str, AfterValidator(_workspace_file)]


class WriteFile(FrozenModel):
    """Write a file in the learner's workspace, as the learner would with an editor."""

    write: WorkspaceFile  # the file, relative to the workspace, like `report.yaml`
    content: str  # its whole text

    @property
    def shown(self) -> str:
        """The step as a shell command: a here-document the learner could paste."""
        return f"cat > {shlex.quote(self.write)} <<'EOF'\n{self.content.rstrip()}\nEOF"


class RunPython(FrozenModel):
    """Run a Python script from the learner's workspace, in the workspace, with the lab's own
    Python (which has Fabric): a script the exercise provides, run as the learner runs it."""

    python: WorkspaceFile  # the script, relative to the workspace, like `fabfile.py`
    args: tuple[str, ...] = ()  # its command-line arguments
    # The exit code expected: a rollout script that stops at a failing server exits 1, and
    # the solution goes on from there.
    exit_code: int = 0

    @property
    def shown(self) -> str:
        return shlex.join(["python", self.python, *self.args])


class RunLab(FrozenModel):
    """A `lab` command whose failure is part of the lesson, like a deployment that stops at
    an unhealthy server: `{lab: "lab deploy v3", exit_code: 1}`."""

    lab: Annotated[str, AfterValidator(lab_command)]
    exit_code: int

    @property
    def shown(self) -> str:
        return self.lab


# The steps written as a mapping, by the field that tells them apart.
MAPPING_STEPS: dict[str, type[FrozenModel]] = {WRITE: WriteFile, PYTHON: RunPython,
                                               LAB_FAILING: RunLab}
MAPPING_FIELDS = {WRITE: WRITE, PYTHON: PYTHON, LAB_FAILING: "lab"}


def _step_tag(value: Any) -> str | None:
    """Which kind of step a value is: a string, or a mapping with `write`, `python` or `lab`."""
    if isinstance(value, str):
        return LAB
    if isinstance(value, dict):
        return next((tag for tag, name in MAPPING_FIELDS.items() if name in value), None)
    return next((tag for tag, model in MAPPING_STEPS.items() if isinstance(value, model)), None)


SolutionStep = Annotated[
    Annotated[Annotated[str, AfterValidator(lab_command)], Tag(LAB)]
    | Annotated[WriteFile, Tag(WRITE)]
    | Annotated[RunPython, Tag(PYTHON)]
    | Annotated[RunLab, Tag(LAB_FAILING)],
    Discriminator(
        _step_tag,
        custom_error_type="solution_step",
        custom_error_message="must be a `lab` command line, or a mapping with `write` "
                             "(a file to write in the workspace), `python` (a workspace "
                             "script to run) or `lab` (a command line with its exit_code)",
    ),
]


def shown(step: str | WriteFile | RunPython | RunLab) -> str:
    """How a step is shown to people: the command line they would type."""
    return step if isinstance(step, str) else step.shown
