"""What checks may see of the lab beyond the servers: the learner's images, a throwaway
container's verdict, the fleet's containers, drift, and the repository's access log.
Read-only values; lab.checking makes them from the engine and the lab's records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from lab.checks.records import short_id


@dataclass(frozen=True)
class Image:
    """An image on the engine; `built_at` is set for the learner's own (`lab build`)."""

    id: str  # sha256:…
    name: str  # how the lab names it to the learner: their tag, else a tag, else its id
    tags: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    built_at: datetime | None = None  # when `lab build` made it
    exercise: str = ""  # the exercise it was built in

    @property
    def short_id(self) -> str:
        return short_id(self.id)

    @property
    def named(self) -> str:
        """'lab-learner/app:v2 (1a2b3c4d5e6f)'."""
        return self.name if self.name == self.short_id else f"{self.name} ({self.short_id})"


@dataclass(frozen=True)
class Smoke:
    """A throwaway container of an image, judged as `lab build` does: did /health answer ok,
    and what did each probe command print in it."""

    healthy: bool
    detail: str  # what /health said, or why it said nothing
    outputs: Mapping[str, str] = field(default_factory=dict)  # probe command -> its stdout


@dataclass(frozen=True)
class Container:
    """A server's container as the engine has it now, running or not."""

    server: str  # the server it is (web1), whatever the container's own name
    name: str  # the container's name
    id: str
    image_id: str
    state: str  # running, exited, created, ...
    created: datetime
    standby: bool = False  # kept aside by a blue/green switch: not part of the fleet

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class Change:
    """One change `lab drift` found on a server since its image."""

    kind: str  # one of DRIFT_KINDS: "file-added", "held", ...
    subject: str  # the path or package it is about
    detail: str = ""
    summary: str = ""  # a short phrase, like 'conffile /etc/webapp/webapp.conf changed'


@dataclass(frozen=True)
class Drift:
    """Everything one server changed since its image; no changes means identical."""

    server: str
    changes: tuple[Change, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.changes

    @property
    def count_text(self) -> str:
        """'1 change', '3 changes'."""
        count = len(self.changes)
        return f"{count} change{'' if count == 1 else 's'}"

    @property
    def how(self) -> str:
        """'conffile /etc/webapp/webapp.conf changed, tree held'."""
        return ", ".join(change.summary or f"{change.kind} {change.subject}"
                         for change in self.changes)


@dataclass(frozen=True)
class Request:
    """One line of the repository's access log since the exercise's faults were armed."""

    server: str  # the server that asked ("-" for an address the repository does not know)
    status: int  # the HTTP status; 444: refused (the repository was down for it)
    path: str  # like /pool/webapp_2.0_all.deb
    at: datetime | None = None

    @property
    def delivered(self) -> bool:
        return self.status in (200, 206)

    def is_deb_of(self, package: str, version: str | None = None) -> bool:
        """Whether it asked for the package's .deb (of that version, if given)."""
        name = self.path.rsplit("/", 1)[-1]
        prefix = f"{package}_{version}_" if version else f"{package}_"
        return name.startswith(prefix) and name.endswith(".deb")
