"""Deployment strategies on an exercise's fleet behind its load balancer: AWS Elastic
Beanstalk's five deployment policies (all at once, rolling, rolling with an additional batch,
immutable, traffic splitting) and blue/green, which Elastic Beanstalk does not run as a policy
but as a procedure of its own (clone the environment, swap the environments' URLs). Each says
which containers are made, when traffic moves, and what a failure leaves.

Each strategy works through a Rollout: it makes containers (health-checked), changes the
balancer's backends (a graceful reload) and removes containers, and marks every change of
capacity on the probe's clock, so the summary can say what users saw at each moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from lab.deploy.balancer import Backend
from lab.deploy.health import Health
from lab.deploy.release import Release
from lab.docker.containers import ContainerInfo
from lab.errors import LabError, UsageError
from lab.exercises.schema import Server
from lab.fleet import members
from lab.fleet.engine import DOCKER, FleetEngine
from lab.parallel import map_in_threads

ONE_AT_A_TIME = "one-at-a-time"  # without a balancer: each server replaced in turn
STRATEGIES = (ONE_AT_A_TIME, "all-at-once", "rolling", "rolling-batch", "immutable",
              "traffic-split", "blue-green")
DRAIN_SECONDS = 0.3  # after a backend leaves the balancer, before its container goes
HEALTH_EVERY = 0.5  # how often traffic splitting asks the new group's /health
PARALLEL = 8  # containers made or removed at once


class StrategyFailed(LabError):
    """The new release failed its health checks; `rolled_back` says whether the old servers
    took all the traffic back (immutable, traffic splitting) or not (the others)."""

    def __init__(self, message: str, remedy: str = "", rolled_back: bool = False) -> None:
        super().__init__(message, remedy)
        self.rolled_back = rolled_back


@dataclass(frozen=True)
class Options:
    strategy: str = "rolling"
    batch: int = 1
    canary: int = 10  # percent of traffic for the new group while it is evaluated
    evaluate: float = 10.0  # seconds the new group is evaluated for

    def checked(self, servers: int) -> Options:
        if self.strategy not in STRATEGIES:
            raise UsageError(f"unknown strategy {self.strategy!r}",
                             f"Pick one of: {', '.join(STRATEGIES)}.")
        if not 1 <= self.batch <= servers:
            raise UsageError(f"--batch {self.batch} does not fit a fleet of {servers}",
                             f"Give 1 to {servers}.")
        if not 1 <= self.canary <= 99:
            raise UsageError(f"--canary {self.canary} is not a share of traffic",
                             "Give a percentage from 1 to 99.")
        return self


@dataclass
class Live:
    """A container serving (or about to): which server it stands for, and where it is."""

    server: Server
    container_id: str
    address: str
    name: str


@dataclass
class Rollout:
    """The tools a strategy works with, and what it did (for the record)."""

    release: Release
    balancer_id: str
    mark: Callable[[int, str], None]  # (healthy backends from now on, note)
    report: Callable[[str], None]
    engine: FleetEngine = DOCKER
    replaced: list[str] = field(default_factory=list)
    standby: list[str] = field(default_factory=list)  # blue, after a blue/green switch
    rollback_span: tuple[float, float] | None = None
    clock: Callable[[], float] = time.monotonic
    alive: int = 0  # server containers running now, standby and extra ones included
    peak: int = 0  # the most that ran at once: what the strategy cost in servers

    def count(self, alive: int) -> None:
        """Start counting containers from the `alive` running before the strategy."""
        self.alive = self.peak = alive

    # --- looking -------------------------------------------------------------------------

    @property
    def servers(self) -> list[Server]:
        return self.release.servers

    def running(self) -> list[Live]:
        """The fleet's server containers as they are now, in server order."""
        release = self.release
        return self._lives(info for info in members.servers(
            release.settings, release.exercise.id, self.engine) if info.running)

    def standing_by(self, standby_ids: Sequence[str]) -> list[Live]:
        """The containers a blue/green switch set aside, those still there, in server order."""
        release = self.release
        return self._lives(info for info in self.engine.containers(
            student=release.settings.student, exercise=release.exercise.id)
            if info.id in standby_ids)

    def _lives(self, infos: Iterable[ContainerInfo]) -> list[Live]:
        network = self.release.names.network
        by_name = {server.name: server for server in self.servers}
        found = [Live(by_name[members.server_name(info)], info.id,
                      self.engine.address(info.id, network), info.name)
                 for info in infos if members.server_name(info) in by_name]
        return sorted(found, key=lambda live: self.servers.index(live.server))

    # --- changing ------------------------------------------------------------------------

    def make(self, servers: Sequence[Server], suffix: str,
             healthy_first: bool = True) -> list[tuple[Live, Health]]:
        """New containers of the image (named NAME+suffix), made at once, each judged: healthy,
        or (healthy_first=False) merely answering, to be judged later under traffic."""
        self.alive += len(servers)  # they run (and cost) from now, healthy or not
        self.peak = max(self.peak, self.alive)
        return map_in_threads(lambda server: self._make_one(server, suffix, healthy_first),
                              list(servers), workers=PARALLEL, name="strategy")

    def _make_one(self, server: Server, suffix: str,
                  healthy_first: bool) -> tuple[Live, Health]:
        spec = self.release.spec(server, suffix)
        container_id = self.engine.create(spec)
        wait = self.engine.wait_healthy if healthy_first else self.engine.wait_answering
        verdict = wait(container_id)
        live = Live(server, container_id,
                    self.engine.address(container_id, self.release.names.network), spec.name)
        return live, verdict

    def route(self, backends: Sequence[Backend], note: str) -> None:
        """Point the balancer at these backends (one graceful reload) and mark it."""
        self.engine.set_backends(self.balancer_id, backends)
        self.mark(len(backends), note)
        self.report(note)

    def remove(self, lives: Sequence[Live]) -> None:
        self.alive -= len(lives)
        map_in_threads(lambda live: self.engine.remove(live.container_id), list(lives),
                       workers=PARALLEL, name="strategy")

    def settle(self, lives: Sequence[Live]) -> None:
        """Give the new containers their servers' own names, the old ones being gone."""
        for live in lives:
            canonical = self.release.names.container(live.server.name)
            if live.name != canonical:
                self.engine.rename(live.container_id, canonical)
                live.name = canonical
            self.replaced.append(live.server.name)

    def set_aside(self, lives: Sequence[Live]) -> None:
        """Blue steps aside under names of its own, so green can take the servers' names."""
        for live in lives:
            live.name = live.name + "-blue"
            self.engine.rename(live.container_id, live.name)
        self.standby.extend(live.container_id for live in lives)


def backends(lives: Sequence[Live], weight: int = 1) -> list[Backend]:
    return [Backend(live.server.name, live.address, weight) for live in lives]


def failed(made: Sequence[tuple[Live, Health]]) -> list[str]:
    return [f"{live.server.name} ({verdict.detail})" for live, verdict in made if not verdict.ok]


def run(rollout: Rollout, options: Options) -> None:
    """Deploy with the chosen strategy; raises StrategyFailed when the release is unhealthy."""
    {
        ONE_AT_A_TIME: rolling,
        "all-at-once": all_at_once,
        "rolling": rolling,
        "rolling-batch": rolling_with_batch,
        "immutable": immutable,
        "traffic-split": traffic_split,
        "blue-green": blue_green,
    }[options.strategy](rollout, options)


# --- the strategies ------------------------------------------------------------------------


def all_at_once(rollout: Rollout, options: Options) -> None:
    """Every server replaced at the same moment: the fastest, and an outage while they start."""
    old = rollout.running()
    rollout.mark(0, "every server replaced at once")  # users lose them from this moment
    rollout.remove(old)
    made = rollout.make(rollout.servers, suffix="")
    healthy = [live for live, verdict in made if verdict.ok]
    rollout.route(backends(healthy), f"{len(healthy)} new servers in the balancer")
    rollout.settle([live for live, _ in made])
    if failed(made):
        raise StrategyFailed(f"unhealthy after all at once: {', '.join(failed(made))}; every "
                             "server runs the new release, so users see the failure",
                             "Deploy the previous image again (`lab rollback`).")


def rolling(rollout: Rollout, options: Options) -> None:
    """Batches of N taken out of the balancer, replaced, checked and put back."""
    _roll(rollout, options.batch, extra=[])


def _roll(rollout: Rollout, size: int, extra: list[Live]) -> None:
    extra_ids = {live.container_id for live in extra}  # they stand for servers too: not these
    lives = [live for live in rollout.running() if live.container_id not in extra_ids]
    serving = {live.server.name: live for live in lives}
    for start in range(0, len(rollout.servers), size):
        batch = rollout.servers[start:start + size]
        names = ", ".join(server.name for server in batch)
        staying = [live for name, live in serving.items()
                   if name not in {server.name for server in batch}]
        rollout.route(backends(staying + extra), f"{names} out of the balancer")
        time.sleep(DRAIN_SECONDS)
        rollout.remove([serving[server.name] for server in batch if server.name in serving])
        made = rollout.make(batch, suffix="")
        rollout.settle([live for live, _ in made])
        if failed(made):
            rollout.route(backends(staying + extra), f"{names} stay out: unhealthy")
            raise StrategyFailed(
                f"batch {names} failed its health check: {', '.join(failed(made))}; the "
                f"rollout stopped with {start} server(s) already on the new release",
                "Deploy the previous image again (`lab rollback`).")
        for live, _ in made:
            serving[live.server.name] = live
        rollout.route(backends(list(serving.values()) + extra), f"{names} back, new release")


def rolling_with_batch(rollout: Rollout, options: Options) -> None:
    """First N extra servers of the new release, so capacity never drops; then rolling; the
    extra batch goes at the end."""
    extras = rollout.make(rollout.servers[:options.batch], suffix="-extra")
    if failed(extras):
        rollout.remove([live for live, _ in extras])
        raise StrategyFailed(f"the extra batch failed its health check: "
                             f"{', '.join(failed(extras))}; the old servers never noticed",
                             "Fix the image and deploy again.", rolled_back=True)
    extra = [live for live, _ in extras]
    current = rollout.running()
    current = [live for live in current if live.container_id not in
               {item.container_id for item in extra}]
    rollout.route(backends(current + extra), f"{len(extra)} extra server(s) in the balancer")
    try:
        _roll(rollout, options.batch, extra)
    finally:
        serving = [live for live in rollout.running()
                   if live.container_id not in {item.container_id for item in extra}]
        rollout.route(backends(serving), "the extra batch out of the balancer")
        time.sleep(DRAIN_SECONDS)
        rollout.remove(extra)


def immutable(rollout: Rollout, options: Options) -> None:
    """A second, temporary group: one new server first, then the rest; all healthy, they take
    the traffic and the old servers go. On failure the new group goes, unnoticed."""
    old = rollout.running()
    first = rollout.make(rollout.servers[:1], suffix="-new")
    made = first + (rollout.make(rollout.servers[1:], suffix="-new") if not failed(first)
                    else [])
    if failed(made):
        _abandon(rollout, [live for live, _ in made], old)
        raise StrategyFailed(f"the new group failed its health check: {', '.join(failed(made))};"
                             " it was removed, and the old servers kept serving",
                             "Fix the image and deploy again.", rolled_back=True)
    new = [live for live, _ in made]
    rollout.route(backends(old + new), f"{len(new)} new servers join the {len(old)} old")
    rollout.route(backends(new), "the old servers leave the balancer")
    time.sleep(DRAIN_SECONDS)
    rollout.remove(old)
    rollout.settle(new)


def traffic_split(rollout: Rollout, options: Options) -> None:
    """A full new group takes PCT% of the traffic while it is evaluated; healthy, it takes all
    of it; unhealthy, the traffic goes back and the new group goes."""
    old = rollout.running()
    made = rollout.make(rollout.servers, suffix="-new", healthy_first=False)
    new = [live for live, _ in made]
    if failed(made):
        _abandon(rollout, new, old)
        raise StrategyFailed(f"the new group did not answer before taking traffic: "
                             f"{', '.join(failed(made))}; it was removed",
                             "Fix the image and deploy again.", rolled_back=True)
    rollout.route(backends(old, 100 - options.canary) + backends(new, options.canary),
                  f"{options.canary}% of traffic to the new group for {options.evaluate:g} s")
    problem = _evaluate(rollout, new, options.evaluate)
    if problem:
        began = rollout.clock()
        _abandon(rollout, new, old)
        rollout.rollback_span = (began, rollout.clock())
        raise StrategyFailed(f"the new group turned unhealthy while it took {options.canary}% "
                             f"of traffic: {problem}; traffic went back to the old servers",
                             "Fix the image and deploy again.", rolled_back=True)
    rollout.route(backends(new), "all traffic to the new group")
    time.sleep(DRAIN_SECONDS)
    rollout.remove(old)
    rollout.settle(new)


def _evaluate(rollout: Rollout, new: Sequence[Live], seconds: float) -> str:
    """Ask every new server's /health through the evaluation; the first bad answer, or ''."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for live in new:
            verdict = rollout.engine.wait_healthy(live.container_id, timeout=2.0)
            if not verdict.ok:
                return f"{live.server.name}: {verdict.detail}"
        time.sleep(HEALTH_EVERY)
    return ""


def _abandon(rollout: Rollout, new: Sequence[Live], old: Sequence[Live]) -> None:
    rollout.route(backends(old), "traffic back to the old servers only")
    time.sleep(DRAIN_SECONDS)
    rollout.remove(new)


def blue_green(rollout: Rollout, options: Options) -> None:
    """A second full environment (green); the balancer switches to it in one step. Blue stays
    on standby until the next deployment: `lab rollback` switches back in one step."""
    blue = rollout.running()
    made = rollout.make(rollout.servers, suffix="-green")
    green = [live for live, _ in made]
    if failed(made):
        rollout.remove(green)
        raise StrategyFailed(f"green failed its health check: {', '.join(failed(made))}; "
                             "blue never stopped serving", "Fix the image and deploy again.",
                             rolled_back=True)
    rollout.route(backends(green), "the balancer switched to green")
    rollout.set_aside(blue)
    rollout.settle(green)


def switch_back(rollout: Rollout, standby_ids: Sequence[str]) -> None:
    """Blue/green's rollback: the balancer back to blue in one step, green removed."""
    blue = rollout.standing_by(standby_ids)
    if len(blue) != len(standby_ids):
        raise StrategyFailed("blue is not all there any more, so there is nothing to switch back "
                             "to", "Deploy the previous image (`lab deploy TAG`).")
    green = rollout.running()
    began = rollout.clock()
    rollout.route(backends(blue), "the balancer switched back to blue")
    rollout.rollback_span = (began, rollout.clock())
    time.sleep(DRAIN_SECONDS)
    rollout.remove(green)
    rollout.settle(blue)
