"""`lab reconcile`: a desired-state loop. The recorded image and servers are compared with
what runs; missing servers are made, stopped, foreign or drifted ones replaced; with a maximum
age, servers older than it are replaced too, one at a time (a phoenix fleet's rotation)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lab import drift, learner
from lab.deploy.balancer import Backend
from lab.deploy.health import Health
from lab.deploy.release import Release, replace_server
from lab.deploy.state import Desired, Event, FleetState, StateStore, utc_now
from lab.docker.containers import ContainerInfo
from lab.errors import LabError, StateError, UsageError
from lab.exercises.schema import Exercise
from lab.fleet import members
from lab.fleet.engine import DOCKER, FleetEngine
from lab.fleet.specs import Names
from lab.locking import state_lock
from lab.parallel import map_in_threads
from lab.settings import Settings

Report = Callable[[str], None]
POLL_SECONDS = 0.5  # how often --watch looks at the containers: a cheap list call
DRIFT_EVERY = 5.0  # how often --watch asks for drift: a `docker diff` of every server
RETRY_AFTER = 10.0  # a server whose repair failed is left alone this long before retrying
FAILURES_IN_A_ROW = 5  # --watch gives up after this many passes failed one after another
DRAIN_SECONDS = 0.3  # after a server leaves the balancer, before a rotation removes it
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TOO_OLD = "older than"  # how a rotation's reason begins, in its event's detail


@dataclass(frozen=True)
class Action:
    """One repair: `create` a missing server, `replace` a wrong one, `remove` an extra one."""

    server: str
    kind: str
    reason: str
    container_id: str = ""  # the container found, if any

    @property
    def text(self) -> str:
        verb = {"create": "recreated", "replace": "replaced", "remove": "removed"}[self.kind]
        return f"{self.server}: {self.reason}; {verb}"


def short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def plan(desired: Desired, observed: Sequence[ContainerInfo],
         drifted: Collection[str] = ()) -> list[Action]:
    """What to do so that `observed` (the exercise's server containers) becomes `desired`."""
    by_server: dict[str, list[ContainerInfo]] = {}
    for info in observed:
        by_server.setdefault(members.server_name(info), []).append(info)
    actions = []
    for name in desired.servers:
        found = by_server.pop(name, [])
        if not found:
            actions.append(Action(name, "create", "missing"))
            continue
        actions += [Action(name, "remove", "a second container", extra.id)
                    for extra in found[1:]]
        reason = _wrong(found[0], desired, name in drifted)
        if reason:
            actions.append(Action(name, "replace", reason, found[0].id))
    for name, extras in sorted(by_server.items()):
        actions += [Action(name, "remove", "not in the desired state", info.id)
                    for info in extras]
    return actions


def _wrong(info: ContainerInfo, desired: Desired, drifted: bool) -> str:
    if not info.running:
        return f"was {info.state}"
    if info.image_id != desired.image_id:
        return f"runs image {short(info.image_id)}, not the desired {short(desired.image_id)}"
    if drifted:
        return "drifted from its image"
    return ""


def parse_age(text: str) -> float:
    """Seconds in a duration like 90s, 10m, 2h, 1d or 1h30m; UsageError for anything else."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", text.strip().lower())
    spelled = "".join(number + unit for number, unit in parts)
    seconds = sum(float(number) * UNITS[unit] for number, unit in parts)
    if not parts or spelled != text.strip().lower():
        raise UsageError(f"--max-age {text!r} is not a duration",
                         "Write a number and a unit (s, m, h or d), like 90s, 10m or 2h.")
    if seconds <= 0:
        raise UsageError(f"--max-age {text!r} is no age at all: every server would be "
                         "replaced at every pass", "Give a duration longer than 0, like 90s.")
    return seconds


def age_text(seconds: float) -> str:
    """'45s', '12m', '3h': an age as people say it, rounded down."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def limit_text(seconds: float) -> str:
    """A maximum age in its largest whole unit: 600 -> '10m', 90 -> '90s' (never rounded)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def too_old(desired: Desired, observed: Sequence[ContainerInfo], max_age: float,
            now: datetime) -> list[Action]:
    """A replacement, in the desired servers' order, for each server whose running container
    of the desired image was made more than `max_age` seconds before `now`. Servers that are
    missing, stopped or on another image are left to `plan`: they are wrong, not merely old."""
    first: dict[str, ContainerInfo] = {}
    for each in observed:
        first.setdefault(members.server_name(each), each)
    actions = []
    for name in desired.servers:
        info = first.get(name)
        if info is None or not info.running or info.image_id != desired.image_id:
            continue
        age = (now - info.created).total_seconds()
        if age > max_age:
            actions.append(Action(name, "replace", f"{TOO_OLD} {limit_text(max_age)} "
                                                   f"(made {age_text(age)} ago)", info.id))
    return actions


def recorder(event: Event) -> Callable[[FleetState], FleetState]:
    """A change of the fleet's state that records one event."""
    return lambda state: state.with_events(event)


@dataclass
class Reconciler:
    """One exercise's loop; remembers failed repairs so a broken image is not retried at once."""

    settings: Settings
    exercise: Exercise
    report: Report
    engine: FleetEngine = DOCKER
    failed_at: dict[str, float] = field(default_factory=dict)
    key: str = ""
    halted: str = ""  # the desired image whose rotation made an unhealthy server: no more

    @classmethod
    def current(cls, settings: Settings, report: Report,
                engine: FleetEngine = DOCKER) -> Reconciler:
        reconciler = cls(settings, learner.current(settings), report, engine)
        reconciler.desired()  # one clear error before anything else
        reconciler.public_key()  # and the slow import of the SSH code before any repair
        return reconciler

    def desired(self) -> Desired:
        desired = StateStore.of(self.settings, self.exercise.id).load().desired
        if desired is None:
            raise StateError(f"nothing was deployed to {self.exercise.id} yet, so the lab has no "
                             "desired state to keep", "Deploy an image first: `lab deploy TAG`.")
        return desired

    def public_key(self) -> str:
        """The lab's key, given to every server made; read once, not at each repair."""
        if not self.key:
            self.key = self.engine.server_key(self.settings)
        return self.key

    def observe(self) -> list[ContainerInfo]:
        return members.servers(self.settings, self.exercise.id, self.engine)

    def _running(self) -> tuple[Exercise, list[ContainerInfo]]:
        return self.exercise, members.fleet_containers(self.settings, self.exercise.id,
                                                       self.engine)

    def drifted(self, desired: Desired, observed: Sequence[ContainerInfo]) -> set[str]:
        """Servers whose running container changed since its image (per `lab drift`)."""
        candidates = [members.server_name(info) for info in observed
                      if info.running and info.image_id == desired.image_id]
        if not candidates:
            return set()
        found = drift.exercise_drift(self.settings, self._running, candidates)
        return {server.name for server in found.drifted}

    def once(self, check_drift: bool = True) -> list[Action]:
        """Look, and repair what differs; returns the repairs made."""
        desired = self.desired()
        observed = self.observe()
        drifted = self.drifted(desired, observed) if check_drift else set()
        if not self._due(plan(desired, observed, drifted)):
            return []
        with state_lock(self.settings, self.report):
            # A deployment may have run meanwhile: look again before acting.
            desired = self.desired()
            actions = self._due(plan(desired, self.observe(), drifted))
            return self._apply(desired, actions)

    def _due(self, actions: list[Action]) -> list[Action]:
        now = time.monotonic()
        return [action for action in actions
                if now - self.failed_at.get(action.server, -RETRY_AFTER) >= RETRY_AFTER]

    def _apply(self, desired: Desired, actions: list[Action]) -> list[Action]:
        if not actions:
            return []
        store = StateStore.of(self.settings, self.exercise.id)

        def repair(action: Action) -> Event:
            # Recorded as soon as it is made: a repair that Ctrl-C interrupts the loop
            # around still ends (its thread is not killed), and must not go unrecorded.
            event = self._repair(desired, action)
            store.update(lambda state: state.with_events(event))
            return event

        outcomes = map_in_threads(repair, actions, workers=8, name="reconcile")
        if self.exercise.spec.load_balancer:  # the balancer must send to the new containers
            members.sync_balancer(self.settings, self.exercise.id, self.engine)
        return [action for action, event in zip(actions, outcomes, strict=True)
                if not event.detail.startswith("failed")]

    def rotate(self, max_age: float, limit: int | None = None) -> list[Action]:
        """Replace the servers older than `max_age` seconds (at most `limit` of them), one at a
        time as a rolling deployment does: out of the balancer, replaced, health-checked,
        back in. Stops at the first that comes back unhealthy; returns the ones replaced."""
        desired = self.desired()
        if desired.image_id == self.halted \
                or not too_old(desired, self.observe(), max_age, utc_now()):
            return []
        store = StateStore.of(self.settings, self.exercise.id)
        done: list[Action] = []
        with state_lock(self.settings, self.report):
            desired = self.desired()  # a deployment may have run meanwhile
            for action in too_old(desired, self.observe(), max_age, utc_now())[:limit]:
                self._drain(action.server)
                event = self._repair(desired, action)
                store.update(recorder(event))
                if self.exercise.spec.load_balancer:
                    members.sync_balancer(self.settings, self.exercise.id, self.engine)
                if event.detail.startswith("failed"):
                    # A new container that fails would fail on the next server too: rotating
                    # on would take the fleet down one server at a time. A deployment resumes.
                    self.halted = desired.image_id
                    self.report("rotation stopped: a new server of the desired image is "
                                "unhealthy; the others are left as they are")
                    break
                done.append(action)
        return done

    def _drain(self, server: str) -> None:
        """Take the server out of the exercise's balancer, if it has one, before it goes."""
        balancer = members.load_balancer(self.settings, self.exercise.id, self.engine)
        if balancer is None:
            return
        network = Names(self.settings.student, self.exercise.id).network
        staying = [Backend(members.server_name(info), self.engine.address(info.id, network))
                   for info in self.observe()
                   if info.running and members.server_name(info) != server]
        self.engine.set_backends(balancer.id, staying)
        time.sleep(DRAIN_SECONDS)

    def _repair(self, desired: Desired, action: Action) -> Event:
        if action.kind == "remove":
            self.engine.remove(action.container_id)
            self.report(action.text)
            return Event(at=utc_now(), kind="remove", server=action.server,
                         container_id=action.container_id, detail=action.reason)
        began = time.monotonic()
        try:
            container_id, verdict = self._remake(desired, action.server)
        except LabError as failure:  # e.g. the engine still holds the name of a removed one
            container_id, verdict = "", Health(False, failure.line())
        seconds = time.monotonic() - began
        if not verdict.ok:
            self.failed_at[action.server] = time.monotonic()
            self.report(f"{action.server}: {action.reason}; its new container is unhealthy "
                        f"({verdict.detail}); retrying in {RETRY_AFTER:.0f} s")
            return Event(at=utc_now(), kind=action.kind, server=action.server,
                         container_id=container_id, detail=f"failed: {verdict.detail}")
        self.failed_at.pop(action.server, None)
        self.report(f"{action.text}, healthy in {seconds:.1f} s")
        return Event(at=utc_now(), kind=action.kind, server=action.server,
                     container_id=container_id, detail=action.reason)

    def _remake(self, desired: Desired, name: str) -> tuple[str, Health]:
        server = next(item for item in self.exercise.spec.planned_servers() if item.name == name)
        release = Release(self.settings, self.exercise, self.public_key(), desired.image_id,
                          desired.image, dict(desired.volumes), deployment=0)
        return replace_server(release, server, self.engine)

    def watch(self, *, drift_every: float = DRIFT_EVERY, stop_after: float | None = None,
              max_age: float | None = None) -> int:
        """Reconcile until Ctrl-C (or `stop_after` seconds); returns the repairs made. With
        `max_age`, each pass also replaces one server older than it."""
        began = time.monotonic()
        last_drift = -math.inf  # the first pass looks for drift, unless drift_every is inf
        repairs = 0
        failures = 0  # passes in a row that the engine failed
        while stop_after is None or time.monotonic() - began < stop_after:
            check_drift = math.isfinite(drift_every) and \
                time.monotonic() - last_drift >= drift_every
            if check_drift:
                last_drift = time.monotonic()
            try:
                repairs += len(self.once(check_drift=check_drift))
                if max_age is not None:  # one per pass: a fault meanwhile is seen at once
                    repairs += len(self.rotate(max_age, limit=1))
                failures = 0
            except LabError as failure:
                # A container removed while the pass looked at it (`lab chaos` meanwhile)
                # fails one pass; the next one sees the fleet as it is now.
                failures += 1
                if failures >= FAILURES_IN_A_ROW:
                    raise
                self.report(f"this pass failed, trying again: {failure.line()}")
            time.sleep(POLL_SECONDS)
        return repairs
