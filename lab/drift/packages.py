"""Package findings: what was installed, removed, upgraded, broken or held since the image,
and the packages on which servers disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lab import dpkg
from lab.dpkg import Package
from lab.drift.findings import Finding, Kind, PackageSpread

PACKAGES_QUERY = dpkg.query()  # every package, a line each
# apt-mark would otherwise write its binary caches to /var/cache/apt: looking leaves no trace.
HOLDS_QUERY = "apt-mark -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= showhold"


def parse_holds(stdout: str) -> frozenset[str]:
    """`apt-mark showhold`: one package a line, perhaps with an architecture."""
    return frozenset(line.strip().split(":")[0] for line in stdout.splitlines() if line.strip())


def package_findings(image: Mapping[str, Package], server: Mapping[str, Package]) -> list[Finding]:
    """Packages installed, removed, at another version or in a bad state since the image."""
    found: list[Finding] = []
    for name in sorted(set(image) | set(server)):
        found += _package_changes(name, image.get(name), server.get(name))
    return found


def _package_changes(name: str, before: Package | None, after: Package | None) -> list[Finding]:
    was = before if before is not None and before.installed else None
    now = after if after is not None and after.installed else None
    found = []
    if now and not was:
        found.append(Finding(Kind.PACKAGE_ADDED, name, f"{now.version}, not in the image"))
    elif was and not now:
        remains = ", its config files remain" if after and after.status[1:2] == "c" else ""
        found.append(Finding(Kind.PACKAGE_REMOVED, name, f"{was.version} in the image{remains}"))
    elif was and now and was.version != now.version:
        found.append(Finding(Kind.PACKAGE_VERSION, name, f"{was.version} → {now.version}"))
    if now and not now.healthy and not (was and was.status[1:] == now.status[1:]):
        found.append(Finding(Kind.PACKAGE_STATE, name,
                             f"{now.describe()} (dpkg {now.status})"))
    return found


def repackaged(image: Mapping[str, Package], server: Mapping[str, Package]) -> frozenset[str]:
    """Packages installed, removed or at another version: the package findings already
    account for the files they brought, took away or replaced."""
    kinds = {Kind.PACKAGE_ADDED, Kind.PACKAGE_REMOVED, Kind.PACKAGE_VERSION}
    return frozenset(finding.subject for finding in package_findings(image, server)
                     if finding.kind in kinds)


def held_findings(holds: Iterable[str], image: Mapping[str, Package],
                  server: Mapping[str, Package]) -> list[Finding]:
    """Packages on hold that were not on hold in the image."""
    found = []
    for name in sorted(set(holds)):
        if name in image and image[name].held:
            continue
        version = server[name].version if name in server else ""
        at = f" at {version}" if version else ""
        found.append(Finding(Kind.HELD, name, f"on hold{at}: apt will not upgrade it"))
    return found


def package_spread(packages: Mapping[str, Mapping[str, Package]]) -> list[PackageSpread]:
    """Packages installed at different versions, or not at all, on different servers."""
    if len(packages) < 2:
        return []
    names = sorted({name for installed in packages.values()
                    for name, package in installed.items() if package.installed})
    spread = []
    for name in names:
        versions = {server: (installed[name].version if name in installed
                             and installed[name].installed else None)
                    for server, installed in packages.items()}
        if len(set(versions.values())) > 1:
            spread.append(PackageSpread(name, versions))
    return spread
