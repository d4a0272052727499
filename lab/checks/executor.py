"""The one interface every check reads server state through, so checks unit-test with a fake."""

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
    """The answer to one HTTP GET."""

    status: int
    body: str = ""


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


class Executor(Protocol):
    """How checks look at servers; the fleet code implements it over SSH or docker exec.

    The runner calls it from several threads at once, for different servers and checks.
    Every method may raise: the runner turns an exception into a failed result carrying
    its message, so an implementation need not catch anything.
    """

    def run(self, server: str, command: str) -> ExecResult:
        """Run `command` as root through `sh -c` on `server` and wait for it to finish."""
        ...

    def http_get(self, server: str, container_port: int, path: str) -> HttpResult:
        """GET `path` from the host through the port published for `container_port`.

        Raises OSError (for example ConnectionRefusedError) when nothing answers.
        """
        ...

    def info(self, server: str) -> ServerInfo:
        """The server's container and image, as the container engine reports them."""
        ...
