"""Probe records made by hand, for the tests of summaries and their views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from lab.deploy.traffic import ProbeRecord, Sample

STARTED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def record(answers: Sequence[str | int], rate: float = 50.0) -> ProbeRecord:
    """Request k, due and sent at k/rate: a version string answered 200, an int that status."""
    samples = tuple(
        Sample(k / rate, k / rate, 0.002, 200, answer) if isinstance(answer, str)
        else Sample(k / rate, k / rate, 0.002, answer, "")
        for k, answer in enumerate(answers))
    return ProbeRecord(rate, STARTED, len(answers) / rate, samples)
