"""Debian's package database as dpkg-query reports it: one query format, parsed one way."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

# ${db:Status-Abbrev} is three characters: desired action, current state, error flag.
FORMAT = "${db:Status-Abbrev}|${Package}|${Version}\\n"

DESIRED = {"u": "unknown", "i": "install", "r": "remove", "p": "purge", "h": "hold"}
CURRENT = {
    "n": "not installed",
    "c": "removed, config files remain",
    "H": "half-installed (unpacking failed)",
    "U": "unpacked but not configured",
    "F": "half-configured (its postinst failed)",
    "W": "waiting for triggers",
    "t": "triggers pending",
    "i": "installed",
}
NOT_FOUND = "no packages found"  # what dpkg-query says of a name it has never heard of


def query(names: Iterable[str] = ()) -> str:
    """The shell command listing `names` (every package when none are given), a line each."""
    quoted = " ".join(shlex.quote(name) for name in names)
    return f"dpkg-query -W -f='{FORMAT}' {quoted}".rstrip()


@dataclass(frozen=True)
class Package:
    """A package as dpkg-query lists it; `status` is its abbreviated dpkg status, e.g. 'ii'."""

    name: str
    version: str
    status: str

    @property
    def state(self) -> str:
        """The first two status letters, desired action and current state: 'ii', 'iF', 'hi'."""
        return self.status[:2]

    @property
    def installed(self) -> bool:
        """Its files are on disk, whatever its state (not 'n'ot installed, not 'c'onfig only)."""
        return len(self.status) >= 2 and self.status[1] not in "nc"

    @property
    def healthy(self) -> bool:
        """Installed and configured, with no reinstall-required flag."""
        return self.status[1:] == "i"

    @property
    def held(self) -> bool:
        return self.status.startswith("h")

    def describe(self) -> str:
        """'iF' -> 'half-configured (its postinst failed)'; 'hi' -> 'installed, on hold'."""
        return describe_state(self.status)


def parse(stdout: str) -> dict[str, Package]:
    """dpkg-query's 'ii |tree|2.1.0-1' lines, by package name."""
    packages = {}
    for line in stdout.splitlines():
        status, _, rest = line.partition("|")
        name, separator, version = rest.partition("|")
        if separator and name:
            packages[name] = Package(name, version, status.strip())
    return packages


def describe_state(state: str) -> str:
    """'iF' -> 'half-configured (its postinst failed)'; 'hi' -> 'installed, on hold'."""
    if len(state) < 2:
        return state or "unknown"
    text = CURRENT.get(state[1], state)
    if state[0] == "h":
        text += ", on hold"
    if state.endswith("R"):
        text += ", reinstall required"
    return text
