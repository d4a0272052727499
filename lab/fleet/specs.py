"""The containers an exercise's fleet should have: their names, labels and specs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lab.deploy.balancer import HTTP_PORT, LB_IMAGE, LB_NAME, LB_ROLE
from lab.deploy.state import StateStore
from lab.docker import labels
from lab.docker.containers import ContainerSpec
from lab.exercises.schema import Exercise, Server
from lab.images import definitions
from lab.settings import Settings

SSH_PORT = 22
KEY_LABEL = "lab.key"
IMAGE_NAME_LABEL = "image_name"  # lab.image-name: the deployed image as the learner named it
SERVER_ROLE = "server"
REPO_ROLE = "repo"
REPO_HOST = "repo"  # the name servers' apt sources use (images/server/.../lab.list)


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


def image_ref(image: str, settings: Settings) -> str:
    """The reference an exercise's `image: server` (or `repo`) means, else the image as given."""
    return definitions.BY_NAME[image].ref_for(settings) if image in definitions.BY_NAME else image


def lab_images_needed(exercise: Exercise) -> list[str]:
    """The lab's own images (by name) this exercise runs."""
    wanted = {server.image for server in exercise.spec.planned_servers()}
    if exercise.spec.repository:
        wanted.add(REPO_ROLE)
    if exercise.spec.load_balancer:
        wanted.add(LB_IMAGE)
    return [name for name in definitions.BY_NAME if name in wanted]


def desired(exercise: Exercise, settings: Settings, public_key: str) -> list[ContainerSpec]:
    """Every container the exercise should have: its repository first, then its servers,
    then its load balancer.

    Once an image was deployed to the fleet, its servers run that image (and its volumes).
    """
    names = Names(settings.student, exercise.id)
    specs = []
    if exercise.spec.repository:
        specs.append(ContainerSpec(
            name=names.container(REPO_ROLE), image=image_ref(REPO_ROLE, settings),
            labels=names.labels(REPO_ROLE, server=REPO_ROLE), network=names.network,
            aliases=(REPO_HOST,), hostname=REPO_HOST,
        ))
    deployed = StateStore.of(settings, exercise.id).load().desired
    for server in exercise.spec.planned_servers():
        if deployed is not None and server.name in deployed.servers:
            specs.append(server_spec(names, server, deployed.image_id, public_key,
                                     deployed.volumes, **{IMAGE_NAME_LABEL: deployed.image}))
        else:
            specs.append(server_spec(names, server, image_ref(server.image, settings),
                                     public_key))
    if exercise.spec.load_balancer:
        specs.append(balancer_spec(names, settings))
    return specs


def balancer_spec(names: Names, settings: Settings) -> ContainerSpec:
    """The load balancer's container: `lb` on the network, its port 80 on loopback. Its
    backends are registered once the servers run (lab.fleet.members.sync_balancer)."""
    return ContainerSpec(
        name=names.container(LB_NAME), image=image_ref(LB_IMAGE, settings),
        labels=names.labels(LB_ROLE, server=LB_NAME), network=names.network,
        aliases=(LB_NAME,), hostname=LB_NAME, ports=(HTTP_PORT,),
    )


def server_spec(names: Names, server: Server, image: str, public_key: str,
                volumes: dict[str, str] | None = None, **extra_labels: str) -> ContainerSpec:
    """One server's container: named and aliased after the server, its ports on loopback.

    A volume name may hold `{server}`, for a volume of each server's own.
    """
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


def key_fingerprint(public_key: str) -> str:
    """A short fingerprint of the key a server was given, kept as its `lab.key` label."""
    return hashlib.sha256(public_key.split()[1].encode()).hexdigest()[:16]
