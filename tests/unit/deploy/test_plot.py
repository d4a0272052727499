"""`--plot FILE`: a PNG or SVG of a deploy when matplotlib is installed, one line and a remedy
when it is not."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab.deploy.plot import plot
from lab.deploy.summary import Marker
from lab.deploy.traffic import ProbeRecord, Sample
from lab.errors import UsageError

RECORD = ProbeRecord(20, datetime(2026, 1, 1, tzinfo=timezone.utc), 3.0, tuple(
    Sample(k / 20, k / 20, 0.003, 0 if 20 <= k < 25 else 200, "" if 20 <= k < 25
           else ("1.0" if k < 30 else "2.0")) for k in range(60)))
MARKERS = [Marker(0.0, 2), Marker(1.0, 1, "web1 out"), Marker(1.6, 2, "web1 in")]


def test_without_matplotlib_the_remedy_is_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError

    with pytest.raises(UsageError) as raised:
        plot(RECORD, MARKERS, tmp_path / "deploy.png", "rolling")
    assert raised.value.line() == ("drawing needs matplotlib. Install the plot extra: "
                                   "pip install 'immutable-lab[plot]'.")
    assert not (tmp_path / "deploy.png").exists()


def test_only_png_and_svg(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="only PNG and SVG"):
        plot(RECORD, MARKERS, tmp_path / "deploy.jpg", "rolling")


@pytest.mark.parametrize(("name", "start"), [("deploy.png", b"\x89PNG"), ("deploy.SVG", b"<?xml")])
def test_draws_by_the_suffix(tmp_path: Path, name: str, start: bytes) -> None:
    plot(RECORD, MARKERS, tmp_path / name, "rolling, good release")
    assert (tmp_path / name).read_bytes().startswith(start)
