"""The strategies' comparison table: AWS's published rows (Elastic Beanstalk's five
deployment policies, and blue/green, its separate swap of environment URLs), and the rows
measured here, built from a good and a bad release deployed with each strategy.

Everything here is a pure function of the runs (lab.deploy.compare makes them), so it is
unit-tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from lab.deploy.summary import Summary

GOOD, BAD, SWITCH_BACK = "good", "bad", "switch back"
TIE = 0.15  # deploy times within 15% of a rank's fastest share its rank
COLUMNS = ("Method", "Impact of failed deployment", "Deploy time", "Zero downtime",
           "No DNS change", "Rollback", "Deployed to")
METHODS = {"all-at-once": "All at once", "rolling": "Rolling",
           "rolling-batch": "Rolling with additional batch", "immutable": "Immutable",
           "traffic-split": "Traffic splitting", "blue-green": "Blue/green"}

# What a failed deployment did to users, as kinds both tables can be compared by.
DOWNTIME, BATCH, SHARE, MINIMAL = "downtime", "batch", "share", "minimal"
# How a failed deployment ends.
MANUAL, AUTOMATIC, SWITCH = "manual", "automatic", "switch"


@dataclass(frozen=True)
class Row:
    """One line of a comparison table, each cell as the table shows it."""

    method: str
    impact: str
    deploy_time: str
    zero_downtime: str
    no_dns_change: str
    rollback: str
    deployed_to: str

    def cells(self) -> list[str]:
        return [self.method, self.impact, self.deploy_time, self.zero_downtime,
                self.no_dns_change, self.rollback, self.deployed_to]


@dataclass(frozen=True)
class Claim:
    """AWS's row for a strategy: as published, and as kinds the measurement is held to."""

    row: Row
    impacts: frozenset[str]  # the impact kinds that agree with AWS's words
    rank: int
    zero_downtime: bool
    no_dns_change: bool
    rollback: str
    existing: bool  # deployed to (some) existing instances, changed in place


AWS: dict[str, Claim] = {
    "all-at-once": Claim(Row("All at once", "Downtime", "1 (fastest)", "No", "Yes",
                             "Manual redeploy", "Existing instances"),
                         frozenset({DOWNTIME}), 1, False, True, MANUAL, True),
    "rolling": Claim(Row("Rolling", "Single batch out of service; earlier batches on new "
                                    "version", "2", "Yes", "Yes", "Manual redeploy",
                         "Existing instances"),
                     frozenset({BATCH}), 2, True, True, MANUAL, True),
    "rolling-batch": Claim(Row("Rolling with additional batch", "Minimal if first batch "
                               "fails, otherwise like rolling", "3", "Yes", "Yes",
                               "Manual redeploy", "New and existing instances"),
                           frozenset({MINIMAL, BATCH}), 3, True, True, MANUAL, True),
    "immutable": Claim(Row("Immutable", "Minimal", "4", "Yes", "Yes",
                           "Terminate new instances", "New instances"),
                       frozenset({MINIMAL}), 4, True, True, AUTOMATIC, False),
    "traffic-split": Claim(Row("Traffic splitting", "Share of traffic sent to the new version "
                               "affected", "4", "Yes", "Yes",
                               "Reroute traffic, terminate new instances", "New instances"),
                           frozenset({SHARE, MINIMAL}), 4, True, True, AUTOMATIC, False),
    # Not an Elastic Beanstalk deployment policy: a procedure of its own (clone the
    # environment, deploy to the clone, swap the environments' URLs), in the same table.
    "blue-green": Claim(Row("Blue/green", "Minimal", "4", "Yes", "No", "Swap URL",
                            "New instances"),
                        frozenset({MINIMAL}), 4, True, False, SWITCH, False),
}
COMPARED = tuple(AWS)  # every strategy but one-at-a-time, in AWS's order


@dataclass(frozen=True)
class Run:
    """One measured deployment of the comparison."""

    strategy: str
    release: str  # GOOD, BAD or SWITCH_BACK (blue/green's rollback after the good release)
    summary: Summary | None  # None when it failed before the probe measured anything
    succeeded: bool
    rolled_back: bool = False  # the failure put all traffic back on the old servers
    old_kept: bool = False  # the old servers' containers are the same ids afterwards
    message: str = ""

    def as_json(self) -> dict[str, object]:
        figures = asdict(self)
        figures["summary"] = self.summary.as_json() if self.summary else None
        return figures


# --- the measured table --------------------------------------------------------------------


def ranks(seconds: dict[str, float], tie: float = TIE) -> dict[str, int]:
    """Dense ranks, 1 the fastest; a time within `tie` of its rank's fastest shares it."""
    ranked: dict[str, int] = {}
    rank, first = 0, None
    for name, value in sorted(seconds.items(), key=lambda item: item[1]):
        if first is None or value > first * (1 + tie):
            rank, first = rank + 1, value
        ranked[name] = rank
    return ranked


def impact_kind(bad: Run, fleet: int) -> str:
    """What the bad release did to users: an outage, a batch lost with earlier ones changed,
    a share of traffic that met it, or nothing much."""
    summary = bad.summary
    if summary is None:
        return MINIMAL if bad.old_kept else DOWNTIME
    if summary.min_backends == 0:
        return DOWNTIME
    if not bad.old_kept:
        return BATCH if summary.min_backends < fleet or summary.failed else MINIMAL
    if len(summary.versions) > 1 or summary.failed:
        return SHARE
    return MINIMAL


def impact_cell(bad: Run, fleet: int) -> str:
    summary = bad.summary
    if summary is None:
        return f"not measured ({bad.message or 'no summary'})"
    versions = ", ".join(f"{version or '(empty)'}: {count}"
                         for version, count in summary.versions.items()) or "none"
    kept = "old servers kept" if bad.old_kept else "old servers replaced"
    return (f"{impact_kind(bad, fleet)}: {summary.failed} failed, "
            f"min {summary.min_backends}/{fleet} backends, {kept}; answers {versions}")


def rollback_kind(bad: Run, switch_back: Run | None) -> str:
    if switch_back is not None and switch_back.succeeded:
        return SWITCH
    return AUTOMATIC if bad.rolled_back else MANUAL


def rollback_cell(bad: Run, switch_back: Run | None) -> str:
    if bad.succeeded:
        cell = "none: the bad release was not caught"
    elif bad.rolled_back:
        cell = "automatic: new servers removed, old ones serve"
    else:
        cell = "manual redeploy"
    if switch_back is not None:
        seconds = switch_back.summary.rollback_seconds if switch_back.summary else None
        cell += (f"; switch back in {seconds:.2f} s" if switch_back.succeeded and seconds
                 is not None else "; switch back failed")
    return cell


def deploy_time_cell(good: Run, rank: int | None) -> str:
    if good.summary is None or rank is None:
        return "not measured"
    return f"{rank} ({good.summary.deploy_seconds:.1f} s)"


def zero_downtime_cell(good: Run) -> str:
    if good.summary is None:
        return "not measured"
    if good.summary.failed == 0:
        return "Yes (0 failed)"
    return (f"No ({good.summary.failed} failed, "
            f"{good.summary.longest_error_window:.2f} s window)")


def deployed_to_cell(good: Run) -> str:
    return "existing containers" if good.old_kept else "New containers (every time)"


def find(runs: Sequence[Run], strategy: str, release: str) -> Run | None:
    return next((run for run in runs if run.strategy == strategy and run.release == release),
                None)


def good_ranks(runs: Sequence[Run]) -> dict[str, int]:
    return ranks({run.strategy: run.summary.deploy_seconds for run in runs
                  if run.release == GOOD and run.succeeded and run.summary is not None})


def measured_rows(runs: Sequence[Run], fleet: int) -> dict[str, Row]:
    """The lab's table: a row for each strategy measured both ways."""
    ranked = good_ranks(runs)
    rows = {}
    for strategy in COMPARED:
        good, bad = find(runs, strategy, GOOD), find(runs, strategy, BAD)
        if good is None or bad is None:
            continue
        rows[strategy] = Row(METHODS[strategy], impact_cell(bad, fleet),
                             deploy_time_cell(good, ranked.get(strategy)),
                             zero_downtime_cell(good),
                             "Yes (the balancer's backends change)",
                             rollback_cell(bad, find(runs, strategy, SWITCH_BACK)),
                             deployed_to_cell(good))
    return rows
