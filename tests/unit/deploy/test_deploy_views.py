"""How the terminal shows a measured deployment (lab.cli.deploy_views): the timeline fits the
width, marks errors and the healthy backends, and the summary's figures never round a failure
away."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from lab import console
from lab.cli import deploy_views
from lab.deploy.summary import Marker, summarize, timeline
from tests.unit.deploy.records import record


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    text = io.StringIO()
    monkeypatch.setattr(console, "out", Console(file=text, width=80, color_system=None))
    return text


def test_the_terminal_timeline_fits_and_shows_errors_and_backends(screen: io.StringIO) -> None:
    answers: list[str | int] = ["1.0"] * 200 + [0] * 10 + ["2.0"] * 190  # 8 s at 50/s
    markers = [Marker(0.0, 4), Marker(4.0, 3, "out"), Marker(6.0, 4, "back")]
    deploy_views.show_timeline(timeline(record(answers)), ["1.0", "2.0"], 0.5, markers)

    lines = screen.getvalue().splitlines()
    assert lines[0] == "versions " + "█" * 16
    assert lines[1] == "errors   " + " " * 8 + "▲"
    assert lines[2] == "backends 4" + "─" * 7 + "3───4" + "─" * 3
    assert lines[3] == "         " + " " * 8 + "out " + "back"
    assert "█ 1.0" in lines[4] and "█ 2.0" in lines[4] and "one cell = 0.5 s" in lines[4]


def test_notes_that_would_overlap_are_left_out(screen: io.StringIO) -> None:
    markers = [Marker(0.0, 4), Marker(4.0, 3, "web1 out"), Marker(6.0, 4, "web1 in")]
    deploy_views.show_timeline(timeline(record(["1.0"] * 400)), ["1.0"], 0.5, markers)

    lines = screen.getvalue().splitlines()
    assert len(lines) == 4 and lines[2].startswith("backends 4") and "web1" not in lines[3]


def test_a_long_timeline_merges_cells_to_fit(screen: io.StringIO) -> None:
    deploy_views.show_timeline(timeline(record(["1.0"] * 50 * 120)), ["1.0"], 0.5)  # 240 buckets

    lines = screen.getvalue().splitlines()
    assert lines[0] == "versions " + "█" * 60
    assert lines[1] == "errors   none"
    assert "one cell = 2 s" in lines[-1]


def test_the_summary_table(screen: io.StringIO) -> None:
    summary = summarize(record(["1.0"] * 20000 + [0]), [Marker(0, 4)], (0.0, 12.0),
                        rollback=(12.0, 14.5))
    deploy_views.deploy_summary(summary)

    shown = screen.getvalue()
    # 99.995 % would round to 100.00 %, which no deploy with a failed request may claim
    for figure in ("99.995 %", "1 of 20001", "0.02 s", "12.0 s", "2.5 s", "1.0: 20000"):
        assert figure in shown
