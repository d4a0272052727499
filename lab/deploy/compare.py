"""`lab compare`: every strategy with a good release and a bad one, measured under the probe,
and the measured table beside AWS's published one, with each disagreement explained.

`run` does the deployments (it needs Docker); everything after it — the measured cells, the
deploy-time ranks and the flags — is pure functions of the runs, so it is unit-tested.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from lab.errors import LabError, UsageError

if TYPE_CHECKING:
    from lab.deploy.measure import Summary
    from lab.deploy.measured import Measured
    from lab.settings import Settings

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


@dataclass(frozen=True)
class Flag:
    """A row where the measurement disagrees with AWS's table, and why."""

    strategy: str
    column: str
    reason: str


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


# --- running it ----------------------------------------------------------------------------

Progress = Callable[[Run], None]
OnMeasured = Callable[[Run, "Measured"], None]


@dataclass(frozen=True)
class Plan:
    old: str = "v1"  # the fleet's image before every run
    good: str = "v2"
    bad: str = "v3"
    rate: float | None = None
    evaluate: float = 10.0


@dataclass(frozen=True)
class Comparison:
    plan: Plan
    fleet: int
    runs: tuple[Run, ...]

    def as_json(self) -> dict[str, object]:
        rows = measured_rows(self.runs, self.fleet)
        return {
            "from": self.plan.old, "good": self.plan.good, "bad": self.plan.bad,
            "rate": self.plan.rate, "evaluate": self.plan.evaluate, "servers": self.fleet,
            "runs": [run.as_json() for run in self.runs],
            "measured": {strategy: asdict(row) for strategy, row in rows.items()},
            "aws": {strategy: asdict(claim.row) for strategy, claim in AWS.items()},
            "flags": [asdict(flag) for flag in flags(self.runs, self.fleet, self.plan.evaluate)],
        }


def run(settings: Settings, plan: Plan, progress: Progress, report: Callable[[str], None],
        on_measured: OnMeasured | None = None,
        strategies: Sequence[str] = COMPARED) -> Comparison:
    """Each strategy with the good and the bad release, each from the old image."""
    from lab import learner
    from lab.deploy import builds

    exercise, _ = learner.running(settings)
    if not exercise.spec.load_balancer:
        raise UsageError(f"{exercise.id} has no load balancer, so there are no strategies to "
                         "compare", "`lab start 12` starts the exercise made for it.")
    for reference in (plan.old, plan.good, plan.bad):
        builds.resolve(settings, reference)  # a missing image is said before anything runs
    runs: list[Run] = []
    for strategy in strategies:
        for release, reference in ((GOOD, plan.good), (BAD, plan.bad)):
            _restore(settings, plan, report)
            done = _measure(settings, plan, strategy, release, reference, report, on_measured)
            runs.append(done)
            progress(done)
            if strategy == "blue-green" and release == GOOD and done.succeeded:
                back = _switch_back(settings, plan, report, on_measured)
                runs.append(back)
                progress(back)
    _restore(settings, plan, report)
    return Comparison(plan, len(exercise.spec.server_names), tuple(runs))


def _measure(settings: Settings, plan: Plan, strategy: str, release: str, reference: str,
             report: Callable[[str], None], on_measured: OnMeasured | None) -> Run:
    from lab.deploy import rollout
    from lab.deploy.strategies import Options

    seen: list[Measured] = []
    before = _server_ids(settings)
    try:
        rollout.deploy(settings, reference, report, rate=plan.rate, on_measured=seen.append,
                       options=Options(strategy, evaluate=plan.evaluate))
        succeeded, rolled_back, message = True, False, ""
    except LabError as failure:
        succeeded, message = False, failure.line()
        rolled_back = bool(getattr(failure, "rolled_back", False))
    done = Run(strategy, release, seen[-1].summary if seen else None, succeeded, rolled_back,
               old_kept=before <= _server_ids(settings), message=message)
    if seen and on_measured is not None:
        on_measured(done, seen[-1])
    return done


def _switch_back(settings: Settings, plan: Plan, report: Callable[[str], None],
                 on_measured: OnMeasured | None) -> Run:
    from lab.deploy import rollout

    seen: list[Measured] = []
    try:
        rollout.rollback(settings, report, rate=plan.rate, on_measured=seen.append)
        succeeded, message = True, ""
    except LabError as failure:
        succeeded, message = False, failure.line()
    done = Run("blue-green", SWITCH_BACK, seen[-1].summary if seen else None, succeeded,
               message=message)
    if seen and on_measured is not None:
        on_measured(done, seen[-1])
    return done


def _restore(settings: Settings, plan: Plan, report: Callable[[str], None]) -> None:
    """The fleet back on the old image (a plain rolling deploy, not measured here), unless it
    already runs it on every server with no blue/green standby left."""
    from lab import learner
    from lab.deploy import builds, rollout
    from lab.deploy.state import StateStore

    exercise = learner.current(settings)
    image = builds.resolve(settings, plan.old)
    state = StateStore.of(settings, exercise.id).load()
    running = _server_images(settings)
    if (not state.standby and len(running) == len(exercise.spec.server_names)
            and set(running.values()) == {image.id}):
        return
    rollout.deploy(settings, plan.old, report, rate=plan.rate)


def _server_images(settings: Settings) -> dict[str, str]:
    """The running servers' containers: id -> image id."""
    from lab import fleet, learner

    exercise = learner.current(settings)
    return {info.id: info.image_id for info in fleet.servers(settings, exercise.id)
            if info.running}


def _server_ids(settings: Settings) -> frozenset[str]:
    return frozenset(_server_images(settings))
