"""Where the lab keeps its files and what it names its images: one user's settings, a value.

Nothing here reads the process environment: `lab.environment` builds a Settings from it once,
at the edge, and everything below receives that value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from lab.errors import UsageError

PRODUCT = "immutable-lab"
IMAGE_PREFIX = "immutable-lab"  # the Debian root the lab bootstraps is always under this one
DEFAULT_STUDENT = "learner"
STUDENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,30}$")

# Where the lab's own files live: a checkout has images/ and exercises/ beside lab/; an
# installed wheel carries them as lab/_data/ (see pyproject.toml, force-include).
_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The lab's own folder `name` (images, exercises, docs): in the checkout or the wheel."""
    checkout = _PACKAGE_DIR.parent / name
    return checkout if checkout.is_dir() else _PACKAGE_DIR / "_data" / name


@dataclass(frozen=True)
class Settings:
    """Paths and names for one lab user. `lab.environment.current_settings()` makes the one a
    command uses from LAB_HOME, LAB_STUDENT and the other LAB_* variables; tests make theirs."""

    home: Path
    student: str
    images_dir: Path = field(default_factory=lambda: bundled("images"))
    exercises_dir: Path = field(default_factory=lambda: bundled("exercises"))
    image_prefix: str = IMAGE_PREFIX  # LAB_IMAGE_PREFIX keeps a second set of the lab's images
    offline: bool = False  # LAB_OFFLINE: never try to pull the Debian root
    workspace_override: Path | None = None  # LAB_WORKSPACE: the learner's own folder

    def for_student(self, student: str) -> Settings:
        """The same lab, another student (a class runs each student's command with these);
        the caller's own workspace folder (LAB_WORKSPACE) is theirs, not the student's."""
        return replace(self, student=check_student(student), workspace_override=None)

    @property
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
        return self.workspace_override or self.student_dir / "workspace"

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


def check_student(name: str) -> str:
    """A student name becomes part of container names, so it must be a DNS-safe label."""
    if not STUDENT_NAME.match(name):
        raise UsageError(
            f"student name {name!r} is not valid",
            "Use 1-31 lower-case letters, digits, '-', '_' or '.', "
            "starting with a letter or digit.",
        )
    return name
