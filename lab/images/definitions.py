"""The lab's own images (base, server, repo, lb), their build order and build-context hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lab.errors import UsageError
from lab.settings import Settings


@dataclass(frozen=True)
class ImageSpec:
    """One image the lab builds from `images/<name>/Dockerfile` on top of `parent`."""

    name: str
    parent: str  # "root" (the Debian root image) or another spec's name
    parent_arg: str  # the Dockerfile ARG that receives the parent's reference
    summary: str

    def ref_for(self, settings: Settings) -> str:
        """Its reference under the settings' image prefix (LAB_IMAGE_PREFIX)."""
        return f"{settings.image_prefix}/{self.name}:latest"

    def context_for(self, settings: Settings) -> Path:
        """Its build context in the settings' images folder (LAB_IMAGES)."""
        return settings.images_dir / self.name

    # The environment's: for the callers that do not pass settings yet (lab.fleet,
    # lab.deploy.builds, bench/); to go once they do.

SPECS: tuple[ImageSpec, ...] = (
    ImageSpec("base", "root", "ROOT", "Debian bookworm, slimmed, with tini"),
    ImageSpec("server", "base", "BASE", "a stand-in server: sshd (keys only) and nginx"),
    ImageSpec("repo", "base", "BASE", "the lab's APT repository: dpkg-dev and nginx"),
    ImageSpec("lb", "base", "BASE", "the exercise's load balancer: nginx"),
)
BY_NAME = {spec.name: spec for spec in SPECS}


def select(names: list[str] | None) -> list[ImageSpec]:
    """The specs named, plus the parents they need, in build order."""
    if not names:
        return list(SPECS)
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise UsageError(
            f"unknown image {', '.join(unknown)}",
            f"The lab's images are: {', '.join(BY_NAME)}.",
        )
    wanted = set(names)
    for name in names:
        parent = BY_NAME[name].parent
        while parent in BY_NAME:
            wanted.add(parent)
            parent = BY_NAME[parent].parent
    return [spec for spec in SPECS if spec.name in wanted]


def context_hash(context: Path, parent_id: str) -> str:
    """A hash of every file in the build context (path, exec bit, bytes) and the parent.

    The parent's image id is part of it, so a rebuilt base makes its children rebuild.
    Only the exec bit of the mode counts: git keeps nothing else, and a fresh clone
    must hash the same as the checkout it came from.
    """
    digest = hashlib.sha256(parent_id.encode())
    for path in sorted(context.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(context).as_posix()
        executable = "x" if path.stat().st_mode & 0o111 else "-"
        digest.update(f"\0{relative}\0{executable}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
