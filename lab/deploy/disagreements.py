"""Where the measured strategy table disagrees with AWS's, cell by cell, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lab.deploy.strategy_table import (
    AUTOMATIC,
    AWS,
    BAD,
    BATCH,
    COMPARED,
    DOWNTIME,
    GOOD,
    MINIMAL,
    SHARE,
    SWITCH,
    SWITCH_BACK,
    Claim,
    Run,
    find,
    good_ranks,
    impact_cell,
    impact_kind,
    rollback_kind,
)


@dataclass(frozen=True)
class Flag:
    """A row where the measurement disagrees with AWS's table, and why."""

    strategy: str
    column: str
    reason: str


# --- where the measurement disagrees -------------------------------------------------------

WHY_IMPACT = {
    DOWNTIME: "every backend was out of the balancer at some moment",
    BATCH: "the old servers were not all kept and capacity dropped",
    SHARE: "the old servers were kept, but some requests met the new release",
    MINIMAL: "the old servers were kept and no request met the new release",
}
SLOWER = {
    "all-at-once": "it removes every old container before it makes the new ones, and waits "
                   "for them all; blue/green makes its new group beside the old one and "
                   "switches in one step",
    "rolling": "it replaces one batch after another, each waiting for its health check, "
               "while the strategies that make a whole new group start it at once (a "
               "container starts in about a second, so more of them at once costs little)",
    "rolling-batch": "it makes the extra batch, then replaces one batch after another, each "
                     "waiting for its health check, then removes the extra batch",
}
WHY_ROLLBACK = {
    ("rolling-batch", AUTOMATIC): "the bad release failed in the extra batch, before any "
                                  "existing server was touched, so there was nothing to "
                                  "redeploy; had a later batch failed, it would need a manual "
                                  "redeploy like rolling",
    ("blue-green", AUTOMATIC): "the switch back after the good release was not measured",
}


def flags(runs: Sequence[Run], fleet: int, evaluate: float = 0.0) -> list[Flag]:
    """Every cell where the measurement disagrees with AWS's table, with the reason."""
    ranked = good_ranks(runs)
    found: list[Flag] = []
    for strategy in COMPARED:
        good, bad = find(runs, strategy, GOOD), find(runs, strategy, BAD)
        if good is None or bad is None:
            continue
        claim = AWS[strategy]
        found += _impact(strategy, claim, bad, fleet)
        found += _deploy_time(strategy, claim, good, ranked.get(strategy), evaluate)
        found += _zero_downtime(strategy, claim, good)
        if not claim.no_dns_change:
            found.append(Flag(strategy, "No DNS change",
                              "the lab switches the balancer's backends rather than a DNS "
                              "name, so blue/green needs no DNS change here either"))
        found += _rollback(strategy, claim, bad, find(runs, strategy, SWITCH_BACK))
        if claim.existing and not good.old_kept:
            found.append(Flag(strategy, "Deployed to",
                              "the lab always makes new containers, a server's container is "
                              "never changed in place"))
    return found


def _impact(strategy: str, claim: Claim, bad: Run, fleet: int) -> list[Flag]:
    kind = impact_kind(bad, fleet)
    if kind in claim.impacts:
        return []
    return [Flag(strategy, "Impact of failed deployment",
                 f"AWS says {claim.row.impact!r}; measured {kind}: {WHY_IMPACT[kind]} "
                 f"({impact_cell(bad, fleet)})")]


def _deploy_time(strategy: str, claim: Claim, good: Run, rank: int | None,
                 evaluate: float) -> list[Flag]:
    if rank is None or good.summary is None:
        return [Flag(strategy, "Deploy time", f"the good release did not deploy: {good.message}")]
    if rank == claim.rank:
        return []
    if rank > claim.rank:
        why = SLOWER.get(strategy, "")
        if strategy == "traffic-split":
            why = f"it includes the {evaluate:g} s evaluation of the new group"
    else:
        why = ("containers start in seconds and a whole new group starts in parallel, so it "
               "costs little more than one batch; AWS ranks EC2 instances that take minutes "
               "to launch")
    return [Flag(strategy, "Deploy time",
                 f"AWS ranks it {claim.row.deploy_time}; measured rank {rank} "
                 f"({good.summary.deploy_seconds:.1f} s)" + (f": {why}" if why else ""))]


def _zero_downtime(strategy: str, claim: Claim, good: Run) -> list[Flag]:
    if good.summary is None:
        return []
    measured = good.summary.failed == 0
    if measured == claim.zero_downtime:
        return []
    if measured:
        return [Flag(strategy, "Zero downtime",
                     f"AWS says No, but no request of {good.summary.requests} failed")]
    return [Flag(strategy, "Zero downtime",
                 f"AWS says Yes, but {good.summary.failed} of {good.summary.requests} "
                 f"requests failed (longest error window "
                 f"{good.summary.longest_error_window:.2f} s)")]


def _rollback(strategy: str, claim: Claim, bad: Run, switch_back: Run | None) -> list[Flag]:
    kind = rollback_kind(bad, switch_back)
    if kind == claim.rollback or (claim.rollback == SWITCH and kind == AUTOMATIC
                                  and switch_back is not None and switch_back.succeeded):
        return []
    why = WHY_ROLLBACK.get((strategy, kind), f"the bad release ended with a {kind} rollback "
                                             f"({bad.message or 'no message'})")
    return [Flag(strategy, "Rollback", f"AWS says {claim.row.rollback!r}; measured {kind}: "
                                       f"{why}")]
