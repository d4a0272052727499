"""The learner's recorded deployments as checks read them: read-only views of what
`lab history` shows (lab.checking makes them from the exercise's deployment history)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Deployment:
    """One `lab deploy`, `lab rollback` or reconcile pass: which image, when, how it ended."""

    number: int
    kind: str  # "deploy", "rollback" or "reconcile"
    image: str  # as the learner named it, like lab-learner/app:v2
    image_id: str  # sha256:…
    strategy: str  # "one-at-a-time", "blue-green", "switch back", ...
    started_at: datetime
    finished_at: datetime | None = None
    result: str = "running"  # "running", "succeeded", "failed" or "interrupted"
    message: str = ""
    replaced: tuple[str, ...] = ()  # servers given a new container, in order
    summary: Mapping[str, object] | None = None  # what a probe measured, if one did

    @property
    def succeeded(self) -> bool:
        return self.result == "succeeded"

    @property
    def named(self) -> str:
        """'#3 (lab-learner/app:v3, 1a2b3c4d5e6f)': the deployment as `lab history` lists it."""
        return f"#{self.number} ({self.image}, {short_id(self.image_id)})"


@dataclass(frozen=True)
class Event:
    """A fault `lab chaos` caused ("kill", "stop", "edit") or a repair `lab reconcile` made
    ("create", "replace")."""

    at: datetime
    kind: str
    server: str
    container_id: str = ""  # the container the fault hit, or the one the repair made
    detail: str = ""


@dataclass(frozen=True)
class Desired:
    """What the fleet should run: the image of the last successful deployment."""

    image: str
    image_id: str
    servers: tuple[str, ...]
    volumes: Mapping[str, str] = field(default_factory=dict)  # volume name -> path


@dataclass(frozen=True)
class History:
    """The exercise's deployments (oldest first), the chaos and repairs since, the desired
    state, and the containers a blue/green switch keeps on standby."""

    deployments: tuple[Deployment, ...] = ()
    events: tuple[Event, ...] = ()
    desired: Desired | None = None
    standby: tuple[str, ...] = ()  # container ids

    def since(self, moment: datetime | None) -> History:
        """Only the deployments started and events recorded at `moment` or later (all of
        them when `moment` is None): `ctx.history().since(ctx.started_at)`."""
        if moment is None:
            return self
        return History(tuple(item for item in self.deployments if item.started_at >= moment),
                       tuple(event for event in self.events if event.at >= moment),
                       self.desired, self.standby)

    def find(self, kind: str | None = None, strategy: str | None = None,
             result: str | None = None) -> list[Deployment]:
        """The deployments matching every criterion given, oldest first."""
        return [item for item in self.deployments
                if (kind is None or item.kind == kind)
                and (strategy is None or item.strategy == strategy)
                and (result is None or item.result == result)]

    def last_good(self, before: int | None = None) -> Deployment | None:
        """The newest successful deployment (older than number `before`, if given)."""
        return next((item for item in reversed(self.deployments)
                     if item.succeeded and (before is None or item.number < before)), None)


def short_id(image_id: str) -> str:
    """'sha256:1a2b…' -> '1a2b3c4d5e6f', as docker shows an image id."""
    return image_id.removeprefix("sha256:")[:12]
