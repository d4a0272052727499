"""Where the lab keeps its files and which environment variables change that."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from lab.errors import UsageError

PRODUCT = "immutable-lab"
IMAGE_PREFIX = "immutable-lab"  # the Debian root the lab bootstraps is always under this one
DEFAULT_STUDENT = "learner"
STUDENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,30}$")

# Where the lab's own files live: a checkout has images/ and exercises/ beside lab/; an
# installed wheel carries them as lab/_data/ (see pyproject.toml, force-include).
_PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    checkout = _PACKAGE_DIR.parent / name
    return checkout if checkout.is_dir() else _PACKAGE_DIR / "_data" / name


@dataclass(frozen=True)
class Settings:
    """Paths and names for one lab user; built from the environment by `current()`."""

    home: Path
    student: str

    @cached_property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def private_key(self) -> Path:
        return self.keys_dir / "id_ed25519"

    @property
    def student_dir(self) -> Path:
        return self.home / "students" / self.student

    @property
    def progress_file(self) -> Path:
        return self.student_dir / "progress.json"

    @property
    def workspace_root(self) -> Path:
        override = os.environ.get("LAB_WORKSPACE")
        return Path(override).expanduser() if override else self.student_dir / "workspace"

    @property
    def backups_dir(self) -> Path:
        return self.student_dir / "backups"

    @property
    def lock_file(self) -> Path:
        """This student's lock (lab.locking): students never wait for each other."""
        return self.student_dir / "lab.lock"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def images_dir(self) -> Path:
        override = os.environ.get("LAB_IMAGES")
        return Path(override) if override else _bundled("images")

    @property
    def exercises_dir(self) -> Path:
        override = os.environ.get("LAB_EXERCISES")
        return Path(override) if override else _bundled("exercises")


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(PRODUCT, appauthor=False))


def check_student(name: str) -> str:
    """A student name becomes part of container names, so it must be a DNS-safe label."""
    if not STUDENT_NAME.match(name):
        raise UsageError(
            f"student name {name!r} is not valid",
            "Use 1-31 lower-case letters, digits, '-', '_' or '.', "
            "starting with a letter or digit.",
        )
    return name


def image_prefix() -> str:
    """Repository prefix of the images the lab builds; LAB_IMAGE_PREFIX keeps a second set."""
    return os.environ.get("LAB_IMAGE_PREFIX") or IMAGE_PREFIX


def current() -> Settings:
    """Settings from LAB_HOME and LAB_STUDENT, or their defaults."""
    home = os.environ.get("LAB_HOME")
    student = os.environ.get("LAB_STUDENT") or DEFAULT_STUDENT
    return Settings(
        home=Path(home).expanduser() if home else default_home(),
        student=check_student(student),
    )
