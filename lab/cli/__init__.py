"""The `lab` command: a thin Typer layer; each group lives in its own module."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Annotated, Any, NoReturn

import typer
import typer.main

from lab import __version__
from lab.cli import (
    answers,
    classroom,
    deploy,
    dev,
    docs,
    doctor,
    drift,
    exercise,
    images,
    invocation,
    repo,
    servers,
)
from lab.errors import ExitCode, LabError

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
app.command()(drift.drift)
app.command()(deploy.build)
app.command()(deploy.deploy)
app.command()(deploy.rollback)
app.command()(deploy.compare)
app.command()(deploy.history)
app.command()(deploy.chaos)
app.command()(deploy.reconcile)
app.add_typer(images.app, name="images")
app.add_typer(repo.app, name="repo")
app.add_typer(classroom.app, name="class")
app.add_typer(dev.app, name="dev")
app.command("doctor")(doctor.doctor)
app.command("docs")(docs.docs)


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
    invocation.choose_student(student)


def command_tree() -> Any:
    """The Click command behind `lab`, built from the Typer app as `lab` builds it."""
    return typer.main.get_command(app)


def _show_warning(message: Warning | str, category: type[Warning], *_: object,
                  **__: object) -> None:
    from lab import console

    console.warn(str(message))


def main() -> None:
    """Entry point: every failure is one line on stderr and an exit code, never a traceback.

    Click's own usage errors (a missing argument, an unknown option) would print a usage
    block and exit 2, the code the lab keeps for "engine unreachable": they become exit 3.
    """
    warnings.showwarning = _show_warning  # e.g. a corrupt progress file set aside
    try:
        outcome = app(standalone_mode=False)
    except LabError as failure:
        _fail(*answers.told(failure))
    except (typer.Abort, KeyboardInterrupt):
        _interrupted()
    except BrokenPipeError:
        _reader_went_away()
    except OSError as failure:  # a folder that cannot be written, a full disk
        _fail(*answers.told(failure))
    except Exception as failure:
        _click_failure(failure)
    if outcome == 130:  # Typer turns Ctrl-C into a silent exit code 130
        _interrupted()
    sys.exit(outcome if isinstance(outcome, int) else 0)


def _interrupted() -> NoReturn:
    """Ctrl-C: one line, then end at once. Worker threads may still be waiting on a server
    or the engine; ending the process closes their connections instead of waiting."""
    from lab import console

    console.error("interrupted; run the same command again to finish what it started")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def _click_failure(failure: Exception) -> NoReturn:
    """Click's exceptions, matched by name: Typer has vendored Click since 0.20-something,
    so the classes live in `click` or in `typer._click` depending on the version."""
    kinds = {cls.__name__ for cls in type(failure).__mro__}
    if "NoArgsIsHelpError" in kinds:
        context = getattr(failure, "ctx", None)
        typer.echo(context.get_help() if context else str(failure))
        sys.exit(0)
    if "UsageError" in kinds:
        context = getattr(failure, "ctx", None)
        command = context.command_path if context else "lab"
        message = " ".join(failure.format_message().split())  # type: ignore[attr-defined]
        _fail(f"{message} (see `{command} --help`)", int(ExitCode.USAGE))
    if "ClickException" in kinds:
        message = " ".join(failure.format_message().split())  # type: ignore[attr-defined]
        _fail(message, int(ExitCode.USAGE))
    raise failure


def _reader_went_away() -> NoReturn:
    """`lab run ... | head`: the reader left; stop quietly, as other Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush must not fail again
    sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a tool killed by it


def _fail(line: str, code: int) -> NoReturn:
    from lab import console

    console.error(line)
    sys.exit(code)
