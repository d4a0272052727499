"""Looking at one server: its relevant changes, packages and holds, dpkg's word on its
changed paths and, for those still in question, their fingerprints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lab import dpkg
from lab.dpkg import Package
from lab.drift.findings import Server
from lab.drift.noise import relevant_changes
from lab.drift.packages import HOLDS_QUERY, PACKAGES_QUERY, parse_holds
from lab.drift.paths import (
    FINGERPRINT_SCRIPT,
    Fingerprint,
    batches,
    by_path,
    dpkg_names,
    parse_fingerprints,
    quoted,
)

if TYPE_CHECKING:
    from lab.docker.diffs import Change
    from lab.drift.sources import Sources

DPKG_DATABASE = "/var/lib/dpkg/"  # status (states, selections, holds) and its journal


@dataclass(frozen=True)
class Observation:
    """What one server shows, before comparing with its image."""

    server: Server
    packages: dict[str, Package]
    holds: frozenset[str]
    changes: tuple[Change, ...]  # relevant ones only
    owners: dict[str, frozenset[str]]  # of the added and changed paths, on the server
    modified: dict[str, bool]  # changed paths that dpkg --verify flags -> is a conffile
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)


def dpkg_touched(changes: Iterable[Change]) -> bool:
    """Whether dpkg's database changed at all: when it did not, the server's packages,
    their states and holds are the image's, and nobody needs to ask dpkg about them."""
    return any(change.path.startswith(DPKG_DATABASE) for change in changes)


def observe(sources: Sources, server: Server, image: Mapping[str, Package]) -> Observation:
    """The server's relevant file changes, packages and holds, with the dpkg owners of the
    changed paths and what `dpkg --verify` says about them."""
    changes = sources.changes(server.container_id)
    relevant = tuple(relevant_changes(changes))
    packages, holds = dict(image), frozenset(name for name in image if image[name].held)
    if dpkg_touched(changes):
        packages = dpkg.parse(sources.run(server.container_id, PACKAGES_QUERY).stdout)
        holds = parse_holds(sources.run(server.container_id, HOLDS_QUERY).stdout)
    owners = _owners(sources, server, [change.path for change in relevant if change.kind != "D"])
    return Observation(server, packages, holds, relevant, owners,
                       modified=_modified(sources, server, owners))


def _owners(sources: Sources, server: Server, paths: Sequence[str]) -> dict[str, frozenset[str]]:
    by_alias = {alias: path for path in paths for alias in dpkg_names(path)}
    found: dict[str, frozenset[str]] = {}
    for batch in batches(list(by_alias)):
        found.update(dpkg.parse_owners(
            sources.run(server.container_id, dpkg.owners_query(batch)).stdout))
    return by_path(found, by_alias)


def _modified(sources: Sources, server: Server,
              owners: Mapping[str, frozenset[str]]) -> dict[str, bool]:
    """Which of the owned paths `dpkg --verify` flags, each with whether it is a conffile."""
    by_alias = {alias: path for path in owners for alias in dpkg_names(path)}
    modified: dict[str, bool] = {}
    for batch in batches(sorted(set().union(*owners.values()))):
        found = dpkg.parse_verify(
            sources.run(server.container_id, dpkg.verify_query(batch)).stdout)
        modified.update({by_alias[path]: conffile for path, conffile in found.items()
                         if path in by_alias})
    return modified


def fingerprinted(sources: Sources, observation: Observation,
                  paths: Sequence[str]) -> Observation:
    """The observation with the server-side fingerprints of `paths`."""
    found: dict[str, Fingerprint] = {}
    for batch in batches(paths):  # none: no probe at all
        command = f"set -- {quoted(batch)}\n{FINGERPRINT_SCRIPT}"
        found.update(parse_fingerprints(sources.run(observation.server.container_id,
                                                    command).stdout))
    return replace(observation, fingerprints=found)


def to_compare(observation: Observation, moved: frozenset[str]) -> list[str]:
    """Changed paths whose content, mode and owner must be compared with the image's:
    those no package change accounts for."""
    return [change.path for change in observation.changes if change.kind == "C"
            and (change.path in observation.modified
                 or not observation.owners.get(change.path, frozenset()) & moved)]
