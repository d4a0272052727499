"""Throwaway servers: a fresh container on an exercise's network, for a check to try
something on (install a package manifest, say), always removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from uuid import uuid4

from lab import fleet
from lab.checks.executor import ExecResult
from lab.docker import containers
from lab.docker.containers import ContainerSpec
from lab.errors import LabError, StateError
from lab.settings import Settings

SCRATCH_ROLE = "check"  # the `lab.role` of a throwaway server: never a server of the fleet
TOKEN_LABEL = "scratch"  # `lab.scratch`: tells one throwaway server from another


@dataclass(frozen=True)
class ScratchServer:
    """A running throwaway server: its container's name and id, and a way to run commands."""

    name: str
    container_id: str

    def run(self, command: str) -> ExecResult:
        """Run a shell command as root (docker exec, not SSH), as a check's Executor does."""
        result = containers.exec_run(self.container_id, command)
        return ExecResult(result.exit_code, result.stdout, result.stderr)


def scratch_spec(settings: Settings, exercise_id: str, image: str, role: str,
                 token: str) -> ContainerSpec:
    """The container of a throwaway server: on the exercise's network, carrying the
    exercise's labels and `role`, so that stopping or resetting the exercise removes it."""
    names = fleet.Names(settings.student, exercise_id)
    return ContainerSpec(
        name=names.container(f"{role}-{token}"), image=image,
        labels=names.labels(role, **{TOKEN_LABEL: token}), network=names.network,
        hostname=role,
    )


@contextmanager
def scratch_server(settings: Settings, exercise_id: str, image: str | None = None,
                   role: str = SCRATCH_ROLE) -> Iterator[ScratchServer]:
    """A fresh server from `image` (default: the lab's server image) on the running
    exercise's network, where `repo` answers as it does for the exercise's servers.

    Removed on leaving the block, whatever happens in it. The repository does not know it
    by name: its downloads count towards a fault's `after: {fetched: ...}` trigger as a
    stranger's (by address), and faults aimed at named servers leave it alone.
    """
    spec = scratch_spec(settings, exercise_id, image or fleet.image_ref("server", settings),
                        role, uuid4().hex[:8])
    _require_network(spec.network, exercise_id)
    container_id = _create(spec)
    try:
        yield ScratchServer(spec.name, container_id)
    finally:
        containers.remove(container_id)


def _require_network(network: str, exercise_id: str) -> None:
    if not any(name == network for _, name in containers.find_networks()):
        raise StateError(f"the network of {exercise_id} does not exist",
                         f"Run `lab start {exercise_id}` first.")


def _create(spec: ContainerSpec) -> str:
    """Create and start the container; if starting fails, the created one is removed."""
    try:
        return containers.create_and_start(spec)
    except LabError:
        token = spec.labels[f"lab.{TOKEN_LABEL}"]
        # Created but not started: remove it now; an engine gone away must not hide why.
        with suppress(LabError):
            for info in containers.find(**{TOKEN_LABEL: token}):
                containers.remove(info.id)
        raise
