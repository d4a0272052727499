"""How a command's outcome is told: a failure as one line and an exit code, and with --json
one JSON document on stdout, a failure's included, so a program reading it (a class running
every student's command) reads every outcome one way.

With --json a failure answers `{"error": LINE, "exit_code": N}`; the line is on stderr as ever.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lab.errors import ExitCode, LabError


def told(failure: LabError | OSError) -> tuple[str, int]:
    """The one line and the exit code a failure the user can cause is told with."""
    if isinstance(failure, LabError):
        return failure.line(), int(failure.exit_code)
    where = f" {failure.filename}" if failure.filename else ""  # a folder that cannot be
    return f"cannot use{where}: {failure.strerror or failure}", int(ExitCode.STATE)  # written


def write(document: Any) -> None:
    """The document on stdout, indented, and nothing else."""
    from lab import console  # rich: only once there is something to print

    console.raw(json.dumps(document, indent=2) + "\n")


@contextmanager
def answering(as_json: bool) -> Iterator[None]:
    """With --json, a failure raised inside is written as the command's document too."""
    try:
        yield
    except BrokenPipeError:  # nobody reads stdout any more: nothing to tell there
        raise
    except (LabError, OSError) as failure:
        if as_json:
            line, code = told(failure)
            write({"error": line, "exit_code": code})
        raise
