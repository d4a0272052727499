"""The one module that imports rich: messages, tables, progress displays and Markdown."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

Segment = tuple[str, str | None]  # a piece of a line and its style ("red", "dim"; None: plain)


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


def width() -> int:
    """The columns of a line on stdout (80 when it is not a terminal)."""
    return out.width


def styled(lines: Sequence[Sequence[Segment]]) -> None:
    """Lines made of styled segments, each printed as it is: never wrapped, never markup."""
    for segments in lines:
        line = Text()
        for text, style in segments:
            line.append(text, style=style)
        out.print(line, soft_wrap=True)


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
