"""The servers SSH talks to (name and reached address) and what a command did on each."""

from __future__ import annotations

from dataclasses import dataclass

from lab import reach
from lab.errors import LabError

CONNECT_FAILED = 255  # what ssh(1) exits with when it cannot connect
TIMED_OUT = 124  # what timeout(1) exits with when the command ran too long


@dataclass(frozen=True)
class Target:
    """One server as SSH sees it: its name and the host port Docker published for its port 22."""

    name: str
    host: str
    port: int

    @classmethod
    def local(cls, name: str, port: int) -> Target:
        """A server's SSH port, published on the engine's 127.0.0.1, where this process
        reaches it (lab.reach: there, or through a tunnel); never a container IP."""
        host, reached = reach.address(port)
        return cls(name, host, reached)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class RunResult:
    """What one server did: exit code and output, or `error` when the command never completed."""

    server: str
    exit_code: int
    stdout: str = ""
    stderr: str = ""
    error: str = ""

    @classmethod
    def failed(cls, server: str, error: LabError, exit_code: int = CONNECT_FAILED) -> RunResult:
        return cls(server, exit_code, error=error.line())

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.error

    def line(self) -> str:
        """One line for a summary: `web1: ok`, `web2: exit 3` or the error."""
        if self.error:
            return self.error
        return f"{self.server}: ok" if self.ok else f"{self.server}: exit {self.exit_code}"
