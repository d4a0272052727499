"""`lab dev ...`: tools for exercise authors and CI."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Tools for exercise authors and CI.", no_args_is_help=True)


@app.command("check")
def check(
    names: Annotated[list[str] | None, typer.Argument(
        help="Exercises to check; default all.")] = None,
) -> None:
    """Prove each exercise: it validates, starts unsolved, and its solution solves it."""
    from lab import console
    from lab.cli.exercise import _ensure_images
    from lab.devcheck import check_all
    from lab.environment import current_settings

    results = check_all(current_settings(), names, _ensure_images, console.note)
    for result in results:
        if result.ok:
            console.success(f"{result.exercise_id}: starts unsolved, solved by its solution")
        else:
            console.failure(result.exercise_id, result.problems)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


@app.command("reference")
def reference(
    check_only: Annotated[bool, typer.Option(
        "--check", help="Only say whether the page is up to date; exit 1 if it is stale.")
    ] = False,
) -> None:
    """Regenerate the CLI reference page (docs/reference/cli.md) from the commands' help."""
    from lab import console
    from lab.docs import cli_reference

    if not check_only:
        console.success(f"wrote {cli_reference.write()}")
    elif cli_reference.is_current():
        console.success(f"{cli_reference.page_file()} is up to date")
    else:
        console.failure(f"{cli_reference.page_file()} is stale",
                        [f"run `{cli_reference.REGENERATE}` to regenerate it"])
        raise typer.Exit(1)
