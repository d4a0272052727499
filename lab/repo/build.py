"""Package trees packed into .debs by dpkg-deb in one throwaway container, cached by digest.

Never the host's dpkg: a macOS or Windows host has none. The cache key is the digest of
everything dpkg-deb packs, so a start with nothing changed builds nothing at all.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.docker.archives import Member, OneOff, pack, run_one_off
from lab.errors import BuildError
from lab.repo.sources import StagedPackage

CACHE_FOLDER = "debs"
SOURCE_ROOT = "src"  # the trees go to /tmp/src/<stem>/ in the builder
BUILD_SCRIPT = """set -eu
mkdir -p /tmp/out
cd /tmp/src
for tree in */; do
    tree=${tree%/}
    dpkg-deb --root-owner-group -Zgzip --build "$tree" "/tmp/out/$tree.deb" >/dev/null
done
"""

Report = Callable[[str], None]


@dataclass(frozen=True)
class BuiltPackage:
    staged: StagedPackage
    path: Path  # the .deb in the cache

    @property
    def filename(self) -> str:
        return self.staged.filename


@dataclass(frozen=True)
class Built:
    packages: list[BuiltPackage]
    fresh: int  # how many were built now; 0 when every one came from the cache


def cache_dir(home_cache: Path) -> Path:
    return home_cache / CACHE_FOLDER


def cached_path(cache: Path, staged: StagedPackage) -> Path:
    """One file per digest; the package's own name keeps the cache readable."""
    return cache / f"{staged.digest[:32]}-{staged.filename}"


def build(staged: Sequence[StagedPackage], cache: Path, image: str, labels: dict[str, str],
          report: Report) -> Built:
    """Every package as a cached .deb; those missing are built together in one container."""
    missing = [package for package in staged if not cached_path(cache, package).is_file()]
    if missing:
        report(f"building {len(missing)} package(s): "
               f"{', '.join(str(package.ref) for package in missing)}")
        _build_in_container(missing, cache, image, labels)
    return Built([BuiltPackage(package, cached_path(cache, package)) for package in staged],
                 fresh=len(missing))


def _build_in_container(staged: Sequence[StagedPackage], cache: Path, image: str,
                        labels: dict[str, str]) -> None:
    job = OneOff(image=image, script=BUILD_SCRIPT, labels=labels, inputs=pack(_members(staged)),
                 environment={"SOURCE_DATE_EPOCH": "1700000000"})
    result = run_one_off(job)
    if result.exit_code != 0:
        lines = [line for line in result.logs.splitlines() if line.strip()]
        raise BuildError(f"dpkg-deb could not build the packages: "
                         f"{lines[-1] if lines else f'exit code {result.exit_code}'}",
                         "Fix the package source it names (docs/repository.md).")
    for package in staged:
        data = result.outputs.get(f"{_stem(package)}.deb")
        if data is None:
            raise BuildError(f"dpkg-deb made no .deb for {package.ref}",
                             "Run the start again; if it persists, `lab images build --force`.")
        _write_atomically(cached_path(cache, package), data)


def _members(staged: Sequence[StagedPackage]) -> list[Member]:
    members = [Member(SOURCE_ROOT, 0o755)]
    for package in staged:
        root = f"{SOURCE_ROOT}/{_stem(package)}"
        members.append(Member(root, 0o755))
        members += [Member(f"{root}/{entry.path}", entry.mode, entry.data)
                    for entry in package.entries]
    return members


def _stem(package: StagedPackage) -> str:
    return package.filename.removesuffix(".deb")


def _write_atomically(path: Path, data: bytes) -> None:
    """A half-written .deb must never look like a cache hit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
