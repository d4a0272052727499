"""How the immutable track's results look: the probe's timeline and the summary of what users
saw, the deployment history, and the strategy comparison's tables, built from lab.console's
tables and styled lines."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lab import console
from lab.console import Segment
from lab.deploy.compare import Comparison
from lab.deploy.disagreements import flags
from lab.deploy.state import Deployment, FleetState
from lab.deploy.strategy_table import AWS, COLUMNS, METHODS, Run, measured_rows
from lab.deploy.summary import Bucket, Marker, Summary, timeline
from lab.deploy.under_traffic import Measured

VERSION_COLOURS = ("cyan", "green", "magenta", "yellow", "blue", "bright_cyan", "bright_green")
LABEL_WIDTH = 9  # "versions " and its siblings
INTERVAL = 0.5  # seconds a bucket of the probe's record covers


# -- a measured deployment ----------------------------------------------------------------


def measured(done: Measured, as_json: bool) -> None:
    """A deployment the probe measured: its record as JSON, or its timeline and summary."""
    if as_json:
        console.raw(json.dumps(measured_json(done), indent=2) + "\n")
        return
    show_timeline(timeline(done.record, INTERVAL), list(done.summary.versions), INTERVAL,
                  done.markers)
    deploy_summary(done.summary)


def measured_json(done: Measured) -> dict[str, object]:
    return {
        "kind": done.kind,
        "strategy": done.strategy,  # "switch back" for blue/green's rollback
        "summary": done.summary.as_json(),
        "markers": [marker.__dict__ for marker in done.markers],
        "rate": done.record.rate,
        "samples": [sample.__dict__ for sample in done.record.samples],
    }


def show_timeline(buckets: Sequence[Bucket], versions_order: Sequence[str], interval: float,
                  markers: Sequence[Marker] = ()) -> None:
    """One cell per bucket coloured by the version that answered most in it, a red mark under
    each bucket with errors, the healthy backends (and the markers' notes, when they fit) at
    their moments, and a legend. Buckets are merged in twos, threes... to fit the terminal."""
    room = max(10, console.width() - LABEL_WIDTH)
    factor = max(1, -(-len(buckets) // room))
    cells = _merged(buckets, factor)
    seconds = interval * factor
    order = list(dict.fromkeys([*versions_order, *(v for b in cells for v in b.versions)]))
    colours = {version: VERSION_COLOURS[index % len(VERSION_COLOURS)]
               for index, version in enumerate(order)}
    lines = [_version_line(cells, order, colours), _error_line(cells)]
    if markers:
        lines.append([_label("backends"), (_backends_line(markers, len(cells), seconds), None)])
        notes = _notes_line(markers, len(cells), seconds)
        if notes:
            lines.append([_label(""), (notes, "dim")])
    legend: list[Segment] = [(" " * LABEL_WIDTH, None)]
    for version in order:
        legend += [("█", colours[version]), (f" {version}  ", None)]
    legend += [("▲", "red"), (" errors  ", None), ("·", "dim"),
               (f" no request   one cell = {seconds:g} s, {len(cells) * seconds:g} s in all",
                None)]
    console.styled([*lines, legend])


def _merged(buckets: Sequence[Bucket], factor: int) -> list[Bucket]:
    cells = []
    for first in range(0, len(buckets), factor):
        group = buckets[first:first + factor]
        versions: dict[str, int] = {}
        for bucket in group:
            for version, count in bucket.versions.items():
                versions[version] = versions.get(version, 0) + count
        cells.append(Bucket(group[0].start, versions, sum(b.errors for b in group)))
    return cells


def _label(name: str) -> Segment:
    return f"{name:<{LABEL_WIDTH}}", "dim"


def _version_line(cells: Sequence[Bucket], order: list[str],
                  colours: dict[str, str]) -> list[Segment]:
    line = [_label("versions")]
    for cell in cells:
        if cell.versions:
            top = max(cell.versions, key=lambda v: (cell.versions[v], -order.index(v)))
            line.append(("█", colours[top]))
        elif cell.errors:
            line.append(("█", "red"))
        else:
            line.append(("·", "dim"))
    return line


def _error_line(cells: Sequence[Bucket]) -> list[Segment]:
    marks = "".join("▲" if cell.errors else " " for cell in cells).rstrip()
    return [_label("errors"), (marks or "none", "red")]


def _column(at: float, seconds: float, width: int) -> int:
    return min(width - 1, max(0, int(at // seconds)))


def _backends_line(markers: Sequence[Marker], width: int, seconds: float) -> str:
    """The count in force at the end of each cell, written where it changes."""
    ordered = sorted(markers, key=lambda marker: marker.at)
    line = [" "] * width
    shown: int | None = None
    busy_until = 0
    for cell in range(width):
        in_force = [m.backends for m in ordered if m.at < (cell + 1) * seconds]
        if not in_force:
            continue
        count = in_force[-1]
        if count != shown and cell >= busy_until:
            text = str(count)
            line[cell:cell + len(text)] = text
            busy_until = cell + len(text)
            shown = count
        elif cell >= busy_until:
            line[cell] = "─"
    return "".join(line[:width]).rstrip()


def _notes_line(markers: Sequence[Marker], width: int, seconds: float) -> str:
    """The markers' notes at their moments, or "" when they would overlap or overflow."""
    line = ""
    for marker in sorted(markers, key=lambda marker: marker.at):
        if not marker.note:
            continue
        column = _column(marker.at, seconds, width)
        if column < len(line) + (1 if line else 0) or column + len(marker.note) > width:
            return ""
        line = line.ljust(column) + marker.note
    return line


def deploy_summary(summary: Summary) -> None:
    """The summary's figures, two columns."""
    rows = [
        ("availability", _percent(summary.availability, summary.failed)),
        ("failed requests", f"{summary.failed} of {summary.requests}" + (" (" + ", ".join(
            f"{'no answer' if status == '0' else 'HTTP ' + status}: {count}"
            for status, count in summary.failed_by_status.items()) + ")"
            if summary.failed_by_status else "")),
        ("longest error window", f"{summary.longest_error_window:.2f} s"
         if summary.failed else "none"),
        ("seconds with two versions", f"{summary.mixed_seconds:.1f} s"),
        ("fewest healthy backends", str(summary.min_backends)),
        ("most healthy backends", str(summary.max_backends)),
        ("deploy time", f"{summary.deploy_seconds:.1f} s"),
    ]
    if summary.rollback_seconds is not None:
        rows.append(("rollback time", f"{summary.rollback_seconds:.1f} s"))
    if summary.versions:
        rows.append(("answers per version", ", ".join(
            f"{version or '(empty)'}: {count}" for version, count in summary.versions.items())))
    console.table(["what users saw", ""], rows)


def _percent(value: float, failed: int) -> str:
    """Two decimals, but never 100.00 % when a request failed."""
    text = f"{value:.2f}"
    if failed and text == "100.00":
        text = f"{min(value, 99.999):.3f}"
    return f"{text} %"


# -- the deployment's record and the history ----------------------------------------------


def deployed(done: Deployment, as_json: bool = False) -> None:
    if as_json:
        if done.summary is None:  # nothing measured it: the record is what there is
            console.raw(done.model_dump_json(indent=2) + "\n")
        return
    console.success(f"deployment #{done.number}: {len(done.replaced)} servers run "
                    f"{done.image} ({done.image_id.removeprefix('sha256:')[:12]}), "
                    f"in {done.seconds or 0:.1f} s")


def history(state: FleetState, exercise_id: str) -> None:
    """Every deployment in a table, the why of each failure below it, and what runs now."""
    if not state.deployments:
        console.info(f"Nothing deployed to {exercise_id} yet: `lab deploy TAG` does it.")
        return
    console.table(["#", "when", "kind", "image", "id", "result", "seconds", "servers"],
                  [_history_row(item) for item in state.deployments],
                  styles=[_history_style(item.result) for item in state.deployments])
    for item in state.deployments:
        if item.message:  # the why of a failure: too long for a table cell at 80 columns
            console.info(f"#{item.number} {item.result}: {item.message}")
    if state.desired:
        console.info(f"Desired: {state.desired.image} on "
                     f"{', '.join(state.desired.servers)}")


def _history_row(item: Deployment) -> list[str]:
    return [str(item.number), item.started_at.astimezone().strftime("%H:%M:%S"), item.kind,
            item.image, item.image_id.removeprefix("sha256:")[:12], item.result,
            f"{item.seconds:.1f}" if item.seconds is not None else "",
            str(len(item.replaced))]


def _history_style(result: str) -> str | None:
    return {"failed": "red", "interrupted": "yellow"}.get(result)


# -- the strategies compared --------------------------------------------------------------


def compare_progress(run: Run) -> None:
    """One line as each run of the comparison ends."""
    summary = run.summary
    figures = (f"{summary.failed} failed of {summary.requests}, backends "
               f"{summary.min_backends}-{summary.max_backends}, "
               f"{summary.deploy_seconds:.1f} s" if summary else "not measured")
    ending = "ok" if run.succeeded else ("failed, rolled back" if run.rolled_back else "failed")
    console.note(f"{run.strategy} {run.release}: {ending}; {figures}")


def compare_tables(done: Comparison) -> None:
    """The measured table (rows that disagree in yellow), AWS's, and why they disagree."""
    rows = measured_rows(done.runs, done.fleet)
    found = flags(done.runs, done.fleet, done.plan.evaluate)
    flagged = {flag.strategy for flag in found}
    console.table(list(COLUMNS), [row.cells() for row in rows.values()],
                  title=f"Measured here ({done.fleet} servers, {done.plan.good} good, "
                        f"{done.plan.bad} bad)",
                  styles=["yellow" if strategy in flagged else None for strategy in rows])
    console.table(list(COLUMNS), [claim.row.cells() for claim in AWS.values()],
                  title="AWS's table: Elastic Beanstalk's five policies, and blue/green")
    for flag in found:
        console.warn(f"{METHODS[flag.strategy]}, {flag.column}: {flag.reason}")
    if not found:
        console.success("the measurement agrees with AWS's table on every row")

