"""Where the tutorial site's sources live, and one digest of everything the site is made from."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lab

CONFIG_FILE = "mkdocs.yml"
_PACKAGE_DIR = Path(lab.__file__).resolve().parent


@dataclass(frozen=True)
class SiteSources:
    """The site's configuration file, its pages folder and the exercises it pulls in."""

    config_file: Path
    exercises_dir: Path

    @property
    def docs_dir(self) -> Path:
        return self.config_file.parent / "docs"

    def files(self) -> Iterator[Path]:
        """Every file the built site depends on, in a stable order.

        The lab's own code is included because the hook renders pages from it (the
        exercise.yaml reference, hints and solutions): a new lab version rebuilds the site.
        """
        yield self.config_file
        yield from _tree(self.docs_dir)
        for folder in sorted(self.exercises_dir.glob("[0-9][0-9]-*")):
            yield from (path for name in ("README.md", "exercise.yaml")
                        if (path := folder / name).is_file())
        yield from sorted(_PACKAGE_DIR.rglob("*.py"))

    def digest(self) -> str:
        """SHA-256 over each file's path and content: equal digests, equal sites."""
        sha = hashlib.sha256()
        for path in self.files():
            sha.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        return sha.hexdigest()


def _tree(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts)


def source_root() -> Path:
    """The folder holding mkdocs.yml: the checkout, or lab/_data inside an installed wheel."""
    checkout = _PACKAGE_DIR.parent
    return checkout if (checkout / CONFIG_FILE).is_file() else _PACKAGE_DIR / "_data"


def site_sources(exercises_dir: Path) -> SiteSources:
    return SiteSources(source_root() / CONFIG_FILE, exercises_dir)
