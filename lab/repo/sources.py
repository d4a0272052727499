"""Package sources (`packages/<name>/<version>/`) turned into the trees dpkg-deb packs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lab.errors import UsageError
from lab.repo.specs import PackageRef

if TYPE_CHECKING:
    from lab.exercises.schema import ExerciseSpec, Problem

SOURCES = "packages"  # in an exercise's folder, and beside the exercises for the shared ones
CONTROL = "control"
FILES = "files"
SCRIPTS = ("preinst", "postinst", "prerm", "postrm")
MAINTAINER = "immutable-lab <lab@immutable-lab.invalid>"
# Changing how a package is laid out or packed must change every digest, so bump this too.
RECIPE = "dpkg-deb --root-owner-group -Zgzip --build; control v1"
FIRST_FIELDS = ("Package", "Version", "Architecture", "Maintainer", "Installed-Size")


@dataclass(frozen=True)
class Entry:
    """One file or folder of a package tree, as dpkg-deb will see it."""

    path: str  # relative, POSIX, e.g. "DEBIAN/control" or "etc/webapp"
    mode: int
    data: bytes | None = None  # None for a folder


@dataclass(frozen=True)
class StagedPackage:
    """A package ready to pack: its tree, the name of its .deb and a digest of both."""

    ref: PackageRef
    architecture: str
    entries: tuple[Entry, ...]

    @property
    def filename(self) -> str:
        """Debian's pool name: the epoch's ':' cannot appear in a file name."""
        version = self.ref.version.replace(":", "%3a")
        return f"{self.ref.name}_{version}_{self.architecture}.deb"

    @property
    def digest(self) -> str:
        """sha256 of everything that decides the .deb's content: the cache key."""
        digest = hashlib.sha256(RECIPE.encode())
        for entry in self.entries:
            digest.update(f"\0{entry.path}\0{entry.mode:o}\0".encode())
            digest.update(b"-" if entry.data is None else entry.data)
        return digest.hexdigest()


def source_folder(exercise_folder: Path, ref: PackageRef) -> Path | None:
    """Where `ref`'s source lives: the exercise's own packages/ first, then the shared one."""
    for root in (exercise_folder / SOURCES, exercise_folder.parent / SOURCES):
        candidate = root / ref.name / ref.version
        if candidate.is_dir():
            return candidate
    return None


def stage_all(exercise_folder: Path, refs: Iterable[PackageRef]) -> list[StagedPackage]:
    staged = []
    for ref in refs:
        folder = source_folder(exercise_folder, ref)
        if folder is None:
            raise UsageError(
                f"package {ref} has no source",
                f"Add {exercise_folder / SOURCES / ref.name / ref.version}/ with a control file.",
            )
        staged.append(stage(ref, folder))
    return staged


def stage(ref: PackageRef, folder: Path) -> StagedPackage:
    """The tree of `ref` from its source folder; a mistake is a UsageError naming the file."""
    _refuse_strangers(folder)
    files = _payload(folder / FILES)
    fields = parse_control(folder / CONTROL)
    fields = complete_control(fields, ref, folder / CONTROL, installed_kib(files))
    entries = [Entry("DEBIAN", 0o755), Entry("DEBIAN/control", 0o644, render_control(fields))]
    conffiles = [f"/{entry.path}\n" for entry in files
                 if entry.data is not None and entry.path.startswith("etc/")]
    if conffiles:
        entries.append(Entry("DEBIAN/conffiles", 0o644, "".join(conffiles).encode()))
    entries += [_script(folder / name) for name in SCRIPTS if (folder / name).is_file()]
    return StagedPackage(ref, fields["Architecture"], tuple(sorted(entries + files,
                                                                   key=lambda e: e.path)))


def _refuse_strangers(folder: Path) -> None:
    """A typo such as `postinstall` would silently do nothing: name it instead."""
    known = {CONTROL, FILES, *SCRIPTS}
    for child in sorted(folder.iterdir()):
        if child.name not in known:
            raise UsageError(
                f"{child}: unknown file in a package source",
                f"A source holds {CONTROL}, {FILES}/ and maintainer scripts "
                f"({', '.join(SCRIPTS)}).",
            )
    if not (folder / CONTROL).is_file():
        raise UsageError(f"{folder}: no {CONTROL} file",
                         "Write one with at least a Description: field.")


def _script(path: Path) -> Entry:
    data = path.read_bytes()
    if not data.startswith(b"#!"):
        raise UsageError(f"{path}: a maintainer script must start with '#!'",
                         "Begin it with '#!/bin/sh' and 'set -e'.")
    return Entry(f"DEBIAN/{path.name}", 0o755, data)


def _payload(root: Path) -> list[Entry]:
    """The files the package installs: files/etc/x becomes /etc/x; only the exec bit counts."""
    if not root.is_dir():
        return []
    entries = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise UsageError(f"{path}: symbolic links are not supported in package sources",
                             "Copy the file instead, or create the link in postinst.")
        if path.is_dir():
            entries.append(Entry(relative, 0o755))
        else:
            executable = path.stat().st_mode & 0o111
            entries.append(Entry(relative, 0o755 if executable else 0o644, path.read_bytes()))
    return entries


def installed_kib(files: Iterable[Entry]) -> int:
    """Roughly `du -k`: each file rounded up to a KiB, each folder one KiB."""
    return sum(1 if entry.data is None else -(-len(entry.data) // 1024) for entry in files)


def parse_control(path: Path) -> dict[str, str]:
    """Fields of a control file in order; a continuation line (leading blank) joins its field.

    Lines starting with '#' are the author's comments and are dropped.
    """
    fields: dict[str, str] = {}
    last = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if line[0] in " \t" and last is not None:
            fields[last] += "\n" + line.rstrip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or " " in name.strip():
            raise UsageError(f"{path}:{number}: expected 'Field: value'",
                             "Indent a continuation line with one space.")
        last = name.strip()
        fields[last] = value.strip()
    return fields


def complete_control(fields: dict[str, str], ref: PackageRef, path: Path,
                     kib: int) -> dict[str, str]:
    """The fields with the lab's defaults; Package and Version come from the folder names."""
    for name, expected in (("Package", ref.name), ("Version", ref.version)):
        if fields.get(name, expected) != expected:
            raise UsageError(f"{path}: {name} is {fields[name]!r} but the folder says "
                             f"{expected!r}", f"Remove the {name} field or make them agree.")
    if not fields.get("Description"):
        raise UsageError(f"{path}: no Description field",
                         "Add 'Description: one line saying what the package is'.")
    defaults = {"Package": ref.name, "Version": ref.version, "Architecture": "all",
                "Maintainer": MAINTAINER, "Installed-Size": str(kib)}
    merged = {**defaults, **fields}
    ordered = {name: merged[name] for name in FIRST_FIELDS}
    rest = {name: value for name, value in merged.items() if name not in ordered}
    description = rest.pop("Description")
    return {**ordered, **rest, "Description": description}


def render_control(fields: dict[str, str]) -> bytes:
    return "".join(f"{name}: {value}\n" for name, value in fields.items()).encode()


def source_problems(spec: ExerciseSpec, exercise_folder: Path) -> list[Problem]:
    """Each package published without a source folder, at the first place that publishes it."""
    problems: list[Problem] = []
    reported: set[PackageRef] = set()
    for loc, ref in spec.published_at():
        if ref in reported or source_folder(exercise_folder, ref) is not None:
            continue
        reported.add(ref)
        problems.append((loc, f"no source for {ref}: expected the folder "
                         f"{SOURCES}/{ref.name}/{ref.version}/ in the exercise or beside it"))
    return problems
