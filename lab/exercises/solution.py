"""The steps of a reference solution: `lab` command lines, and the two things a learner does
outside `lab`: writing a file in the workspace, and running a script from it."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, Tag

from lab.checks.specs import FrozenModel

# The tag of each kind of step; a mapping's tag is the field that names its file.
LAB, WRITE, PYTHON = "lab", "write", "python"


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


# The steps written as a mapping, by the field that tells them apart.
MAPPING_STEPS: dict[str, type[FrozenModel]] = {WRITE: WriteFile, PYTHON: RunPython}


def _step_tag(value: Any) -> str | None:
    """Which kind of step a value is: a string, or a mapping with `write` or `python`."""
    if isinstance(value, str):
        return LAB
    if isinstance(value, dict):
        return next((tag for tag in MAPPING_STEPS if tag in value), None)
    return next((tag for tag, model in MAPPING_STEPS.items() if isinstance(value, model)), None)


SolutionStep = Annotated[
    Annotated[Annotated[str, AfterValidator(lab_command)], Tag(LAB)]
    | Annotated[WriteFile, Tag(WRITE)]
    | Annotated[RunPython, Tag(PYTHON)],
    Discriminator(
        _step_tag,
        custom_error_type="solution_step",
        custom_error_message="must be a `lab` command line, or a mapping with `write` "
                             "(a file to write in the workspace) or `python` (a workspace "
                             "script to run)",
    ),
]


def shown(step: str | WriteFile | RunPython) -> str:
    """How a step is shown to people: the command line they would type."""
    return step if isinstance(step, str) else step.shown
