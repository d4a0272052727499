"""What a check is given: its exercise, the learner's workspace and recorded moments, the
servers it judges as Host objects, and the lab's records, each reached through Sources that
lab.checking provides (and tests fake)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from lab.checks.executor import Executor
from lab.checks.host import Host
from lab.checks.records import History
from lab.checks.views import Container, Drift, Image, Request, Smoke
from lab.parallel import map_in_threads

if TYPE_CHECKING:
    from lab.exercises.schema import Exercise, ExerciseSpec

T = TypeVar("T")
PARALLEL = 16
START_MARK = "start"  # the mark `lab start` and `lab reset` record


class NotAvailable(Exception):
    """The context was made without this source (a test that did not fake it)."""


def needed(source: T | None, what: str) -> T:
    """The source, or NotAvailable naming what the check asked for."""
    if source is None:
        raise NotAvailable(f"{what} is not available in this context")
    return source


@dataclass(frozen=True)
class Sources:
    """How a context reaches the lab. lab.checking gives the real ones; a test gives the
    executor and fakes of what its checks read; asking for one left out raises NotAvailable."""

    executor: Executor
    history: Callable[[], History] | None = None
    images: Callable[[], Sequence[Image]] | None = None
    image: Callable[[str], Image | None] | None = None
    smoke: Callable[[str, Sequence[str]], Smoke] | None = None
    scratch: Callable[[str | None], AbstractContextManager[Host]] | None = None
    drift: Callable[[Sequence[str]], Sequence[Drift]] | None = None
    containers: Callable[[], Sequence[Container]] | None = None
    deploy: Callable[[str], str | None] | None = None
    balancer: Callable[[], Host | None] | None = None
    repository_log: Callable[[], Sequence[Request]] | None = None


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may look at. Python checks are called as `function(ctx)`."""

    exercise: Exercise
    sources: Sources
    workspace: Path  # the learner's workspace folder for this exercise
    student: str = "learner"
    marks: Mapping[str, datetime] = field(default_factory=dict)  # e.g. "start" -> when
    servers: tuple[str, ...] = ()  # the servers this check judges, in the exercise's order

    # --- the exercise -------------------------------------------------------------------

    @property
    def exercise_id(self) -> str:
        return self.exercise.id

    @property
    def folder(self) -> Path:
        """The exercise's folder, where exercise.yaml and checks.py are."""
        return self.exercise.folder

    @property
    def spec(self) -> ExerciseSpec:
        """exercise.yaml as the lab read it (frozen): `.faults`, `.expand(names)`, ..."""
        return self.exercise.spec

    @property
    def started_at(self) -> datetime | None:
        """When the exercise's servers were last brought up (`lab start`, `lab reset`)."""
        return self.marks.get(START_MARK)

    def with_servers(self, servers: Sequence[str]) -> CheckContext:
        return replace(self, servers=tuple(servers))

    # --- the servers --------------------------------------------------------------------

    def host(self, name: str) -> Host:
        return Host(name, self.sources.executor)

    def hosts(self) -> list[Host]:
        """The servers this check judges."""
        return [self.host(name) for name in self.servers]

    def each(self, function: Callable[[Host], T]) -> list[T]:
        """`function(host)` for every server this check judges, all at once; the results
        in the servers' order. An exception in one call is raised here."""
        return map_in_threads(function, self.hosts(), workers=PARALLEL, name="each")

    def containers(self) -> list[Container]:
        """Every server container of the exercise as the engine has it now, running or
        not, a blue/green standby included (`.standby`)."""
        return list(needed(self.sources.containers, "the fleet's containers")())

    def balancer(self) -> Host | None:
        """The load balancer as a Host (its `http` goes through it), if it runs."""
        return needed(self.sources.balancer, "the load balancer")()

    def drift(self, servers: Sequence[str] | None = None) -> list[Drift]:
        """What `lab drift` finds on these servers (default: the check's) since their image."""
        chosen = tuple(self.servers if servers is None else servers)
        return list(needed(self.sources.drift, "drift")(chosen))

    # --- the learner's images and deployments -------------------------------------------

    def history(self) -> History:
        """The exercise's deployment history, as `lab history --json` shows it."""
        return needed(self.sources.history, "the deployment history")()

    def images(self) -> list[Image]:
        """Every image the learner built with `lab build` (in any exercise), newest first."""
        return list(needed(self.sources.images, "the learner's images")())

    def latest_build(self) -> Image | None:
        """The newest image the learner built in this exercise, if any."""
        return next((image for image in self.images() if image.exercise == self.exercise_id),
                    None)

    def image(self, image_id: str) -> Image | None:
        """Any image the engine has, by id or reference; None when it is gone."""
        return needed(self.sources.image, "the engine's images")(image_id)

    def smoke(self, image_id: str, probes: Sequence[str] = ()) -> Smoke:
        """Start a throwaway container of the image, as `lab build` does: is it healthy,
        and what do the probe commands print in it. The container is removed."""
        return needed(self.sources.smoke, "a smoke test")(image_id, tuple(probes))

    def scratch(self, image_id: str | None = None) -> AbstractContextManager[Host]:
        """`with ctx.scratch(image) as fresh:` a throwaway server from `image` (default: the
        lab's server image) on the exercise's network, removed when the block ends."""
        return needed(self.sources.scratch, "a scratch server")(image_id)

    def deploy(self, image_id: str) -> str | None:
        """Deploy the image to every server, as `lab deploy` does; why it failed, or None.
        Hosts asked afterwards are the new containers."""
        return needed(self.sources.deploy, "deploying")(image_id)

    def repository_log(self) -> list[Request]:
        """Every request the exercise's repository answered since its faults were armed."""
        return list(needed(self.sources.repository_log, "the repository's access log")())
