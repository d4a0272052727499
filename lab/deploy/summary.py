"""What users would have seen during a deployment: availability, errors, mixed versions,
capacity, timings.

Everything is computed from a probe's record (lab.deploy.traffic) and the moments the
deployment marked on the probe's clock. Requests are placed in time by when they were really
sent (when they met the fleet); error windows count requests on the probe's schedule.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from lab.deploy.traffic import ProbeRecord, Sample

MIXED_INTERVAL = 0.5  # seconds: a bucket with two versions counts this long as mixed
NEAR_CHANGE = 1.0  # seconds either side of a marker in which a lost request is the change's
# What a user meets when no server answers: no answer at all (0), or the balancer's own
# gateway errors. A server's own error (500) is the release's, wherever it falls.
LOST = frozenset({0, 502, 503, 504})


@dataclass(frozen=True)
class Marker:
    at: float  # seconds on the probe's clock
    backends: int  # healthy backends in the balancer from this moment on
    note: str = ""  # e.g. "web1 out", "switch to green"


@dataclass(frozen=True)
class Summary:
    requests: int
    failed: int  # status != 200 (including status 0)
    availability: float  # percent of requests answered 200
    longest_error_window: float  # seconds, see error_window()
    mixed_seconds: float  # seconds during which two or more versions answered 200
    min_backends: int
    max_backends: int
    deploy_seconds: float
    rollback_seconds: float | None
    versions: dict[str, int]  # successful answers per version
    failed_by_status: dict[str, int] = field(default_factory=dict)  # "0", "500", "502"...
    # Requests lost (no answer, or 502/503/504) within NEAR_CHANGE seconds of a marker: what
    # the deployment's own changes (a switch, a server out) cost, told from a release's 500s.
    lost_near_changes: int = 0
    # The most server containers that ran at once (new, old, extra and standby alike): the
    # servers a strategy makes you pay for, which the balancer's backends do not show.
    max_servers: int = 0

    def as_json(self) -> dict[str, object]:
        """The raw figures, seconds and percentages rounded to the millisecond."""
        figures = asdict(self)
        for name, value in figures.items():
            if isinstance(value, float):
                figures[name] = round(value, 3)
        return figures


@dataclass(frozen=True)
class Bucket:
    start: float
    versions: dict[str, int]  # successes per version in this interval
    errors: int


def summarize(record: ProbeRecord, markers: Sequence[Marker], deploy: tuple[float, float],
              rollback: tuple[float, float] | None = None, servers: int = 0) -> Summary:
    """The figures of one deployment over the whole record (the probe ran around it).

    `deploy` and `rollback` are (start, end) on the probe's clock. The backend counts are those
    in force during the deploy: the marker in force at its start and every marker up to its end
    (0 and 0 when no marker applies). `servers` is the most server containers that ran at once.
    """
    samples = record.samples
    failed = sum(1 for sample in samples if not sample.ok)
    answered = len(samples) - failed
    versions = Counter(sample.version for sample in samples if sample.ok)
    mixed = sum(1 for bucket in timeline(record, MIXED_INTERVAL) if len(bucket.versions) > 1)
    fewest, most = backends_during(markers, deploy)
    return Summary(
        requests=len(samples),
        failed=failed,
        availability=100.0 * answered / len(samples) if samples else 0.0,
        longest_error_window=error_window(samples, record.rate),
        mixed_seconds=mixed * MIXED_INTERVAL,
        min_backends=fewest,
        max_backends=most,
        deploy_seconds=deploy[1] - deploy[0],
        rollback_seconds=rollback[1] - rollback[0] if rollback is not None else None,
        versions=dict(versions),
        failed_by_status=dict(sorted(Counter(str(sample.status) for sample in samples
                                             if not sample.ok).items())),
        lost_near_changes=lost_near(samples, markers),
        max_servers=servers,
    )


def lost_near(samples: Sequence[Sample], markers: Sequence[Marker],
              within: float = NEAR_CHANGE) -> int:
    """Requests lost (status in LOST) sent within `within` seconds of any marker."""
    moments = [marker.at for marker in markers]
    return sum(1 for sample in samples if sample.status in LOST
               and any(abs(sample.sent - moment) <= within for moment in moments))


def error_window(samples: Sequence[Sample], rate: float) -> float:
    """Seconds of the longest run of consecutive failures: its first to its last request's
    schedule, plus one request interval (an outage of N requests is N / rate); 0.0 if none."""
    longest = 0.0
    first: Sample | None = None
    for sample in samples:
        if sample.ok:
            first = None
            continue
        first = first or sample
        longest = max(longest, sample.scheduled - first.scheduled + 1 / rate)
    return longest


def backends_during(markers: Sequence[Marker], span: tuple[float, float]) -> tuple[int, int]:
    """The fewest and most healthy backends during `span`, by the markers in force."""
    ordered = sorted(markers, key=lambda marker: marker.at)
    before = [marker for marker in ordered if marker.at <= span[0]]
    counts = [before[-1].backends] if before else []
    counts += [marker.backends for marker in ordered if span[0] < marker.at <= span[1]]
    return (min(counts), max(counts)) if counts else (0, 0)


def timeline(record: ProbeRecord, interval: float = 0.5) -> list[Bucket]:
    """The record in buckets of `interval` seconds by send time, from second 0, none left out
    (an interval without any request is an empty bucket)."""
    if interval <= 0:
        raise ValueError("a timeline's interval must be positive")
    last = max([record.duration, *(sample.sent for sample in record.samples)])
    count = max(1, math.ceil(last / interval))
    versions: list[Counter[str]] = [Counter() for _ in range(count)]
    errors = [0] * count
    for sample in record.samples:
        index = min(count - 1, max(0, int(sample.sent // interval)))
        if sample.ok:
            versions[index][sample.version] += 1
        else:
            errors[index] += 1
    return [Bucket(index * interval, dict(versions[index]), errors[index])
            for index in range(count)]
