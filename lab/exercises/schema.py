"""exercise.yaml (format_version 1) as frozen pydantic models, and an Exercise: one on disk."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from lab.checks.specs import AnyCheckSpec, FrozenModel, HttpSpec, Port, Text
from lab.deploy.balancer import LB_NAME
from lab.errors import UsageError
from lab.exercises.solution import SolutionStep, shown
from lab.repo.specs import (
    AnyFaultSpec,
    PackageRef,
    ProvisionStep,
    PublishSpec,
    Ref,
    RepositoryFault,
    Trigger,
    WithdrawSpec,
)

LAB_SERVER_IMAGE = "server"  # the value of `image` meaning "the lab's own server image"
EXERCISE_ID = re.compile(r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*$")
SERVER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")  # part of container and host names

Loc = tuple[str | int, ...]  # a place in exercise.yaml, like ("servers", 0, "count")
Problem = tuple[Loc, str]


def _exercise_id(value: str) -> str:
    if not EXERCISE_ID.match(value):
        raise ValueError("must be a two-digit number and a lower-case slug, like '01-first-fleet'")
    return value


def _server_name(value: str) -> str:
    if not SERVER_NAME.match(value):
        raise ValueError(
            "must start with a lower-case letter and hold only a-z, 0-9 and '-' "
            "(at most 31 characters), like 'web'"
        )
    return value


def _relative_folder(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value.strip():
        raise ValueError("must be a folder name inside the exercise's folder, like 'workspace'")
    return value


def _site_page(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or path.suffix != ".md" or "\\" in value:
        raise ValueError("must be a page of the site, as a path inside docs/ like "
                         "'concepts/golden-images.md'")
    return value


class ServerGroup(FrozenModel):
    """Servers alike: `count` of them from one image, named web1..webN (or `name` if one)."""

    name: Annotated[str, AfterValidator(_server_name)]
    count: Annotated[int, Field(ge=1, le=20)] = 1
    image: Text = LAB_SERVER_IMAGE
    ports: tuple[Port, ...] = (80,)  # container ports published on 127.0.0.1

    @property
    def server_names(self) -> tuple[str, ...]:
        if self.count == 1:
            return (self.name,)
        return tuple(f"{self.name}{number}" for number in range(1, self.count + 1))


@dataclass(frozen=True)
class Server:
    """One server to create: what the fleet code needs to start its container."""

    name: str
    group: str
    image: str  # LAB_SERVER_IMAGE or an image reference
    ports: tuple[int, ...]

    @property
    def uses_lab_image(self) -> bool:
        return self.image == LAB_SERVER_IMAGE


Difficulty = Literal["beginner", "intermediate", "advanced"]


class Debrief(FrozenModel):
    """Shown once, when every check first holds: what the exercise proved, and where to read on."""

    proved: Text  # Markdown: one or two sentences on what the learner has now seen for real
    # The page to read on, as a path inside the site's docs/ folder, like
    # `concepts/golden-images.md`; `lab check` prints its address on the site.
    concept: Annotated[str, AfterValidator(_site_page)]


class ExerciseSpec(FrozenModel):
    """The whole of exercise.yaml."""

    format_version: Literal[1]
    id: Annotated[str, AfterValidator(_exercise_id)]
    title: Text
    summary: Text
    # Minutes a learner typically needs; `lab list` and the exercise's page show it.
    # Optional for an instructor's own exercise; every exercise of the course declares it.
    time: Annotated[int, Field(ge=1, le=240)] | None = None
    # How hard it is for a learner who has done its prerequisites; shown beside `time`.
    difficulty: Difficulty | None = None
    # Ids of earlier exercises this one builds on: each must be an exercise of the same
    # folder that comes before it. `lab list` names them; the page links to them.
    prerequisites: tuple[Annotated[str, AfterValidator(_exercise_id)], ...] = ()
    # What the first pass proved, printed once by `lab check`, with one concept page to read.
    debrief: Debrief | None = None
    servers: tuple[ServerGroup, ...] = Field(min_length=1)
    repository: bool = True  # whether the lab's APT repository runs beside the servers
    # Whether a load balancer (nginx) fronts the servers: `lb` on the exercise's network, its
    # port 80 published on 127.0.0.1 (`lab status` shows the address), every running server
    # registered after `lab start`; deployments then go through it.
    load_balancer: bool = False
    # Packages the repository serves from the start, like `webapp 1.0`; their sources are in
    # packages/NAME/VERSION/ (docs/repository.md).
    publish: tuple[Ref, ...] = ()
    # What the lab does before the learner arrives, in order: installs on servers, and
    # repository changes between them (servers provisioned from different snapshots).
    provision: tuple[ProvisionStep, ...] = ()
    # Faults the lab injects, the same way on every run: at start, or `after` a trigger.
    faults: tuple[AnyFaultSpec, ...] = ()
    hints: tuple[Text, ...] = ()  # Markdown, shown one more each time the learner asks
    checks: tuple[AnyCheckSpec, ...] = Field(min_length=1)
    # The reference solution, in order: `lab` command lines, and the files the learner
    # writes or the workspace scripts the learner runs (lab/exercises/solution.py).
    solution: tuple[SolutionStep, ...] = ()
    workspace: Annotated[str, AfterValidator(_relative_folder)] = "workspace"

    def planned_servers(self) -> list[Server]:
        return [
            Server(name, group.name, group.image, group.ports)
            for group in self.servers
            for name in group.server_names
        ]

    @property
    def server_names(self) -> list[str]:
        return [name for group in self.servers for name in group.server_names]

    def expand(self, names: Iterable[str] | None) -> list[str]:
        """Server names from server or group names (None: all), in the exercise's order."""
        if names is None:
            return self.server_names
        wanted = set(names)
        unknown = sorted(wanted - set(self.server_names) - {g.name for g in self.servers})
        if unknown:
            raise UsageError(
                f"unknown server {unknown[0]!r}",
                f"This exercise has {', '.join(self.server_names)}.",
            )
        chosen = {n for g in self.servers if g.name in wanted for n in g.server_names} | wanted
        return [name for name in self.server_names if name in chosen]

    def solution_commands(self) -> list[list[str]]:
        """Each `lab` command step as the argument list after `lab`."""
        from lab.exercises.solution import RunLab

        lines = [step if isinstance(step, str) else step.lab for step in self.solution
                 if isinstance(step, str | RunLab)]
        return [shlex.split(line)[1:] for line in lines]

    def solution_lines(self) -> list[str]:
        """Each solution step as people read it: the command line they would type."""
        return [shown(step) for step in self.solution]

    def consistency_problems(self) -> list[Problem]:
        """Mistakes pydantic cannot see alone: clashing names, checks naming missing servers."""
        return (
            self._duplicate_server_names()
            + self._check_target_problems()
            + self._repository_problems()
            + self._balancer_problems()
        )

    def _duplicate_server_names(self) -> list[Problem]:
        problems: list[Problem] = []
        owner: dict[str, str] = {}
        for index, group in enumerate(self.servers):
            for name in group.server_names:
                if name in owner:
                    problems.append(
                        (
                            ("servers", index, "name"),
                            f"server {name!r} is also made by group {owner[name]!r}",
                        )
                    )
                owner.setdefault(name, group.name)
        return problems

    def _balancer_problems(self) -> list[Problem]:
        """The load balancer's container is named `lb`: no server may be."""
        if not self.load_balancer:
            return []
        return [(("servers", index, "name"), f"server {LB_NAME!r} would clash with the load "
                 "balancer's name; choose another")
                for index, group in enumerate(self.servers) if LB_NAME in group.server_names]

    def _check_target_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        for index, check in enumerate(self.checks):
            unknown = self._unknown_targets(("checks", index), check.servers or ())
            problems += unknown
            if isinstance(check, HttpSpec) and not unknown:
                problems += self._unpublished_port(index, check)
        return problems

    def _unknown_targets(self, where: Loc, names: tuple[str, ...]) -> list[Problem]:
        known = set(self.server_names) | {group.name for group in self.servers}
        return [
            (
                (*where, "servers", position),
                f"unknown server {name!r}; this exercise has {', '.join(self.server_names)}",
            )
            for position, name in enumerate(names)
            if name not in known
        ]

    def _repository_problems(self) -> list[Problem]:
        """Repository steps need the repository, name real servers, and name packages that
        are published at some point (else a trigger could never fire)."""
        problems = self._needs_repository() + self._unpublished_withdrawals()
        for index, step in enumerate(self.provision):
            problems += self._unknown_targets(("provision", index), step.servers or ())
        published = set(self.ever_published())
        for index, fault in enumerate(self.faults):
            problems += self._unknown_targets(("faults", index), fault.target_servers or ())
            if isinstance(fault, RepositoryFault) and fault.after is not None:
                problems += self._trigger_problems(index, fault.after, published)
        return problems

    def _unpublished_withdrawals(self) -> list[Problem]:
        """Withdrawing what is never published is a mistake in the story, not a no-op."""
        places: list[tuple[Loc, PackageRef]] = []
        for index, step in enumerate(self.provision):
            places += [(("provision", index, "withdraw", position), ref)
                       for position, ref in enumerate(step.withdraw or ())]
        for index, fault in enumerate(self.faults):
            if isinstance(fault, WithdrawSpec):
                places += [(("faults", index, "packages", position), ref)
                           for position, ref in enumerate(fault.packages)]
        published = set(self.ever_published())
        return [(loc, f"{ref} is never published, so it cannot be withdrawn")
                for loc, ref in places if ref not in published]

    def _needs_repository(self) -> list[Problem]:
        if self.repository:
            return []
        uses = self.publish or self.provision or any(
            isinstance(fault, RepositoryFault) for fault in self.faults)
        if not uses:
            return []
        return [(("repository",), "publish, provision and repository faults need the lab's "
                 "repository; set 'repository: true'")]

    def _trigger_problems(self, index: int, trigger: Trigger,
                          published: set[PackageRef]) -> list[Problem]:
        where = ("faults", index, "after")
        problems: list[Problem] = []
        if trigger.fetched not in published:
            problems.append(((*where, "fetched"), f"{trigger.fetched} is never published, "
                             "so this fault would never happen; publish it first"))
        if trigger.count > len(self.server_names):
            problems.append(((*where, "count"), f"this exercise has only "
                             f"{len(self.server_names)} servers to fetch it"))
        return problems

    def published_at(self) -> list[tuple[Loc, PackageRef]]:
        """Every place exercise.yaml publishes a package, in the order the lab publishes."""
        places: list[tuple[Loc, PackageRef]] = [
            (("publish", position), ref) for position, ref in enumerate(self.publish)]
        for index, step in enumerate(self.provision):
            places += [(("provision", index, "publish", position), ref)
                       for position, ref in enumerate(step.publish or ())]
        for index, fault in enumerate(self.faults):
            if isinstance(fault, PublishSpec):
                places += [(("faults", index, "packages", position), ref)
                           for position, ref in enumerate(fault.packages)]
        return places

    def ever_published(self) -> list[PackageRef]:
        """Every package version the repository serves at some moment: the ones to build."""
        return list(dict.fromkeys(ref for _, ref in self.published_at()))

    def _unpublished_port(self, index: int, check: HttpSpec) -> list[Problem]:
        ports = {server.name: server.ports for server in self.planned_servers()}
        missing = [name for name in self.expand(check.servers) if check.port not in ports[name]]
        if not missing:
            return []
        return [
            (
                ("checks", index, "port"),
                f"port {check.port} is not published by {', '.join(missing)}; "
                f"add it to the server group's ports",
            )
        ]


@dataclass(frozen=True)
class Exercise:
    """An exercise on disk: its validated exercise.yaml and the folder it lives in."""

    folder: Path
    spec: ExerciseSpec

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def number(self) -> int:
        return int(self.id[:2])

    @property
    def slug(self) -> str:
        return self.id[3:]

    @property
    def workspace_dir(self) -> Path:
        """The starter files copied to the learner's workspace."""
        return self.folder / self.spec.workspace

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"
