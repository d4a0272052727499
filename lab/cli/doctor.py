"""`lab doctor`: one table of what the lab needs, with a remedy beside each failing row."""

from __future__ import annotations

import typer

from lab.cli import invocation


def doctor() -> None:
    """Check the engine, the base image, disk space, loopback ports and the SSH key."""
    from lab import console  # rich, and the engine's modules: only for this command
    from lab import doctor as checkup

    rows = checkup.run(invocation.settings())
    marks = {"ok": "✓", "warn": "!", "fail": "✗"}
    colours = {"ok": None, "warn": "yellow", "fail": "red"}
    console.table(
        ["", "what", "found", "remedy"],
        [[marks[row.status.value], row.name, row.detail, row.remedy] for row in rows],
        styles=[colours[row.status.value] for row in rows],
    )
    if not checkup.passed(rows):
        raise typer.Exit(1)
