"""A started exercise's repository made ready: packages built and published, servers
provisioned, faults armed; on a start that kept the fleet, only the server map refreshed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lab import fleet
from lab.deploy.state import StateStore
from lab.docker import containers, labels
from lab.docker.containers import ContainerInfo
from lab.errors import StateError
from lab.exercises.schema import Exercise
from lab.fleet import Converged
from lab.repo import build, faults, provision, publish, sources
from lab.repo.specs import PackageRef, RepositoryFault
from lab.settings import Settings

Report = Callable[[str], None]
BUILDER_ROLE = "builder"


def prepare_repository(exercise: Exercise, settings: Settings, converged: Converged,
                       report: Report) -> None:
    """Everything exercise.yaml says happens before the learner arrives, in this order:
    build (cached), publish, provision, hand edits and holds, then arm the faults.

    Only on a fresh fleet: a kept fleet already went through it, and its learner's work
    must not be disturbed. A reset recreates the fleet, so its faults are armed again.
    """
    spec = exercise.spec
    if not (spec.publish or spec.provision or spec.faults):
        return
    if converged.fresh:
        try:
            _set_up(exercise, settings, converged.containers, report)
        except BaseException:
            # Half-provisioned servers would be kept by the next start, never finished:
            # remove them, so that the next start begins afresh (Ctrl-C included).
            fleet.stop(settings, exercise.id)
            raise
    elif spec.repository:
        _refresh_clients(exercise, settings, converged.containers)


def _set_up(exercise: Exercise, settings: Settings, infos: Sequence[ContainerInfo],
            report: Report) -> None:
    spec = exercise.spec
    containers = {fleet.server_name(info): info.id for info in fleet.pick(infos, None)}
    repo_id, armed = None, False
    if spec.repository:  # without it the schema allows only hand edits and holds
        repo_id = repository_id(infos)
        filenames = _publish(exercise, settings, infos, repo_id, report)
        if _deployed(settings, exercise):
            # The servers run the image the learner deployed: it is what they should be, so
            # nothing is installed on them, and the faults of the mutable story stay off.
            return
        provision.run_steps(spec.provision, repo_id, containers, spec.expand, filenames, report)
        armed = any(isinstance(fault, RepositoryFault) for fault in spec.faults)
    provision.server_faults(spec.faults, containers, spec.expand, report)
    if repo_id and armed:
        faults.arm(repo_id)


def _deployed(settings: Settings, exercise: Exercise) -> bool:
    return StateStore.of(settings, exercise.id).load().desired is not None


def _publish(exercise: Exercise, settings: Settings, infos: Sequence[ContainerInfo],
             repo_id: str, report: Report) -> dict[PackageRef, str]:
    """Build what is missing, upload every package and fault file at once, serve the first
    set; returns each package's .deb file name."""
    spec = exercise.spec
    names = fleet.Names(settings.student, exercise.id)
    staged = sources.stage_all(exercise.folder, spec.ever_published())
    built = build.build(staged, build.cache_dir(settings.cache_dir),
                        fleet.image_ref(fleet.REPO_ROLE, settings), names.labels(BUILDER_ROLE),
                        report)
    filenames = {package.staged.ref: package.filename for package in built.packages}
    fault_files = faults.repository_files(spec.faults, spec.expand, filenames)
    clients = faults.clients_file(addresses(infos, names.network))
    publish.upload(repo_id, built.packages, [*fault_files, clients])
    if spec.publish:
        publish.publish(repo_id, [filenames[ref] for ref in spec.publish])
    return filenames


def _refresh_clients(exercise: Exercise, settings: Settings,
                     infos: Sequence[ContainerInfo]) -> None:
    network = fleet.Names(settings.student, exercise.id).network
    faults.refresh_clients(repository_id(infos), addresses(infos, network))


def repository_id(infos: Sequence[ContainerInfo]) -> str:
    """The exercise's repo container; StateError when it is not running."""
    for info in infos:
        if info.labels.get(labels.ROLE) == fleet.REPO_ROLE and info.running:
            return info.id
    raise StateError("the exercise's repository is not running",
                     "Run `lab start` to bring it back.")


def addresses(infos: Sequence[ContainerInfo], network: str) -> dict[str, str]:
    """Each server's address on the exercise network, by server name."""
    found = {}
    for info in fleet.pick(infos, None):
        details = containers.inspect(info.id) or {}
        networks = details.get("NetworkSettings", {}).get("Networks") or {}
        address = (networks.get(network) or {}).get("IPAddress")
        if address:
            found[fleet.server_name(info)] = str(address)
    return found

