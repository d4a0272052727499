"""The one interface every check reads a server through, so checks unit-test with a fake."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ExecResult:
    """What a command printed and how it exited."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class HttpResult:
    """The answer to one HTTP request; status 0 (with `error` saying why) when none came."""

    status: int
    body: str = ""
    error: str = ""  # why nothing answered, when status is 0

    @property
    def answered(self) -> bool:
        return self.status != 0


@dataclass(frozen=True)
class Mount:
    """Something mounted into a server's container: a volume (named or anonymous) or a bind."""

    type: str  # "volume" or "bind", as the engine says
    name: str  # the volume's name ("" for a bind); an anonymous volume's is 64 hex digits
    destination: str  # where it is mounted in the container, like /var/lib/guestbook

    @property
    def anonymous(self) -> bool:
        """A volume without a name of its own, made for one container: the lab removes it
        with that container (`docker rm -v`) when a deployment replaces the server."""
        return self.type == "volume" and len(self.name) == 64 and self.name.isalnum()


@dataclass(frozen=True)
class ServerInfo:
    """What the container engine knows about one server's container and its image."""

    name: str
    container_id: str
    image_id: str  # "sha256:…", the image's content digest
    created: datetime  # when the container was created; timezone-aware
    running: bool = True
    image_tags: tuple[str, ...] = ()  # "repository:tag" references, e.g. "immutable-lab/web:v2"
    image_labels: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    state: str = "running"  # the engine's word: running, exited, created, ...


class Executor(Protocol):
    """How checks look at servers; lab.checking implements it over the container engine.

    The runner calls it from several threads at once, for different servers and checks.
    Every method may raise: the runner turns an exception into a failed result carrying
    its message, so an implementation need not catch anything.
    """

    def run(self, server: str, command: str) -> ExecResult:
        """Run `command` as root through `sh -c` on `server` and wait for it to finish."""
        ...

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        """Send one request for `path` from the host through the port published for
        `container_port`. Raises OSError (for example ConnectionRefusedError) when nothing
        answers."""
        ...

    def info(self, server: str) -> ServerInfo:
        """The server's container and image, as the container engine reports them."""
        ...
