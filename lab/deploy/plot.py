"""A deployment drawn from the probe's record: requests per interval by version, errors,
latency, and the healthy backends, as a PNG or SVG (matplotlib, the `plot` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.deploy.summary import Marker, timeline
from lab.deploy.traffic import ProbeRecord
from lab.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FORMATS = {".png": "png", ".svg": "svg"}
INTERVAL = 0.5  # seconds a bar covers
COLOURS = ("tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:cyan", "tab:olive")
ERROR_COLOUR = "tab:red"


def check_target(path: Path) -> str:
    """The drawing's format, or a UsageError before any deployment runs: a wrong suffix, or
    no matplotlib, found out only after a deploy would waste it."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"cannot draw to {path.name}: only PNG and SVG",
                         "Give a file name ending in .png or .svg.")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("drawing needs matplotlib",
                         "Install the plot extra: pip install 'immutable-lab[plot]'.") from None
    return kind


def plot(record: ProbeRecord, markers: Sequence[Marker], path: Path, title: str) -> None:
    """Draws `record` to `path`, a .png or .svg file: two panels sharing the time axis."""
    kind = check_target(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 6), layout="constrained")
    FigureCanvasAgg(figure)  # no GUI, whatever matplotlib's default backend is
    requests, latency = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    colours = _colours(record)
    _requests(requests, record, colours)
    _backends(requests, markers, record.duration)
    _latency(latency, record, colours)
    _markers(requests, markers, notes=True)
    _markers(latency, markers, notes=False)
    requests.set_title(title)
    latency.set_xlabel(f"seconds since {record.started_at:%Y-%m-%d %H:%M:%S} UTC "
                       f"({record.rate:g} requests/s)")
    try:
        figure.savefig(path, format=kind)
    except OSError as failure:
        raise UsageError(f"cannot write {path}: {failure.strerror or failure}",
                         "Choose a file in a folder you can write to.") from None


def _colours(record: ProbeRecord) -> dict[str, str]:
    """A colour per version, in the order the versions first answered."""
    order = dict.fromkeys(sample.version for sample in record.samples if sample.ok)
    return {version: COLOURS[index % len(COLOURS)] for index, version in enumerate(order)}


def _requests(axes: Axes, record: ProbeRecord, colours: dict[str, str]) -> None:
    """Stacked bars per interval: successes by version, errors in red on top."""
    buckets = timeline(record, INTERVAL)
    starts = [bucket.start for bucket in buckets]
    bottom = [0] * len(buckets)
    for version, colour in colours.items():
        heights = [bucket.versions.get(version, 0) for bucket in buckets]
        axes.bar(starts, heights, width=INTERVAL, bottom=bottom, align="edge", color=colour,
                 label=version or "(empty)")
        bottom = [low + height for low, height in zip(bottom, heights, strict=True)]
    axes.bar(starts, [bucket.errors for bucket in buckets], width=INTERVAL, bottom=bottom,
             align="edge", color=ERROR_COLOUR, label="errors")
    axes.set_ylabel(f"requests per {INTERVAL:g} s")
    axes.legend(loc="upper left", fontsize="small", ncols=len(colours) + 2)
    axes.set_ylim(0, max(1.0, record.rate * INTERVAL) * 1.35)  # room for the legend


def _backends(axes: Axes, markers: Sequence[Marker], end: float) -> None:
    """The healthy backends as a step line on a second axis."""
    if not markers:
        return
    ordered = sorted(markers, key=lambda marker: marker.at)
    times = [marker.at for marker in ordered] + [max(end, ordered[-1].at)]
    counts = [marker.backends for marker in ordered] + [ordered[-1].backends]
    twin: Any = axes.twinx()
    twin.step(times, counts, where="post", color="black", linewidth=1.5, label="backends")
    twin.set_ylabel("healthy backends")
    twin.set_ylim(0, max(counts) + 1)
    twin.yaxis.get_major_locator().set_params(integer=True)


def _latency(axes: Axes, record: ProbeRecord, colours: dict[str, str]) -> None:
    """Each request's latency as a dot by version; failures as red crosses."""
    for version, colour in colours.items():
        answered = [s for s in record.samples if s.ok and s.version == version]
        axes.scatter([s.sent for s in answered], [1000 * s.latency for s in answered], s=4,
                     color=colour)
    failed = [s for s in record.samples if not s.ok]
    axes.scatter([s.sent for s in failed], [1000 * s.latency for s in failed], s=12,
                 marker="x", color=ERROR_COLOUR)
    axes.set_ylabel("latency, ms")
    if any(sample.latency > 0 for sample in record.samples):
        axes.set_yscale("log")
    axes.set_xlim(0, max(record.duration, INTERVAL))


def _markers(axes: Axes, markers: Sequence[Marker], notes: bool) -> None:
    """A dotted line at each marker; its note along the line when `notes`."""
    for marker in markers:
        axes.axvline(marker.at, color="grey", linestyle=":", linewidth=0.8)
        if notes and marker.note:
            axes.annotate(marker.note, (marker.at, 1.0), xycoords=("data", "axes fraction"),
                          rotation=90, va="top", ha="right", fontsize="x-small",
                          color="dimgrey")
