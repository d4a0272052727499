"""The `lab` command: a thin Typer layer; each group lives in its own module."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Annotated

import typer

from lab import __version__
from lab.cli import dev, doctor, exercise, images, servers
from lab.errors import LabError

app = typer.Typer(
    name="lab",
    help="A local lab for learning immutable infrastructure.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.command()(exercise.start)
app.command()(exercise.stop)
app.command()(exercise.status)
app.command()(exercise.check)
app.command()(exercise.hint)
app.command()(exercise.solve)
app.command()(exercise.reset)
app.command("list")(exercise.list_exercises)
app.command("next")(exercise.next_exercise)
app.command()(servers.ssh)
app.command(context_settings={"allow_interspersed_args": False})(servers.run)
app.command()(servers.put)
app.add_typer(images.app, name="images")
app.add_typer(dev.app, name="dev")
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


def _show_warning(message: Warning | str, category: type[Warning], *_: object,
                  **__: object) -> None:
    from lab import console

    console.warn(str(message))


def main() -> None:
    """Entry point: run the app; a LabError becomes one line on stderr and its exit code."""
    warnings.showwarning = _show_warning  # e.g. a corrupt progress file set aside
    try:
        app()
    except LabError as failure:
        from lab import console

        console.error(failure.line())
        sys.exit(int(failure.exit_code))
