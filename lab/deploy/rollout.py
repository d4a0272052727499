"""`lab deploy` and `lab rollback`: every server replaced by a new container from one image,
one at a time, each one health-checked before the next; every deployment is recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.errors import LabError, StateError, UsageError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.deploy.health import Health
    from lab.deploy.measured import Measured
    from lab.deploy.state import Deployment, FleetState, Kind, Result, StateStore
    from lab.deploy.strategies import Options
    from lab.docker.containers import ContainerInfo
    from lab.exercises.schema import Exercise, Server

STRATEGY = "one-at-a-time"
DEPLOYMENT_LABEL = "deployment"  # lab.deployment=<number> on the containers a deployment made
Report = Callable[[str], None]
OnMeasured = Callable[["Measured"], None]  # shows a measured deployment as soon as it ends


class DeployFailed(LabError):
    """A server failed its health check, so the rollout stopped."""


@dataclass(frozen=True)
class Fleet:
    """What a rollout needs to make one server's container."""

    settings: Settings
    exercise: Exercise
    public_key: str
    image_id: str
    image_name: str  # as the learner knows it, shown by `lab status`
    volumes: dict[str, str]
    deployment: int


def parse_volumes(options: Sequence[str]) -> dict[str, str]:
    """`NAME:/path` options: a named volume of the exercise, mounted at /path in each server."""
    import re

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
           rate: float | None = None, on_measured: OnMeasured | None = None) -> Deployment:
    """Replace every server with a container of the image `reference` names."""
    from lab.deploy import builds
    from lab.locking import state_lock

    image = builds.resolve(settings, reference)
    with state_lock(settings, report):
        return roll_out(settings, image.id, builds.display_name(image, settings), report,
                        volumes=volumes, options=options, rate=rate, on_measured=on_measured)


def rollback(settings: Settings, report: Report, rate: float | None = None,
             on_measured: OnMeasured | None = None) -> Deployment:
    """Deploy again the newest image that was deployed successfully before the newest one;
    after a blue/green switch, switch back to blue instead."""
    from lab import learner
    from lab.deploy import builds
    from lab.deploy.state import StateStore
    from lab.locking import state_lock

    exercise = learner.current(settings)
    state = StateStore.of(settings, exercise.id).load()
    target = state.rollback_target()
    if target is None:
        raise StateError("there is nothing to roll back to: no earlier deployment of another "
                         "image succeeded", "`lab history` lists this exercise's deployments.")
    image = builds.resolve(settings, target.image_id)
    switch = bool(state.standby) and state.standby_image_id == image.id and _all_there(
        state.standby)
    report(f"rolling back to {target.image} (deployment #{target.number})"
           + (": switching the balancer back to blue" if switch else ""))
    with state_lock(settings, report):
        return roll_out(settings, image.id, target.image, report, kind="rollback", rate=rate,
                        switch_back=switch, on_measured=on_measured)


def _all_there(container_ids: tuple[str, ...]) -> bool:
    """Blue is still on standby (a `lab stop` since would have removed it)."""
    from lab.docker import containers

    return all(containers.inspect(container_id) is not None for container_id in container_ids)


def roll_out(settings: Settings, image_id: str, image_name: str, report: Report, *,
             volumes: dict[str, str] | None = None, kind: Kind = "deploy",
             options: Options | None = None, rate: float | None = None,
             switch_back: bool = False, on_measured: OnMeasured | None = None) -> Deployment:
    """The rollout itself, under the caller's state lock: record, replace, judge, record.

    Behind a load balancer a strategy runs under the probe; without one, servers are
    replaced one at a time.
    """
    from lab import learner, ssh
    from lab.deploy import balancer, strategies
    from lab.deploy.state import StateStore

    exercise, _ = learner.running(settings)
    lb = balancer.find(settings, exercise.id) if exercise.spec.load_balancer else None
    if lb is None and options is not None and options.strategy != strategies.ONE_AT_A_TIME:
        raise UsageError(f"{exercise.id} has no load balancer, so only one server at a time",
                         "Deployment strategies start at exercise 12; deploy without "
                         "--strategy here.")
    options = (options or strategies.Options(
        strategy="rolling" if lb else strategies.ONE_AT_A_TIME)).checked(
        len(exercise.spec.server_names))
    store = StateStore.of(settings, exercise.id)
    before = store.load()
    if volumes is None:
        volumes = dict(before.desired.volumes) if before.desired else {}
    number = _begin(store, kind, image_name, image_id,
                    "switch back" if switch_back else options.strategy)
    fleet = Fleet(settings, exercise, ssh.public_key(ssh.ensure_key(settings.private_key)),
                  image_id, image_name, volumes, number)
    replaced: list[str] = []
    try:
        if lb is None:
            _replace_each(fleet, image_name, replaced, report)
            return _succeed(store, fleet, image_name, replaced)
        return _measured(store, fleet, lb, options, rate, report, switch_back,
                         on_measured or (lambda _: None))
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


def _measured(store: StateStore, fleet: Fleet, lb: ContainerInfo, options: Options,
              rate: float | None, report: Report, switch_back: bool,
              on_measured: OnMeasured) -> Deployment:
    """A strategy behind the balancer, under the probe; the summary goes into the record."""
    from lab.deploy import measured
    from lab.deploy.state import Desired

    try:
        rollout, result = measured.run(fleet, store, lb, options, rate or measured.DEFAULT_RATE,
                                       report, switch_back=switch_back)
    except measured.MeasuredFailure as failure:
        on_measured(failure.measured)
        message, summary = failure.message, failure.measured.summary.as_json()
        replaced = failure.replaced
        store.update(lambda state: state.finish(fleet.deployment, "failed", message,
                                                replaced, summary=summary))
        failure.recorded = True
        raise
    on_measured(result)
    desired = Desired(image=fleet.image_name, image_id=fleet.image_id,
                      servers=tuple(fleet.exercise.spec.server_names), volumes=fleet.volumes)
    previous = store.load().desired
    standby = tuple(rollout.standby)
    state = store.update(lambda state: state.finish(
        fleet.deployment, "succeeded", "", tuple(rollout.replaced), desired,
        summary=result.summary.as_json()).model_copy(update={
            "standby": standby,
            "standby_image_id": previous.image_id if standby and previous else ""}))
    return state.deployments[-1]


def _begin(store: StateStore, kind: Kind, image_name: str, image_id: str,
           strategy: str = STRATEGY) -> int:
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


def _succeed(store: StateStore, fleet: Fleet, image_name: str, replaced: list[str]) -> Deployment:
    from lab.deploy.state import Desired

    desired = Desired(image=image_name, image_id=fleet.image_id,
                      servers=tuple(fleet.exercise.spec.server_names), volumes=fleet.volumes)
    state = store.update(lambda state: state.finish(fleet.deployment, "succeeded", "",
                                                    tuple(replaced), desired))
    return state.deployments[-1]


def _replace_each(fleet: Fleet, image_name: str, replaced: list[str], report: Report) -> None:
    servers = fleet.exercise.spec.planned_servers()
    for position, server in enumerate(servers):
        began = time.monotonic()
        verdict = replace_server(fleet, server)
        replaced.append(server.name)
        if not verdict.ok:
            untouched = [other.name for other in servers[position + 1:]]
            raise DeployFailed(_failure_message(server.name, verdict.detail, image_name,
                                                untouched),
                               "`lab rollback` returns the fleet to the last good image; "
                               "`lab history` shows what happened.")
        report(f"{server.name}: replaced, healthy in {time.monotonic() - began:.1f} s")


def _failure_message(server: str, detail: str, image_name: str, untouched: list[str]) -> str:
    rest = (f"; {', '.join(untouched)} {'was' if len(untouched) == 1 else 'were'} not touched"
            if untouched else "")
    return (f"{server} failed its health check on {image_name}: {detail}. The rollout "
            f"stopped{rest}")


def replace_server(fleet: Fleet, server: Server) -> Health:
    """Remove the server's container (if any), make a new one from the image, judge it."""
    from lab import fleet as fleets
    from lab.deploy import health
    from lab.docker import containers

    names = fleets.Names(fleet.settings.student, fleet.exercise.id)
    spec = fleets.server_spec(names, server, fleet.image_id, fleet.public_key, fleet.volumes,
                              **{DEPLOYMENT_LABEL: str(fleet.deployment),
                                 fleets.IMAGE_NAME_LABEL: fleet.image_name})
    for info in containers.find(student=fleet.settings.student, exercise=fleet.exercise.id,
                                server=server.name):
        containers.remove(info.id)
    container_id = fleets.create(spec)
    return health.wait_healthy(container_id)
