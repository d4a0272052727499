"""An exercise's fleet on the engine: the containers it should have, brought to that state."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from lab.docker import labels
from lab.errors import LabError, StateError, UsageError
from lab.parallel import map_in_threads
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.checks.executor import ExecResult, HttpResult, ServerInfo
    from lab.docker.containers import ContainerInfo, ContainerSpec
    from lab.exercises.schema import Exercise, Server
    from lab.ssh import Target

SSH_PORT = 22
KEY_LABEL = "lab.key"
IMAGE_NAME_LABEL = "image_name"  # lab.image-name: the deployed image as the learner named it
SERVER_ROLE = "server"
REPO_ROLE = "repo"
REPO_HOST = "repo"  # the name servers' apt sources use (images/server/.../lab.list)
SSH_READY_TIMEOUT = 60.0
PARALLEL = 16

Report = Callable[[str], None]


@dataclass(frozen=True)
class Names:
    """Resource names: lab-<student>-<exercise>[-<server>]."""

    student: str
    exercise_id: str

    @property
    def network(self) -> str:
        return f"lab-{self.student}-{self.exercise_id}"

    def container(self, server: str) -> str:
        return f"{self.network}-{server}"

    def labels(self, role: str, **extra: str) -> dict[str, str]:
        return labels.managed(student=self.student, exercise=self.exercise_id, role=role, **extra)


def image_ref(image: str) -> str:
    """The reference an exercise's `image: server` (or `repo`) means, else the image as given."""
    from lab.images import catalog

    return catalog.BY_NAME[image].ref if image in catalog.BY_NAME else image


def lab_images_needed(exercise: Exercise) -> list[str]:
    """The lab's own images (by name) this exercise runs."""
    from lab.deploy.balancer import LB_IMAGE
    from lab.images import catalog

    wanted = {server.image for server in exercise.spec.planned_servers()}
    if exercise.spec.repository:
        wanted.add(REPO_ROLE)
    if exercise.spec.load_balancer:
        wanted.add(LB_IMAGE)
    return [name for name in catalog.BY_NAME if name in wanted]


def desired(exercise: Exercise, settings: Settings, public_key: str) -> list[ContainerSpec]:
    """Every container the exercise should have: its repository first, then its servers,
    then its load balancer.

    Once an image was deployed to the fleet, its servers run that image (and its volumes).
    """
    from lab.deploy.state import StateStore
    from lab.docker.containers import ContainerSpec

    names = Names(settings.student, exercise.id)
    specs = []
    if exercise.spec.repository:
        specs.append(ContainerSpec(
            name=names.container(REPO_ROLE), image=image_ref(REPO_ROLE),
            labels=names.labels(REPO_ROLE, server=REPO_ROLE), network=names.network,
            aliases=(REPO_HOST,), hostname=REPO_HOST,
        ))
    deployed = StateStore.of(settings, exercise.id).load().desired
    for server in exercise.spec.planned_servers():
        if deployed is not None and server.name in deployed.servers:
            specs.append(server_spec(names, server, deployed.image_id, public_key,
                                     deployed.volumes, **{IMAGE_NAME_LABEL: deployed.image}))
        else:
            specs.append(server_spec(names, server, image_ref(server.image), public_key))
    if exercise.spec.load_balancer:
        specs.append(balancer_spec(names))
    return specs


def balancer_spec(names: Names) -> ContainerSpec:
    """The load balancer's container: `lb` on the network, its port 80 on loopback. Its
    backends are registered once the servers run (lab.deploy.balancer.sync)."""
    from lab.deploy.balancer import HTTP_PORT, LB_IMAGE, LB_NAME, LB_ROLE
    from lab.docker.containers import ContainerSpec

    return ContainerSpec(
        name=names.container(LB_NAME), image=image_ref(LB_IMAGE),
        labels=names.labels(LB_ROLE, server=LB_NAME), network=names.network,
        aliases=(LB_NAME,), hostname=LB_NAME, ports=(HTTP_PORT,),
    )


def server_spec(names: Names, server: Server, image: str, public_key: str,
                volumes: dict[str, str] | None = None, **extra_labels: str) -> ContainerSpec:
    """One server's container: named and aliased after the server, its ports on loopback.

    A volume name may hold `{server}`, for a volume of each server's own.
    """
    from lab.docker.containers import ContainerSpec

    return ContainerSpec(
        name=names.container(server.name), image=image,
        labels=names.labels(SERVER_ROLE, server=server.name, key=key_fingerprint(public_key),
                            **extra_labels),
        network=names.network,
        aliases=(server.name,), hostname=server.name,
        environment={"LAB_AUTHORIZED_KEY": public_key},
        ports=tuple(dict.fromkeys((SSH_PORT, *server.ports))),
        volumes={volume_name(names, name, server.name): path
                 for name, path in (volumes or {}).items()},
    )


def volume_name(names: Names, name: str, server: str) -> str:
    """The engine's name of an exercise's volume: lab-<student>-<exercise>-<name>."""
    return f"{names.network}-{name.replace('{server}', server)}"


@dataclass(frozen=True)
class Converged:
    containers: list[ContainerInfo]
    fresh: bool  # every container was created just now (nothing was kept)


def key_fingerprint(public_key: str) -> str:
    """A short fingerprint of the key a server was given, kept as its `lab.key` label."""
    return hashlib.sha256(public_key.split()[1].encode()).hexdigest()[:16]


def converge(exercise: Exercise, settings: Settings, report: Report) -> Converged:
    """Make the fleet exist and run, keeping what already does; then wait for SSH.

    Safe to repeat and safe after an interruption: a container that exists is kept (a
    stopped one is started), a missing one is created, one the exercise no longer has is
    removed. Other exercises of the same student are stopped first.
    """
    from lab import ssh
    from lab.deploy.balancer import LB_ROLE
    from lab.docker import containers

    names = Names(settings.student, exercise.id)
    stop_others(settings, keep=exercise.id)
    public_key = ssh.public_key(ssh.ensure_key(settings.private_key))
    containers.ensure_network(names.network, names.labels("network"))
    specs = desired(exercise, settings, public_key)
    existing = {info.name: info for info in fleet_containers(settings, exercise.id)}
    if _foreign_key(existing.values(), key_fingerprint(public_key)):
        # Made for another lab home's key (a new LAB_HOME, a deleted data folder): the lab
        # could never log in. The whole fleet is made again, so it is provisioned afresh.
        report(f"the servers of {exercise.id} were made with another SSH key; recreating them")
        _in_parallel([partial(containers.remove, info.id) for info in existing.values()])
        existing = {}
    # A lost load balancer needs no set-up (its backends are registered after every start).
    missing = [spec.name for spec in specs if spec.name not in existing
               and spec.labels.get(labels.ROLE) != LB_ROLE]
    if existing and missing and _set_up_at_start(exercise) and not _deployed(specs):
        # Some containers were lost (removed by hand, `docker rm`): the ones made now would
        # miss what the lab did at the first start (publishing, provisioning, faults), so
        # the whole fleet is made again, the same way as the first time.
        report(f"{', '.join(missing)} of {exercise.id} went missing; recreating the fleet")
        _in_parallel([partial(containers.remove, info.id) for info in existing.values()])
        existing = {}
    for extra in set(existing) - {spec.name for spec in specs}:
        containers.remove(existing[extra].id)
    _in_parallel([partial(_converge_one, spec, existing.get(spec.name), report)
                  for spec in specs])
    infos = fleet_containers(settings, exercise.id)
    targets(infos)  # every server runs and publishes its SSH port (each one was waited for)
    kept = set(existing) & {spec.name for spec in specs}
    return Converged(infos, fresh=not kept)


def _deployed(specs: Sequence[ContainerSpec]) -> bool:
    """Servers made from a deployed image need no set-up: a lost one is simply made again."""
    return any(spec.volumes or spec.image.startswith("sha256:") for spec in specs)


def _set_up_at_start(exercise: Exercise) -> bool:
    spec = exercise.spec
    return bool(spec.publish or spec.provision or spec.faults)


def _foreign_key(infos: Iterable[ContainerInfo], fingerprint: str) -> bool:
    return any(info.labels.get(labels.ROLE) == SERVER_ROLE
               and info.labels.get(KEY_LABEL) != fingerprint for info in infos)


def _converge_one(spec: ContainerSpec, found: ContainerInfo | None, report: Report) -> None:
    """Bring one container to running, then, for a server, wait until its sshd lets the lab
    in: each server is waited for while the others are still being created."""
    from lab.docker import containers

    container_id = found.id if found else None
    if found is None:
        container_id = create(spec)
    elif not found.running:
        report(f"{spec.name} was {found.state}; starting it again")
        try:
            containers.start(found.id)
        except LabError:  # e.g. its network was pruned: make it again
            containers.remove(found.id)
            container_id = create(spec)
    if SSH_PORT in spec.ports and container_id:
        _wait_for_one(spec, container_id)


def create(spec: ContainerSpec) -> str:
    """Create and start a container, first making its named volumes with the lab's labels."""
    from lab.docker import containers

    for volume in spec.volumes:
        containers.ensure_volume(volume, labels.managed(
            student=spec.labels.get(labels.STUDENT, ""),
            exercise=spec.labels.get(labels.EXERCISE, ""), role="volume"))
    return containers.create_and_start(spec)


def _wait_for_one(spec: ContainerSpec, container_id: str) -> None:
    from lab import ssh
    from lab.docker import containers

    port = containers.published_port(container_id, SSH_PORT)
    if port is not None:
        ssh.wait_until_ready([ssh.Target.local(spec.labels[labels.SERVER], port)],
                             SSH_READY_TIMEOUT)


def _in_parallel(jobs: Sequence[Callable[[], object]]) -> None:
    map_in_threads(lambda job: job(), jobs, workers=PARALLEL, name="fleet")


def fleet_containers(settings: Settings, exercise_id: str) -> list[ContainerInfo]:
    """The exercise's containers, without a blue/green standby (which only rollback uses)."""
    from lab.docker import containers

    found = containers.find(student=settings.student, exercise=exercise_id)
    standby = standby_ids(settings, exercise_id) if found else frozenset()
    return [info for info in found if info.id not in standby]


def servers(settings: Settings, exercise_id: str) -> list[ContainerInfo]:
    """The exercise's server containers (not its repository, nor a blue/green standby), in
    name order."""
    return [info for info in fleet_containers(settings, exercise_id)
            if info.labels.get(labels.ROLE) == SERVER_ROLE]


def standby_ids(settings: Settings, exercise_id: str) -> frozenset[str]:
    """The containers a blue/green switch set aside: kept, but not part of the fleet."""
    from lab.deploy.state import StateStore

    return frozenset(StateStore.of(settings, exercise_id).load().standby)


def server_name(info: ContainerInfo) -> str:
    return info.labels.get(labels.SERVER, info.name)


def targets(infos: Sequence[ContainerInfo]) -> list[Target]:
    """SSH targets of running servers: 127.0.0.1 and the port published for 22."""
    from lab.ssh import Target

    found = []
    for info in infos:
        if info.labels.get(labels.ROLE) != SERVER_ROLE:
            continue
        port = info.host_port(SSH_PORT)
        if not info.running or port is None:
            raise StateError(f"server {server_name(info)} is {info.state}",
                             "Run `lab start` to bring it back, or `lab reset`.")
        found.append(Target.local(server_name(info), port))
    return found


def pick(infos: Sequence[ContainerInfo], wanted: Sequence[str] | None) -> list[ContainerInfo]:
    """The servers named in `wanted` (all when None), refusing unknown names."""
    by_name = {server_name(info): info for info in infos
               if info.labels.get(labels.ROLE) == SERVER_ROLE}
    if not wanted:
        return list(by_name.values())
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise UsageError(f"unknown server {unknown[0]!r}",
                         f"This exercise's servers are {', '.join(by_name) or 'not running'}.")
    return [by_name[name] for name in dict.fromkeys(wanted)]  # `-s web1 -s web1`: once


def stop(settings: Settings, exercise_id: str) -> int:
    """Remove the exercise's containers and network; returns how many containers went."""
    from lab.docker import containers

    infos = containers.find(student=settings.student, exercise=exercise_id)  # standby too
    _in_parallel([partial(containers.remove, info.id) for info in infos])
    for network_id, _ in containers.find_networks(student=settings.student,
                                                  exercise=exercise_id):
        containers.remove_network(network_id)
    return len(infos)


def forget_deployments(settings: Settings, exercise_id: str) -> int:
    """The exercise as before any `lab deploy`: no desired image, no history, and none of its
    named volumes (the data its servers kept); returns how many volumes went."""
    from lab.deploy.state import StateStore
    from lab.docker import containers

    StateStore.of(settings, exercise_id).forget()
    volumes = containers.find_volumes(student=settings.student, exercise=exercise_id)
    for volume in volumes:
        containers.remove_volume(volume)
    return len(volumes)


def stop_others(settings: Settings, keep: str) -> list[str]:
    """Stop every other exercise of this student; returns the exercises stopped."""
    from lab.docker import containers

    others = {info.labels.get(labels.EXERCISE, "") for info in
              containers.find(student=settings.student)} - {keep, ""}
    others |= {name.removeprefix(f"lab-{settings.student}-") for _, name in
               containers.find_networks(student=settings.student)} - {keep}
    for exercise_id in sorted(others):
        stop(settings, exercise_id)
    return sorted(others)


def remove_everything(student: str | None) -> dict[str, int]:
    """Every lab container, network and volume (of one student, or of all): by label only."""
    from lab.docker import containers

    selector = {"student": student} if student else {}
    infos = containers.find(**selector)
    _in_parallel([partial(containers.remove, info.id) for info in infos])
    networks = containers.find_networks(**selector)
    for network_id, _ in networks:
        containers.remove_network(network_id)
    volumes = containers.find_volumes(**selector)
    for volume in volumes:
        containers.remove_volume(volume)
    return {"containers": len(infos), "networks": len(networks), "volumes": len(volumes)}


def parse_engine_time(text: str) -> datetime | None:
    """The engine's RFC 3339 times carry nanoseconds, which Python 3.10 cannot parse."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        return None
    fraction = (match.group(2) or ".0")[:7]
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return datetime.fromisoformat(f"{match.group(1)}{fraction}{zone}")


class FleetExecutor:
    """How checks look at a running fleet: docker exec for probes, HTTP via published ports."""

    def __init__(self, infos: Sequence[ContainerInfo]) -> None:
        from lab.docker.probes import Prober

        self.by_name = {server_name(info): info for info in infos}
        self.prober = Prober()

    def __enter__(self) -> FleetExecutor:
        return self

    def __exit__(self, *_: object) -> None:
        self.prober.close()

    def _container(self, server: str) -> ContainerInfo:
        info = self.by_name.get(server)
        if info is None:
            raise StateError(f"server {server} does not exist", "Run `lab start`.")
        return info

    def run(self, server: str, command: str) -> ExecResult:
        from lab.checks.executor import ExecResult

        info = self._container(server)
        if not info.running:
            raise StateError(f"{server} is {info.state}", "Run `lab start` to bring it back.")
        result = self.prober.run(info.id, command)
        return ExecResult(result.exit_code, result.stdout, result.stderr)

    def http_get(self, server: str, container_port: int, path: str) -> HttpResult:
        from lab.checks.executor import HttpResult

        port = self._container(server).host_port(container_port)
        if port is None:
            raise ConnectionRefusedError(f"port {container_port} of {server} is not published")
        from lab import reach

        host, port = reach.address(port)
        url = f"http://{host}:{port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return HttpResult(answer.status, answer.read().decode(errors="replace"))
        except urllib.error.HTTPError as answer:
            return HttpResult(answer.code, answer.read().decode(errors="replace"))

    def info(self, server: str) -> ServerInfo:
        from lab.checks.executor import ServerInfo
        from lab.docker import containers, images

        container = self._container(server)
        image = images.inspect(container.image_id)
        details = containers.inspect(container.id) or {}
        created = parse_engine_time(str(details.get("Created", ""))) or container.created
        return ServerInfo(
            name=server, container_id=container.id, image_id=container.image_id,
            created=created, running=container.running,
            image_tags=image.tags if image else (),
            image_labels=image.labels if image else {},
        )
