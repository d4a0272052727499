"""The `lab` command: a thin Typer layer; each group lives in its own module."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from lab import __version__
from lab.cli import doctor, images
from lab.errors import LabError

app = typer.Typer(
    name="lab",
    help="A local lab for learning immutable infrastructure.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(images.app, name="images")
app.command("doctor")(doctor.doctor)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"immutable-lab {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    student: Annotated[
        str | None,
        typer.Option("--student", envvar="LAB_STUDENT", metavar="NAME",
                     help="Work in this student's own environment (default: learner)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Show the lab's version and exit.")
    ] = False,
) -> None:
    """A local lab for learning immutable infrastructure."""
    if student:
        os.environ["LAB_STUDENT"] = student


def main() -> None:
    """Entry point: run the app; a LabError becomes one line on stderr and its exit code."""
    try:
        app()
    except LabError as failure:
        from lab import console

        console.error(failure.line())
        sys.exit(int(failure.exit_code))
