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
from lab.errors import UsageError

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


def _lab_command(step: str) -> str:
    try:
        words = shlex.split(step)
    except ValueError as exc:  # an unclosed quote
        raise ValueError(f"cannot be split into words: {exc}") from None
    if not words or words[0] != "lab":
        raise ValueError("must be a `lab` command line, like 'lab run --all -- uptime'")
    return step


def _relative_folder(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value.strip():
        raise ValueError("must be a folder name inside the exercise's folder, like 'workspace'")
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


class ExerciseSpec(FrozenModel):
    """The whole of exercise.yaml."""

    format_version: Literal[1]
    id: Annotated[str, AfterValidator(_exercise_id)]
    title: Text
    summary: Text
    servers: tuple[ServerGroup, ...] = Field(min_length=1)
    repository: bool = True  # whether the lab's APT repository runs beside the servers
    hints: tuple[Text, ...] = ()  # Markdown, shown one more each time the learner asks
    checks: tuple[AnyCheckSpec, ...] = Field(min_length=1)
    solution: tuple[Annotated[str, AfterValidator(_lab_command)], ...] = ()
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
        """Each solution step as the argument list after `lab`, for `lab solve` to run."""
        return [shlex.split(step)[1:] for step in self.solution]

    def consistency_problems(self) -> list[Problem]:
        """Mistakes pydantic cannot see alone: clashing names, checks naming missing servers."""
        return self._duplicate_server_names() + self._check_target_problems()

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

    def _check_target_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        for index, check in enumerate(self.checks):
            unknown = self._unknown_targets(index, check.servers or ())
            problems += unknown
            if isinstance(check, HttpSpec) and not unknown:
                problems += self._unpublished_port(index, check)
        return problems

    def _unknown_targets(self, index: int, names: tuple[str, ...]) -> list[Problem]:
        known = set(self.server_names) | {group.name for group in self.servers}
        return [
            (
                ("checks", index, "servers", position),
                f"unknown server {name!r}; this exercise has {', '.join(self.server_names)}",
            )
            for position, name in enumerate(names)
            if name not in known
        ]

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
