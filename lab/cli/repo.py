"""`lab repo ...`: what the exercise's APT repository serves, and ending its outages."""

from __future__ import annotations

from typing import Annotated

import typer

from lab.cli import answers, invocation

# The repository's modules (the engine) and rich (through lab.console) are imported by the
# commands that use them, so that `lab --help` stays fast.

app = typer.Typer(help="The exercise's APT repository (the `repo` server).",
                  no_args_is_help=True)


@app.command("list")
def list_packages(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The packages the repository serves now, and those it withdrew."""
    from lab import console, learner
    from lab.repo import publish

    exercise, repo_id = learner.running_repository(invocation.settings())
    rows = publish.served(repo_id)
    if as_json:
        document = {"exercise": exercise.id, "packages": [row.as_json() for row in rows]}
        answers.write(document)
        return
    console.table(["package", "version", "state", "file"],
                  [[row.name, row.version, row.state, row.file] for row in rows],
                  title=f"{exercise.id}: http://repo/",
                  styles=[None if row.state == "published" else "dim" for row in rows])


@app.command()
def heal() -> None:
    """End the repository's outages now, as when a mirror comes back."""
    from lab import console, learner
    from lab.repo import faults

    exercise, repo_id = learner.running_repository(invocation.settings())
    faults.heal(repo_id)
    console.success(f"the repository of {exercise.id} answers every server again")
