"""`lab deploy` and `lab rollback`: every server replaced by a new container from one image,
one at a time, each one health-checked before the next; every deployment is recorded."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence

from lab import learner
from lab.deploy import builds, under_traffic
from lab.deploy.release import Release, replace_server
from lab.deploy.state import Deployment, Desired, FleetState, Kind, Result, StateStore
from lab.deploy.strategies import ONE_AT_A_TIME, Options
from lab.deploy.under_traffic import Measured, MeasuredFailure
from lab.docker.containers import ContainerInfo
from lab.errors import LabError, StateError, UsageError
from lab.exercises.schema import Exercise
from lab.exercises.workspace import workspace_path
from lab.fleet import members
from lab.fleet.engine import DOCKER, FleetEngine
from lab.locking import state_lock
from lab.settings import Settings

Report = Callable[[str], None]
OnMeasured = Callable[[Measured], None]  # shows a measured deployment as soon as it ends
# A learner's predictions, written in the workspace before measuring (exercise 12): the hash of
# the file as it was when a measured deployment began goes into that deployment's summary, so
# a check can tell predictions made before the numbers from numbers copied after them.
PREDICTIONS = "predictions.yaml"


class DeployFailed(LabError):
    """A server failed its health check, so the rollout stopped."""


def parse_volumes(options: Sequence[str]) -> dict[str, str]:
    """`NAME:/path` options: a named volume of the exercise, mounted at /path in each server."""
    volumes = {}
    for option in options:
        name, _, path = option.partition(":")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*(\{server\}[a-z0-9_.-]*)?", name) \
                or not path.startswith("/"):
            raise UsageError(f"--volume {option!r} is not NAME:/PATH",
                             "Give a volume name and an absolute path in the server, like "
                             "`--volume data:/var/lib/guestbook`.")
        volumes[name] = path
    return volumes


def deploy(settings: Settings, reference: str, report: Report, *,
           volumes: dict[str, str] | None = None, options: Options | None = None,
           rate: float | None = None, on_measured: OnMeasured | None = None,
           engine: FleetEngine = DOCKER) -> Deployment:
    """Replace every server with a container of the image `reference` names."""
    image = builds.resolve(settings, reference)
    with state_lock(settings, report):
        return roll_out(settings, image.id, builds.display_name(image, settings), report,
                        volumes=volumes, options=options, rate=rate, on_measured=on_measured,
                        engine=engine)


def rollback(settings: Settings, report: Report, rate: float | None = None,
             on_measured: OnMeasured | None = None, engine: FleetEngine = DOCKER) -> Deployment:
    """Deploy again the newest image that was deployed successfully before the newest one;
    after a blue/green switch, switch back to blue instead."""
    exercise = learner.current(settings)
    state = StateStore.of(settings, exercise.id).load()
    target = state.rollback_target()
    if target is None:
        raise StateError("there is nothing to roll back to: no earlier deployment of another "
                         "image succeeded", "`lab history` lists this exercise's deployments.")
    image = builds.resolve(settings, target.image_id)
    switch = bool(state.standby) and state.standby_image_id == image.id and all(
        engine.exists(container_id) for container_id in state.standby)  # no `lab stop` since
    report(f"rolling back to {target.image} (deployment #{target.number})"
           + (": switching the balancer back to blue" if switch else ""))
    with state_lock(settings, report):
        return roll_out(settings, image.id, target.image, report, kind="rollback", rate=rate,
                        switch_back=switch, on_measured=on_measured, engine=engine)


def roll_out(settings: Settings, image_id: str, image_name: str, report: Report, *,
             volumes: dict[str, str] | None = None, kind: Kind = "deploy",
             options: Options | None = None, rate: float | None = None,
             switch_back: bool = False, on_measured: OnMeasured | None = None,
             engine: FleetEngine = DOCKER) -> Deployment:
    """The rollout itself, under the caller's state lock: record, replace, judge, record.

    Behind a load balancer a strategy runs under the probe; without one, servers are
    replaced one at a time.
    """
    exercise = _running_exercise(settings, engine)
    lb = (members.load_balancer(settings, exercise.id, engine)
          if exercise.spec.load_balancer else None)
    if lb is None and options is not None and options.strategy != ONE_AT_A_TIME:
        raise UsageError(f"{exercise.id} has no load balancer, so only one server at a time",
                         "Deployment strategies start at exercise 12; deploy without "
                         "--strategy here.")
    options = (options or Options(strategy="rolling" if lb else ONE_AT_A_TIME)).checked(
        len(exercise.spec.server_names))
    store = StateStore.of(settings, exercise.id)
    before = store.load()
    if volumes is None:
        volumes = dict(before.desired.volumes) if before.desired else {}
    number = _begin(store, kind, image_name, image_id,
                    "switch back" if switch_back else options.strategy)
    release = Release(settings, exercise, engine.server_key(settings), image_id, image_name,
                      volumes, number)
    replaced: list[str] = []
    try:
        if lb is None:
            _replace_each(release, engine, replaced, report)
            return _succeed(store, release, tuple(replaced))
        return _under_traffic(store, release, lb, options, rate, report, switch_back,
                              on_measured or (lambda _: None), engine, kind)
    except DeployFailed as failure:
        _finish(store, number, "failed", failure.message, replaced)
        raise
    except LabError as failure:
        if not getattr(failure, "recorded", False):
            _finish(store, number, "failed", failure.line(), replaced)
        raise
    except KeyboardInterrupt:
        _finish(store, number, "interrupted", "interrupted (Ctrl-C)", replaced)
        raise


def _running_exercise(settings: Settings, engine: FleetEngine) -> Exercise:
    """The current exercise; StateError when its fleet is gone (as lab.learner.running)."""
    exercise = learner.current(settings)
    if not members.fleet_containers(settings, exercise.id, engine):
        raise StateError(f"the servers of {exercise.id} are not running",
                         f"Run `lab start {exercise.id}`.")
    return exercise


def _under_traffic(store: StateStore, release: Release, lb: ContainerInfo, options: Options,
                   rate: float | None, report: Report, switch_back: bool,
                   on_measured: OnMeasured, engine: FleetEngine, kind: Kind) -> Deployment:
    """A strategy behind the balancer, under the probe; the summary goes into the record."""
    predictions = _predictions(release)
    try:
        rollout, result = under_traffic.run(
            release, store, lb, options, rate or under_traffic.DEFAULT_RATE, report,
            switch_back=switch_back, kind=kind, engine=engine)
    except MeasuredFailure as failure:
        on_measured(failure.measured)
        message = failure.message
        summary = failure.measured.summary.as_json() | predictions
        replaced = failure.replaced
        store.update(lambda state: state.finish(release.deployment, "failed", message,
                                                replaced, summary=summary))
        failure.recorded = True
        raise
    on_measured(result)
    previous = store.load().desired
    standby = tuple(rollout.standby)
    state = store.update(lambda state: state.finish(
        release.deployment, "succeeded", "", tuple(rollout.replaced), _desired(release),
        summary=result.summary.as_json() | predictions).model_copy(update={
            "standby": standby,
            "standby_image_id": previous.image_id if standby and previous else ""}))
    return state.deployments[-1]


def _predictions(release: Release) -> dict[str, object]:
    """{"predictions_sha256": ...} of the workspace's predictions file now, if there is one."""
    path = workspace_path(release.exercise, release.settings) / PREDICTIONS
    try:
        return {"predictions_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    except OSError:  # none written (yet): nothing to fingerprint
        return {}


def _desired(release: Release) -> Desired:
    return Desired(image=release.image_name, image_id=release.image_id,
                   servers=tuple(release.exercise.spec.server_names), volumes=release.volumes)


def _begin(store: StateStore, kind: Kind, image_name: str, image_id: str,
           strategy: str) -> int:
    begun: list[Deployment] = []

    def change(state: FleetState) -> FleetState:
        new_state, deployment = state.begin(kind, image_name, image_id, strategy)
        begun.append(deployment)
        return new_state

    store.update(change)
    return begun[0].number


def _finish(store: StateStore, number: int, result: Result, message: str,
            replaced: list[str]) -> None:
    store.update(lambda state: state.finish(number, result, message, tuple(replaced)))


def _succeed(store: StateStore, release: Release, replaced: tuple[str, ...]) -> Deployment:
    state = store.update(lambda state: state.finish(release.deployment, "succeeded", "",
                                                    replaced, _desired(release)))
    return state.deployments[-1]


def _replace_each(release: Release, engine: FleetEngine, replaced: list[str],
                  report: Report) -> None:
    servers = release.servers
    for position, server in enumerate(servers):
        began = time.monotonic()
        _, verdict = replace_server(release, server, engine)
        replaced.append(server.name)
        if not verdict.ok:
            untouched = [other.name for other in servers[position + 1:]]
            raise DeployFailed(_failure_message(server.name, verdict.detail,
                                                release.image_name, untouched),
                               "`lab rollback` returns the fleet to the last good image; "
                               "`lab history` shows what happened.")
        report(f"{server.name}: replaced, healthy in {time.monotonic() - began:.1f} s")


def _failure_message(server: str, detail: str, image_name: str, untouched: list[str]) -> str:
    rest = (f"; {', '.join(untouched)} {'was' if len(untouched) == 1 else 'were'} not touched"
            if untouched else "")
    return (f"{server} failed its health check on {image_name}: {detail}. The rollout "
            f"stopped{rest}")
