"""What an exercise's fleet should run and what happened to it: desired state, deployment
history, and the chaos and repairs since; one JSON file per student and exercise."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lab.errors import StateError
from lab.files import updating, write_atomically
from lab.settings import Settings

EVENTS_KEPT = 500  # `lab reconcile --watch` may run for hours: keep the newest only
LOCK_TIMEOUT_SECONDS = 10

Kind = Literal["deploy", "rollback", "reconcile"]
Result = Literal["running", "succeeded", "failed", "interrupted"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Desired(_Record):
    """The image every server should run, which servers there are, and their volumes."""

    image: str  # the reference the learner gave, resolved: `lab-learner/app:v2`
    image_id: str  # sha256:…, the digest every server's container must be made from
    servers: tuple[str, ...]
    volumes: dict[str, str] = Field(default_factory=dict)  # volume name -> path in server


class Deployment(_Record):
    """One `lab deploy` or `lab rollback`: which image, when, how it ended, and why."""

    number: int
    kind: Kind = "deploy"
    image: str
    image_id: str
    strategy: str = "one-at-a-time"  # or "switch back": blue/green's rollback
    started_at: datetime
    finished_at: datetime | None = None
    result: Result = "running"
    message: str = ""
    replaced: tuple[str, ...] = ()  # servers given a new container, in order
    # What users saw, when a probe measured it (lab.deploy.summary.Summary.as_json()), and the
    # sha256 of the workspace's predictions.yaml when the deployment began, if there was one
    # ("predictions_sha256", lab.deploy.rollout.PREDICTIONS).
    summary: dict[str, object] | None = None

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Event(_Record):
    """A fault `lab chaos` caused, or a repair `lab reconcile` made."""

    at: datetime
    kind: str  # "kill", "stop", "edit" (chaos); "create", "replace" (reconcile)
    server: str
    container_id: str = ""  # the container the fault hit, or the one the repair made
    detail: str = ""


class FleetState(_Record):
    format_version: Literal[1] = 1
    desired: Desired | None = None
    deployments: tuple[Deployment, ...] = ()
    events: tuple[Event, ...] = ()
    # Containers of the previous environment kept after a blue/green switch, out of the
    # balancer: not servers of the fleet, but what `lab rollback` switches back to.
    standby: tuple[str, ...] = ()
    standby_image_id: str = ""

    def begin(self, kind: Kind, image: str, image_id: str, strategy: str,
              now: datetime | None = None) -> tuple[FleetState, Deployment]:
        number = (self.deployments[-1].number + 1) if self.deployments else 1
        deployment = Deployment(number=number, kind=kind, image=image, image_id=image_id,
                                strategy=strategy, started_at=now or utc_now())
        return self.model_copy(update={"deployments": (*self.deployments, deployment)}), deployment

    def finish(self, number: int, result: Result, message: str, replaced: tuple[str, ...],
               desired: Desired | None = None, now: datetime | None = None,
               summary: dict[str, object] | None = None) -> FleetState:
        """The deployment ended; a successful one makes its image the desired one."""
        ended = [
            item.model_copy(update={"result": result, "message": message, "replaced": replaced,
                                    "finished_at": now or utc_now(), "summary": summary})
            if item.number == number else item
            for item in self.deployments
        ]
        update: dict[str, object] = {"deployments": tuple(ended)}
        if desired is not None and result == "succeeded":
            update["desired"] = desired
        return self.model_copy(update=update)

    def with_events(self, *events: Event) -> FleetState:
        return self.model_copy(update={"events": (*self.events, *events)[-EVENTS_KEPT:]})

    def last_good(self, before: int | None = None) -> Deployment | None:
        """The newest successful deployment (older than number `before`, if given)."""
        return next((item for item in reversed(self.deployments)
                     if item.result == "succeeded"
                     and (before is None or item.number < before)), None)

    def rollback_target(self) -> Deployment | None:
        """The image to go back to: the newest successful deployment of another image than
        the newest deployment's (which failed, or succeeded and is regretted)."""
        if not self.deployments:
            return None
        newest = self.deployments[-1]
        return next((item for item in reversed(self.deployments[:-1])
                     if item.result == "succeeded" and item.image_id != newest.image_id), None)


class StateStore:
    """Reads and writes one exercise's FleetState; changes go through `update`, under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS,
                              is_singleton=False)

    @classmethod
    def of(cls, settings: Settings, exercise_id: str) -> StateStore:
        return cls(settings.student_dir / "deployments" / f"{exercise_id}.json")

    def load(self) -> FleetState:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return FleetState()
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"cannot read {self.path}: {exc}") from None
        try:
            return FleetState.model_validate_json(text)
        except ValidationError:
            raise StateError(f"{self.path} is not a deployment history the lab can read",
                             "Move it aside; `lab reset` starts the exercise afresh.") from None

    def update(self, change: Callable[[FleetState], FleetState]) -> FleetState:
        with self._locked():
            state = change(self.load())
            write_atomically(self.path, state.model_dump_json(indent=2) + "\n")
            return state

    def forget(self) -> None:
        """The exercise starts over: no desired state, no history."""
        with self._locked():
            self.path.unlink(missing_ok=True)

    def _locked(self) -> AbstractContextManager[None]:
        return updating(self.path, self._lock)
