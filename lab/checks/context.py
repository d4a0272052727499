"""What a check is given: its exercise, the learner's workspace and recorded moments, the
servers it judges as Host objects, and the lab's records, each reached through Sources that
lab.checking provides (and lab.authoring.testing fakes). Sources and the exercise object are
the lab's plumbing, kept off the authoring API: the lab reaches them through `narrowed` and
`executor_of`."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from lab.checks.executor import Executor
from lab.checks.host import Host
from lab.checks.records import History
from lab.checks.views import Container, Drift, Image, Request, Smoke
from lab.errors import LabError
from lab.parallel import map_in_threads

if TYPE_CHECKING:
    from lab.exercises.schema import Exercise, ExerciseSpec

T = TypeVar("T")
Verdict = tuple[bool, str]  # (ok, reason): one line of `lab check`
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
    """Everything a check may look at. Python checks are called as `function(ctx)`.

    The fields starting with `_` are the lab's: not part of the authoring API."""

    _exercise: Exercise
    _sources: Sources
    workspace: Path  # the learner's workspace folder for this exercise
    student: str = "learner"
    marks: Mapping[str, datetime] = field(default_factory=dict)  # e.g. "start" -> when
    servers: tuple[str, ...] = ()  # the servers this check judges, in the exercise's order

    # --- the exercise -------------------------------------------------------------------

    @property
    def exercise_id(self) -> str:
        return self._exercise.id

    @property
    def folder(self) -> Path:
        """The exercise's folder, where exercise.yaml and checks.py are."""
        return self._exercise.folder

    @property
    def spec(self) -> ExerciseSpec:
        """exercise.yaml as the lab read it. Stable for checks: `.faults` (each with the
        fields exercise.yaml gives it), `.server_names` and `.expand(names)`; the rest is
        the lab's."""
        return self._exercise.spec

    @property
    def started_at(self) -> datetime | None:
        """When the exercise's servers were last brought up (`lab start`, `lab reset`)."""
        return self.marks.get(START_MARK)

    # --- the servers --------------------------------------------------------------------

    def host(self, name: str) -> Host:
        return Host(name, self._sources.executor)

    def hosts(self) -> list[Host]:
        """The servers this check judges."""
        return [self.host(name) for name in self.servers]

    def each(self, function: Callable[[Host], T]) -> list[T]:
        """`function(host)` for every server this check judges, all at once; the results
        in the servers' order. When it raises for a server, the others still run: if it
        returns verdicts, that server's entry is `failed('web2: could not check: why')`;
        if it returns other values, the first exception is raised once all have run."""
        hosts = self.hosts()
        outcomes = map_in_threads(partial(_outcome, function), hosts, workers=PARALLEL,
                                  name="each")
        raised = [outcome for outcome in outcomes if isinstance(outcome, _Raised)]
        if not raised:
            return cast(list[T], outcomes)
        if not _returns_verdicts(function, [item for item in outcomes
                                            if not isinstance(item, _Raised)]):
            raise raised[0].exception
        return [cast(T, (False, f"{host.name}: could not check: {outcome.reason}"))
                if isinstance(outcome, _Raised) else outcome
                for host, outcome in zip(hosts, outcomes, strict=True)]

    def containers(self) -> list[Container]:
        """Every server container of the exercise as the engine has it now, running or
        not, a blue/green standby included (`.standby`)."""
        return list(needed(self._sources.containers, "the fleet's containers")())

    def balancer(self) -> Host | None:
        """The load balancer as a Host (its `http` goes through it), if it runs."""
        return needed(self._sources.balancer, "the load balancer")()

    def drift(self, servers: Sequence[str] | None = None) -> list[Drift]:
        """What `lab drift` finds on these servers (default: the check's) since their image."""
        chosen = tuple(self.servers if servers is None else servers)
        return list(needed(self._sources.drift, "drift")(chosen))

    # --- the learner's images and deployments -------------------------------------------

    def history(self) -> History:
        """The exercise's deployment history, as `lab history --json` shows it."""
        return needed(self._sources.history, "the deployment history")()

    def images(self) -> list[Image]:
        """Every image the learner built with `lab build` (in any exercise), newest first."""
        return list(needed(self._sources.images, "the learner's images")())

    def latest_build(self) -> Image | None:
        """The newest image the learner built in this exercise, if any."""
        return next((image for image in self.images() if image.exercise == self.exercise_id),
                    None)

    def image(self, image: str) -> Image | None:
        """Any image the engine has, by id or reference; None when it is gone."""
        return needed(self._sources.image, "the engine's images")(image)

    def smoke(self, image: str, probes: Sequence[str] = ()) -> Smoke:
        """Start a throwaway container of the image, as `lab build` does: is it healthy,
        and what do the probe commands print in it. The container is removed."""
        return needed(self._sources.smoke, "a smoke test")(image, tuple(probes))

    def scratch(self, image: str | None = None) -> AbstractContextManager[Host]:
        """`with ctx.scratch(image) as fresh:` a throwaway server from `image` (default: the
        lab's server image) on the exercise's network, removed when the block ends."""
        return needed(self._sources.scratch, "a scratch server")(image)

    def deploy(self, image: str) -> str | None:
        """Deploy the image to every server, as `lab deploy` does; why it failed, or None.
        Hosts asked afterwards are the new containers."""
        return needed(self._sources.deploy, "deploying")(image)

    def repository_log(self) -> list[Request]:
        """Every request the exercise's repository answered since its faults were armed."""
        return list(needed(self._sources.repository_log, "the repository's access log")())


def narrowed(context: CheckContext, servers: Sequence[str]) -> CheckContext:
    """The context of one check: the same, judging only `servers`."""
    return replace(context, servers=tuple(servers))


def executor_of(context: CheckContext) -> Executor:
    """How the context's hosts reach their servers, for the lab's declarative check kinds."""
    return context._sources.executor


@dataclass(frozen=True)
class _Raised:
    """What `function(host)` raised in `each`, kept until every server has answered."""

    exception: Exception

    @property
    def reason(self) -> str:
        exc = self.exception
        return exc.line() if isinstance(exc, LabError) else str(exc) or type(exc).__name__


def _outcome(function: Callable[[Host], T], host: Host) -> T | _Raised:
    try:
        return function(host)
    except NotAvailable:
        raise  # the test left a source out: not the server's doing
    except Exception as exc:  # one server that cannot be asked must not hide the others
        return _Raised(exc)


def _returns_verdicts(function: Callable[..., object], results: Sequence[object]) -> bool:
    """Whether `function` gives verdicts: by what it returned, else by its annotation."""
    if results:
        return all(_is_verdict(result) for result in results)
    try:
        return typing.get_type_hints(function).get("return") == Verdict
    except Exception:  # an annotation that does not resolve says nothing
        return False


def _is_verdict(value: object) -> bool:
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool)
            and isinstance(value[1], str))
