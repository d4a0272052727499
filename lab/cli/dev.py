"""`lab dev ...`: tools for exercise authors and CI."""

from __future__ import annotations

from typing import Annotated

import typer

from lab.cli import invocation
from lab.cli.images import ensure_images

app = typer.Typer(help="Tools for exercise authors and CI.", no_args_is_help=True)


@app.command("check")
def check(
    names: Annotated[list[str] | None, typer.Argument(
        help="Exercises to check; default all.")] = None,
) -> None:
    """Prove each exercise: it validates, starts unsolved, and its solution solves it."""
    from lab import console  # rich, and below the engine's modules: only for this command
    from lab.devcheck import check_all

    results = check_all(invocation.settings(), names, ensure_images, console.note)
    for result in results:
        if result.ok:
            console.success(f"{result.exercise_id}: starts unsolved, solved by its solution")
        else:
            console.failure(result.exercise_id, result.problems)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


@app.command("reference")
def reference_page(
    context: typer.Context,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Only say whether the page is up to date; exit 1 if it is stale.")
    ] = False,
) -> None:
    """Regenerate the CLI reference page (docs/reference/cli.md) from the commands' help."""
    from lab import console
    from lab.cli import reference  # with the docs' sources: only this command needs them

    root = context.find_root().command  # the `lab` command this very command belongs to
    if not check_only:
        console.success(f"wrote {reference.write(root)}")
    elif reference.is_current(root):
        console.success(f"{reference.page_file()} is up to date")
    else:
        console.failure(f"{reference.page_file()} is stale",
                        [f"run `{reference.REGENERATE}` to regenerate it"])
        raise typer.Exit(1)
