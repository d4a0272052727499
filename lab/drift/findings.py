"""What drift reports: a finding's kind, each server's findings, and the fleet's verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Kind(str, Enum):
    """What kind of change a finding is; declared in the order findings are listed."""

    PACKAGE_STATE = "package-state"  # a package is not cleanly installed (iF, iU, ...)
    PACKAGE_VERSION = "package-version"
    PACKAGE_ADDED = "package-added"
    PACKAGE_REMOVED = "package-removed"
    HELD = "held"  # apt-mark hold: apt keeps the package back
    CONFFILE_CHANGED = "conffile-changed"  # a package's conffile differs from the package's
    FILE_MODIFIED = "file-modified"  # a package's other file differs from the package's
    FILE_CHANGED = "file-changed"  # content, mode, owner or type differs from the image's
    FILE_ADDED = "file-added"
    FILE_REMOVED = "file-removed"


PHRASES = {
    Kind.PACKAGE_STATE: "{subject} {detail}",
    Kind.PACKAGE_VERSION: "{subject} {detail}",
    Kind.PACKAGE_ADDED: "{subject} installed",
    Kind.PACKAGE_REMOVED: "{subject} removed",
    Kind.HELD: "{subject} held",
    Kind.CONFFILE_CHANGED: "conffile {subject} changed",
    Kind.FILE_MODIFIED: "package file {subject} modified",
    Kind.FILE_CHANGED: "{subject} {detail}",
    Kind.FILE_ADDED: "{subject} added",
    Kind.FILE_REMOVED: "{subject} removed",
}


@dataclass(frozen=True)
class Finding:
    """One change since the image: its kind, the path or package it is about, and how."""

    kind: Kind
    subject: str
    detail: str

    @property
    def summary(self) -> str:
        """A short phrase for a verdict, e.g. 'conffile /etc/nginx/nginx.conf changed'."""
        return PHRASES[self.kind].format(subject=self.subject, detail=self.detail)

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "subject": self.subject, "detail": self.detail}


def in_listing_order(findings: list[Finding]) -> tuple[Finding, ...]:
    """Findings by kind, in the order `Kind` declares them, then by subject."""
    order = list(Kind)
    return tuple(sorted(findings, key=lambda finding: (order.index(finding.kind),
                                                       finding.subject)))


@dataclass(frozen=True)
class Server:
    """A server to look at: its name, its container and the image it was created from."""

    name: str
    container_id: str
    image: str
    image_id: str


@dataclass(frozen=True)
class ServerDrift:
    """Everything one server changed since its image; no findings means identical."""

    server: Server
    findings: tuple[Finding, ...]

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def identical(self) -> bool:
        return not self.findings

    @property
    def count_text(self) -> str:
        count = len(self.findings)
        return f"{count} change{'' if count == 1 else 's'}"

    @property
    def how(self) -> str:
        """e.g. 'conffile /etc/nginx/nginx.conf changed, tree held'."""
        return ", ".join(finding.summary for finding in self.findings)

    def as_json(self) -> dict[str, Any]:
        return {
            "server": self.name, "container": self.server.container_id,
            "image": self.server.image, "image_id": self.server.image_id,
            "identical": self.identical,
            "findings": [finding.as_json() for finding in self.findings],
        }


@dataclass(frozen=True)
class PackageSpread:
    """A package whose installed version is not the same on every server (None: absent)."""

    package: str
    versions: dict[str, str | None]

    @property
    def summary(self) -> str:
        """e.g. 'tree: 2.1.0-1 on web1; absent on web2, web3'."""
        by_version: dict[str | None, list[str]] = {}
        for server, version in self.versions.items():
            by_version.setdefault(version, []).append(server)
        parts = [f"{version or 'absent'} on {', '.join(servers)}"
                 for version, servers in by_version.items()]
        return f"{self.package}: {'; '.join(parts)}"


@dataclass(frozen=True)
class FleetDrift:
    """The drift of every server looked at, and the packages on which servers disagree."""

    exercise_id: str
    servers: tuple[ServerDrift, ...]
    spread: tuple[PackageSpread, ...] = ()

    @property
    def identical(self) -> bool:
        """True when no server has any finding: every one matches its image."""
        return all(server.identical for server in self.servers)

    @property
    def drifted(self) -> list[ServerDrift]:
        return [server for server in self.servers if not server.identical]

    def server(self, name: str) -> ServerDrift:
        for drift in self.servers:
            if drift.name == name:
                return drift
        raise KeyError(name)

    @property
    def verdict(self) -> str:
        """'identical: web1, web2 match their image' or 'drifted: web2 (2 changes), ...'."""
        if self.identical:
            names = ", ".join(server.name for server in self.servers)
            return f"identical: {names} " \
                   f"{'matches its' if len(self.servers) == 1 else 'match their'} image"
        return "drifted: " + ", ".join(f"{server.name} ({server.count_text})"
                                       for server in self.drifted)

    @property
    def how(self) -> str:
        """'web2: conffile /etc/webapp/webapp.conf changed; web3: libwebapp held'."""
        return "; ".join(f"{server.name}: {server.how}" for server in self.drifted)

    def as_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise_id, "identical": self.identical,
            "verdict": self.verdict, "how": self.how,
            "servers": [server.as_json() for server in self.servers],
            "package_spread": [asdict(spread) for spread in self.spread],
        }
