"""Debian's package database as dpkg reports it: one dpkg-query format, parsed one way, and
what `dpkg -S` and `dpkg --verify` say about files."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

# ${db:Status-Abbrev} is three characters: desired action, current state, error flag.
FORMAT = "${db:Status-Abbrev}|${Package}|${Version}\\n"

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
# `dpkg --verify`: nine check letters ('5' third: the content differs), 'c' for a conffile.
VERIFY_LINE = re.compile(r"^(?P<checks>.{9}) (?P<attribute>[ c]) (?P<path>/.*)$")


def query(names: Iterable[str] = ()) -> str:
    """The shell command listing `names` (every package when none are given), a line each."""
    return f"dpkg-query -W -f='{FORMAT}' {_quoted(names)}".rstrip()


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


def owners_query(paths: Iterable[str]) -> str:
    """The shell command naming the packages that own each of `paths` (`dpkg -S`)."""
    return f"dpkg -S -- {_quoted(paths)} 2>/dev/null"


def parse_owners(stdout: str) -> dict[str, frozenset[str]]:
    """`dpkg -S`'s 'pkg1, pkg2:amd64: /path' lines, by path (diversions skipped)."""
    owners = {}
    for line in stdout.splitlines():
        names, separator, path = line.partition(": ")
        if separator and path.startswith("/") and not names.startswith(("diversion ", "local ")):
            owners[path] = frozenset(name.strip().split(":")[0] for name in names.split(","))
    return owners


def verify_query(packages: Iterable[str]) -> str:
    """The shell command comparing the files of `packages` with their packages' (`dpkg -V`)."""
    return f"dpkg --verify -- {_quoted(packages)} 2>/dev/null"


def parse_verify(stdout: str) -> dict[str, bool]:
    """Paths whose content differs from their package's (`??5??????`), each with whether
    it is a conffile (`c`). Missing files are left out: `docker diff` reports them."""
    modified = {}
    for line in stdout.splitlines():
        match = VERIFY_LINE.match(line)
        if match and match["checks"][2] == "5":
            modified[match["path"]] = match["attribute"] == "c"
    return modified


def _quoted(words: Iterable[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)
