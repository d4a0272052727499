"""The one module that imports rich: messages, tables, progress displays and Markdown."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from lab.deploy.measure import Bucket, Marker, Summary

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def reopen() -> None:
    """Make the consoles anew for this process's own streams and environment.

    A Console settles colour, interactivity and width when it is made; a process forked from
    one whose output was a terminal (lab.warm) would otherwise colour what goes to a file.
    """
    global out, err
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)


def info(message: str) -> None:
    out.print(message, markup=False)


def note(message: str) -> None:
    """A side remark (what the lab is doing and why), dimmed, on stderr."""
    err.print(message, style="dim", markup=False, soft_wrap=True)


def success(message: str) -> None:
    out.print(f"✓ {message}", style="green", markup=False)


def failure(message: str, reasons: Sequence[str]) -> None:
    """A goal that does not hold, with each reason indented beneath it."""
    out.print(f"✗ {message}", style="red", markup=False)
    for reason in reasons:
        out.print(f"    {reason}", markup=False, soft_wrap=True)


def step(message: str) -> None:
    out.print(message, style="bold cyan", markup=False)


_SERVER_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red")
_server_styles: dict[str, str] = {}


_reader_gone = threading.Event()


def server_line(server: str, line: str) -> None:
    """One line of a server's output, prefixed by its name in its own colour.

    Called from SSH worker threads. When the reader of our output has gone (`| head`),
    rich raises SystemExit from inside the thread; the lines after that are dropped and
    the command asks `reader_gone()` once the servers are done.
    """
    if _reader_gone.is_set():
        return
    style = _server_styles.setdefault(
        server, _SERVER_COLOURS[len(_server_styles) % len(_SERVER_COLOURS)])
    try:
        out.print(f"[{style}]{escape(server)}[/] | {escape(line)}", soft_wrap=True,
                  highlight=False)
    except (BrokenPipeError, SystemExit):
        _reader_gone.set()


def reader_gone() -> bool:
    """True once a write to stdout failed because nobody reads it any more."""
    return _reader_gone.is_set()


def summary(results: Sequence[tuple[str, bool, str]]) -> None:
    """One line: each server ok or failed."""
    parts = [f"[{'green' if ok else 'red'}]{escape(text)}[/]" for _, ok, text in results]
    failed = sum(1 for _, ok, _ in results if not ok)
    verdict = "all ok" if not failed else f"{failed} failed"
    out.print(f"{verdict}: " + "  ".join(parts), soft_wrap=True)


def warn(message: str) -> None:
    err.print(f"warning: {message}", style="yellow", markup=False, soft_wrap=True)


def error(message: str) -> None:
    err.print(f"error: {message}", style="bold red", markup=False, soft_wrap=True)


def raw(text: str) -> None:
    """Text exactly as given (logs, command output), no markup or wrapping."""
    sys.stdout.write(text)
    sys.stdout.flush()


def markdown(text: str) -> None:
    from rich.markdown import Markdown  # markdown-it costs 20 ms; most commands never need it

    out.print(Markdown(text))


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str | None = None,
    styles: Sequence[str | None] | None = None,
) -> None:
    """A table; `styles` gives each row a rich style (e.g. red for a failing row)."""
    # Cells are text, never markup: a learner's path like /srv/[app] must show as it is.
    grid = Table(title=Text(title) if title else None, title_justify="left", show_edge=False,
                 pad_edge=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for index, row in enumerate(rows):
        style = styles[index] if styles else None
        grid.add_row(*(Text(str(cell)) for cell in row), style=style)
    out.print(grid)


class Tasks:
    """A progress display of named tasks, each with an optional step count."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._ids: dict[str, Any] = {}

    def add(self, name: str, total: int | None = None) -> None:
        self._ids[name] = self._progress.add_task(name, total=total)

    def update(self, name: str, *, completed: int | None = None, total: int | None = None,
               status: str | None = None) -> None:
        fields: dict[str, Any] = {}
        if status is not None:
            fields["description"] = f"{name}: {status}"
        self._progress.update(self._ids[name], completed=completed, total=total, **fields)

    def finish(self, name: str, status: str) -> None:
        task = self._ids[name]
        total = self._progress.tasks[task].total or 1
        self._progress.update(task, completed=total, total=total,
                              description=f"{name}: {status}")

    def log(self, message: str) -> None:
        """A line printed above the live display."""
        self._progress.console.print(message, markup=False, highlight=False)


@contextmanager
def tasks(transient: bool = False) -> Iterator[Tasks]:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    )
    with progress:
        yield Tasks(progress)


class Counter:
    """One progress bar over a number of items (e.g. students); safe to use from threads."""

    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self) -> None:
        self._progress.advance(self._task)

    def describe(self, description: str) -> None:
        self._progress.update(self._task, description=description)


@contextmanager
def counter(description: str, total: int) -> Iterator[Counter]:
    """A single bar, `done/total` and the time elapsed, on stderr."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    with progress:
        yield Counter(progress, progress.add_task(description, total=total))


# -- deployments: the probe's timeline and the summary of what users saw ---------------------

_VERSION_COLOURS = ("cyan", "green", "magenta", "yellow", "blue", "bright_cyan", "bright_green")
_TIMELINE_LABEL = 9  # "versions " and its siblings


def timeline(buckets: Sequence[Bucket], versions_order: Sequence[str], interval: float,
             markers: Sequence[Marker] = ()) -> None:
    """One cell per bucket coloured by the version that answered most in it, a red mark under
    each bucket with errors, the healthy backends (and the markers' notes, when they fit) at
    their moments, and a legend. Buckets are merged in twos, threes... to fit the terminal."""
    room = max(10, out.width - _TIMELINE_LABEL)
    factor = max(1, -(-len(buckets) // room))
    cells = _merged(buckets, factor)
    seconds = interval * factor
    order = list(dict.fromkeys([*versions_order, *(v for b in cells for v in b.versions)]))
    colours = {version: _VERSION_COLOURS[index % len(_VERSION_COLOURS)]
               for index, version in enumerate(order)}
    lines = [_version_line(cells, order, colours), _error_line(cells)]
    if markers:
        lines.append(_label("backends") + Text(_backends_line(markers, len(cells), seconds)))
        notes = _notes_line(markers, len(cells), seconds)
        if notes:
            lines.append(_label("") + Text(notes, style="dim"))
    legend = Text(" " * _TIMELINE_LABEL)
    for version in order:
        legend.append("█", style=colours[version])
        legend.append(f" {version}  ")
    legend.append("▲", style="red")
    legend.append(" errors  ")
    legend.append("·", style="dim")
    legend.append(f" no request   one cell = {seconds:g} s, {len(cells) * seconds:g} s in all")
    for line in [*lines, legend]:
        out.print(line, soft_wrap=True)


def _merged(buckets: Sequence[Bucket], factor: int) -> list[Bucket]:
    from lab.deploy.measure import Bucket

    cells = []
    for first in range(0, len(buckets), factor):
        group = buckets[first:first + factor]
        versions: dict[str, int] = {}
        for bucket in group:
            for version, count in bucket.versions.items():
                versions[version] = versions.get(version, 0) + count
        cells.append(Bucket(group[0].start, versions, sum(b.errors for b in group)))
    return cells


def _label(name: str) -> Text:
    return Text(f"{name:<{_TIMELINE_LABEL}}", style="dim")


def _version_line(cells: Sequence[Bucket], order: list[str], colours: dict[str, str]) -> Text:
    line = _label("versions")
    for cell in cells:
        if cell.versions:
            top = max(cell.versions, key=lambda v: (cell.versions[v], -order.index(v)))
            line.append("█", style=colours[top])
        elif cell.errors:
            line.append("█", style="red")
        else:
            line.append("·", style="dim")
    return line


def _error_line(cells: Sequence[Bucket]) -> Text:
    line = _label("errors")
    line.append("".join("▲" if cell.errors else " " for cell in cells).rstrip() or "none",
                style="red")
    return line


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
    table(["what users saw", ""], rows)


def _percent(value: float, failed: int) -> str:
    """Two decimals, but never 100.00 % when a request failed."""
    text = f"{value:.2f}"
    if failed and text == "100.00":
        text = f"{min(value, 99.999):.3f}"
    return f"{text} %"
