"""The drift command: what changed on each server since its image, as a table and a verdict."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli.invocation import settings as invocation_settings

if TYPE_CHECKING:
    from lab.drift import FleetDrift, ServerDrift

SUMMARY_FINDINGS = 3  # findings named in the fleet table's summary column


def drift(
    server: Annotated[str | None, typer.Argument(
        help="Only this server, e.g. web2 (default: every server).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """What changed on each server since its image: files, packages, conffiles, holds.

    Exits 0 when every server is identical to its image, 1 when any has drifted.
    """
    # Imported when the command runs: every `lab` command loads this module, and lab.drift
    # (with the engine's modules, ~40 ms), lab.learner (the fleet, exercises) and lab.console
    # (rich, ~25 ms) would slow them all.
    from lab import console, drift, learner

    settings = invocation_settings()
    result = drift.exercise_drift(settings, partial(learner.running, settings),
                                  [server] if server else None)
    if as_json:
        console.raw(json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _show(result)
    if not result.identical:
        raise typer.Exit(1)


def _show(result: FleetDrift) -> None:
    from lab import console  # rich: see drift() above

    console.table(
        ["server", "image", "changes", "summary"],
        [[server.name, _image_name(server), len(server.findings), _summary(server)]
         for server in result.servers],
        title=f"{result.exercise_id}: changes since each server's image",
        styles=[None if server.identical else "red" for server in result.servers],
    )
    for server in result.drifted:
        console.table(["kind", "what", "how"],
                      [[finding.kind.value, finding.subject, finding.detail]
                       for finding in server.findings],
                      title=f"{server.name}: {server.count_text}")
    if result.spread:
        names = [server.name for server in result.servers]
        console.table(["package", *names],
                      [[spread.package, *(spread.versions.get(name) or "-" for name in names)]
                       for spread in result.spread],
                      title="packages that differ")
    if result.identical:
        console.success(result.verdict)
    else:
        console.failure(result.verdict, [])


def _image_name(server: ServerDrift) -> str:
    """The image's tag, or its short id once the tag has moved on to a newer build."""
    image = server.server.image
    return image.removeprefix("sha256:")[:12] if image.startswith("sha256:") else image


def _summary(server: ServerDrift) -> str:
    if server.identical:
        return "identical to its image"
    named = [finding.summary for finding in server.findings[:SUMMARY_FINDINGS]]
    more = len(server.findings) - len(named)
    return "; ".join(named) + (f"; and {more} more" if more else "")
