"""`lab compare`: every strategy deployed with a good release and a bad one, each measured under
the probe, from the same old image every time (lab.deploy.strategy_table turns the runs into
the measured table, lab.deploy.disagreements says where it differs from AWS's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from lab import learner
from lab.deploy import builds, rollout
from lab.deploy.disagreements import flags
from lab.deploy.state import StateStore
from lab.deploy.strategies import Options
from lab.deploy.strategy_table import AWS, BAD, COMPARED, GOOD, SWITCH_BACK, Run, measured_rows
from lab.deploy.under_traffic import Measured
from lab.errors import LabError, UsageError
from lab.fleet import members
from lab.settings import Settings

Progress = Callable[[Run], None]
OnMeasured = Callable[[Run, Measured], None]


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
    exercise = learner.current(settings)
    return {info.id: info.image_id for info in members.servers(settings, exercise.id)
            if info.running}


def _server_ids(settings: Settings) -> frozenset[str]:
    return frozenset(_server_images(settings))
