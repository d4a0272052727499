"""The release a rollout deploys (one image, its volumes, the deployment's number) and how one
server's container of it is made and judged."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lab.deploy.health import Health
from lab.docker.containers import ContainerSpec
from lab.exercises.schema import Exercise, Server
from lab.fleet.engine import FleetEngine
from lab.fleet.specs import IMAGE_NAME_LABEL, Names, server_spec
from lab.settings import Settings

DEPLOYMENT_LABEL = "deployment"  # lab.deployment=<number> on the containers a deployment made


@dataclass(frozen=True)
class Release:
    """What every new server's container of a deployment is made from."""

    settings: Settings
    exercise: Exercise
    public_key: str
    image_id: str
    image_name: str  # as the learner knows it, shown by `lab status`
    volumes: dict[str, str]
    deployment: int  # its number in the history (0: a repair by `lab reconcile`)

    @property
    def names(self) -> Names:
        return Names(self.settings.student, self.exercise.id)

    @property
    def servers(self) -> list[Server]:
        return self.exercise.spec.planned_servers()

    def spec(self, server: Server, suffix: str = "") -> ContainerSpec:
        """The server's new container, named NAME+suffix while the old one may still run."""
        made = server_spec(self.names, server, self.image_id, self.public_key, self.volumes,
                           **{DEPLOYMENT_LABEL: str(self.deployment),
                              IMAGE_NAME_LABEL: self.image_name})
        return replace(made, name=made.name + suffix) if suffix else made


def replace_server(release: Release, server: Server, engine: FleetEngine) -> tuple[str, Health]:
    """Remove the server's container (if any), make a new one of the release, judge it;
    returns the new container's id and its verdict."""
    for info in engine.containers(student=release.settings.student,
                                  exercise=release.exercise.id, server=server.name):
        engine.remove(info.id)
    container_id = engine.create(release.spec(server))
    return container_id, engine.wait_healthy(container_id)
