"""File findings: which of a server's changed paths are drift, and how each changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lab.drift.findings import Finding, Kind
from lab.drift.observe import Observation
from lab.drift.paths import ABSENT, PathFacts, parents

if TYPE_CHECKING:
    from lab.docker.diffs import Change


def file_findings(observation: Observation, moved: frozenset[str],
                  image: Mapping[str, PathFacts]) -> list[Finding]:
    """The changed paths that differ from the image and no package change (`moved`, the
    packages installed, removed or upgraded) accounts for."""
    found = [_file_finding(change, observation, moved, image) for change in observation.changes]
    return fold_subtrees([finding for finding in found if finding is not None])


def _file_finding(change: Change, seen: Observation, moved: frozenset[str],
                  image: Mapping[str, PathFacts]) -> Finding | None:
    path = change.path
    before = image.get(path, ABSENT)
    if change.kind == "D":
        if before.owners & moved:
            return None
        return Finding(Kind.FILE_REMOVED, path, "deleted" + _of_packages(before.owners))
    owners = seen.owners.get(path, frozenset())
    after = seen.fingerprints.get(path)
    if after is not None and after == before.fingerprint:
        return None  # changed back, or only its times changed
    how = before.fingerprint.differences(after) if after else ""
    if path in seen.modified and (after is None or not after.same_content(before.fingerprint)):
        kind = Kind.CONFFILE_CHANGED if seen.modified[path] else Kind.FILE_MODIFIED
        return Finding(kind, path, (how or "differs from its package's copy")
                       + _of_packages(owners))
    if owners & moved:
        return None
    if change.kind == "A":
        return Finding(Kind.FILE_ADDED, path, "not in the image")
    return Finding(Kind.FILE_CHANGED, path, (how or "changed") + _of_packages(owners))


def _of_packages(owners: frozenset[str]) -> str:
    return f" ({', '.join(sorted(owners))})" if owners else ""


def fold_subtrees(findings: Sequence[Finding]) -> list[Finding]:
    """An added (or removed) folder stands for everything added (or removed) below it."""
    tops: dict[tuple[Kind, str], int] = {}
    subjects = {(finding.kind, finding.subject) for finding in findings}
    for finding in findings:
        top = next((parent for parent in reversed(list(parents(finding.subject)))
                    if (finding.kind, parent) in subjects), None)
        if top is not None:
            tops[finding.kind, top] = tops.get((finding.kind, top), 0) + 1
    return [_with_count(finding, tops.get((finding.kind, finding.subject), 0))
            for finding in findings
            if not any((finding.kind, parent) in subjects for parent in parents(finding.subject))]


def _with_count(finding: Finding, below: int) -> Finding:
    if not below:
        return finding
    entries = f"{below} entr{'y' if below == 1 else 'ies'}"
    return Finding(finding.kind, finding.subject, f"{finding.detail}, with {entries} below it")
