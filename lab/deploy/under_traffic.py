"""A deployment behind the exercise's load balancer, run under traffic: a strategy runs while
the probe sends steady requests through the balancer, and the summary of what users saw is
recorded with it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from lab.deploy import balancer, strategies
from lab.deploy.release import Release
from lab.deploy.state import StateStore
from lab.deploy.strategies import Options, Rollout
from lab.deploy.summary import Marker, Summary, summarize
from lab.deploy.traffic import Probe, ProbeRecord
from lab.docker.containers import ContainerInfo
from lab.errors import LabError
from lab.fleet.engine import DOCKER, FleetEngine

Report = Callable[[str], None]
LEAD_SECONDS = 1.0  # traffic before the deployment starts: the baseline users had
TAIL_SECONDS = 1.0  # and after it ends: what it left behind
DEFAULT_RATE = 50.0
SWITCH_BACK = "switch back"  # blue/green's rollback, as the history and --json name it


@dataclass(frozen=True)
class Measured:
    """A deployment's probe record, capacity marks and summary."""

    record: ProbeRecord
    markers: tuple[Marker, ...]
    summary: Summary
    strategy: str  # the strategy that ran, or SWITCH_BACK
    kind: str = "deploy"  # "deploy" or "rollback", as the history records it

    @property
    def title(self) -> str:
        """What moved the traffic, in words: a plot's title, a switch back said as one."""
        return "switch back to blue" if self.strategy == SWITCH_BACK else self.strategy


class MeasuredFailure(LabError):
    """The release failed under a strategy; the measurement is still there to be shown."""

    def __init__(self, failure: LabError, measured: Measured) -> None:
        super().__init__(failure.message, failure.remedy)
        self.measured = measured
        self.recorded = False  # set once the history holds it
        self.rolled_back = bool(getattr(failure, "rolled_back", False))
        self.replaced: tuple[str, ...] = ()  # servers the failed release replaced anyway


def run(release: Release, store: StateStore, balancer_info: ContainerInfo, options: Options,
        rate: float, report: Report, *, switch_back: bool = False, kind: str = "deploy",
        engine: FleetEngine = DOCKER) -> tuple[Rollout, Measured]:
    """Run the strategy (or blue/green's switch back) under the probe; MeasuredFailure when
    the release was unhealthy, after everything was recorded."""
    probe = Probe(balancer.url(balancer_info), rate=rate)
    markers: list[Marker] = []
    rollout = Rollout(
        release, balancer_info.id,
        mark=lambda backends, note: markers.append(Marker(probe.now(), backends, note)),
        report=report, engine=engine, clock=probe.now)
    previous = store.load()
    probe.start()
    failure: LabError | None = None
    try:
        time.sleep(LEAD_SECONDS)
        markers.append(Marker(probe.now(), len(engine.backends(balancer_info.id)), "before"))
        began = probe.now()
        try:
            if switch_back:
                rollout.count(len(rollout.running()) + len(previous.standby))
                strategies.switch_back(rollout, previous.standby)
            else:
                _retire_standby(previous.standby, engine)
                rollout.count(len(rollout.running()))
                strategies.run(rollout, options)
        except strategies.StrategyFailed as failed:
            failure = failed
        ended = probe.now()
        time.sleep(TAIL_SECONDS)
    finally:
        record = probe.stop()
    summary = summarize(record, markers, (began, ended), rollout.rollback_span,
                        servers=rollout.peak)
    measured = Measured(record, tuple(markers), summary,
                        SWITCH_BACK if switch_back else options.strategy, kind)
    if failure is not None:
        problem = MeasuredFailure(failure, measured)
        problem.replaced = tuple(rollout.replaced)
        raise problem
    return rollout, measured


def _retire_standby(standby: tuple[str, ...], engine: FleetEngine) -> None:
    """A new deployment ends the standby of the one before: blue is not needed any more."""
    for container_id in standby:
        engine.remove(container_id)
