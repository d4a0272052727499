"""The exercise's repository container: its packages uploaded, published, withdrawn, listed."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lab.docker.archives import Member, pack, put_archive
from lab.docker.containers import exec_run
from lab.errors import StateError
from lab.repo.build import BuiltPackage
from lab.repo.sources import Entry

LIBRARY = "srv/lab/debs"  # every .deb the exercise may publish; only /srv/repo/pool is served
INDEX = "/srv/repo/Packages"
WITHDRAWN = "/srv/lab/withdrawn"
SEPARATOR = "@@lab-withdrawn"

State = Literal["published", "withdrawn"]


@dataclass(frozen=True)
class Served:
    """One package version the repository knows, and whether apt can get it now."""

    name: str
    version: str
    state: State
    file: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def upload(repo_id: str, packages: Sequence[BuiltPackage], extra: Iterable[Entry]) -> None:
    """The .debs into the library and the other files in place: one archive, nothing served."""
    members = [Member(f"{LIBRARY}/{package.filename}", 0o644, package.path.read_bytes())
               for package in packages]
    members += [Member(entry.path, entry.mode, entry.data) for entry in extra]
    put_archive(repo_id, "/", pack(members))


def publish(repo_id: str, files: Sequence[str]) -> None:
    """Serve these .debs from the library, and reindex once."""
    _script(repo_id, "lab-repo-publish", files)


def withdraw(repo_id: str, files: Sequence[str]) -> None:
    """Stop serving these .debs, and reindex once."""
    _script(repo_id, "lab-repo-withdraw", files)


def _script(repo_id: str, script: str, files: Sequence[str]) -> None:
    result = exec_run(repo_id, shlex.join([f"/usr/local/sbin/{script}", *files]))
    if result.exit_code != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise StateError(f"the repository could not {script.removeprefix('lab-repo-')} "
                         f"{', '.join(files)}: {lines[-1] if lines else result.exit_code}",
                         "Run `lab reset` to start the exercise afresh.")


def served(repo_id: str) -> list[Served]:
    """What the repository serves now (its index) and what was withdrawn, by name and version."""
    result = exec_run(repo_id, f"cat {INDEX}; echo {SEPARATOR}; ls {WITHDRAWN}")
    if result.exit_code != 0:
        raise StateError("the repository's index cannot be read",
                         "Run `lab start` to bring the repository back.")
    index, _, withdrawn = result.stdout.partition(f"{SEPARATOR}\n")
    rows = parse_index(index) + [_withdrawn(name) for name in withdrawn.split()]
    return sorted(rows, key=lambda row: (row.name, version_key(row.version)))


def parse_index(text: str) -> list[Served]:
    """The Package, Version and Filename of each stanza of a Packages file."""
    rows = []
    for stanza in text.split("\n\n"):
        fields = dict(_field(line) for line in stanza.splitlines() if line[:1] not in " \t#")
        if "Package" in fields:
            rows.append(Served(fields["Package"], fields.get("Version", "?"), "published",
                               fields.get("Filename", "").removeprefix("./")))
    return rows


def _field(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip(), value.strip()


def _withdrawn(file: str) -> Served:
    """`name_version_arch.deb`: Debian names and versions never contain '_'."""
    name, version, _ = [*file.removesuffix(".deb").split("_"), "", ""][:3]
    return Served(name, version.replace("%3a", ":"), "withdrawn", f"pool/{file}")


def version_key(version: str) -> tuple[Any, ...]:
    """Good enough ordering for a listing: numbers as numbers ('2.0.1' after '2.0')."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", version) if part)
