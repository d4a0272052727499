"""What lab images the engine holds, and removing them: selected by label, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.docker import labels
from lab.images import catalog

if TYPE_CHECKING:
    from lab.docker.images import ImageInfo

# Children before parents: the engine refuses to remove an image another one is built on.
REMOVAL_ORDER = ["repo", "server", "base", "root"]


@dataclass(frozen=True)
class ImageRow:
    name: str
    ref: str
    image_id: str
    created: str
    size_mb: float
    status: str  # "current" or "stale"


@dataclass(frozen=True)
class Removal:
    ref: str
    removed: bool
    reason: str = ""


def rows() -> list[ImageRow]:
    """Every lab image with its role, most useful first."""
    from lab.docker import images

    found = []
    for info in images.list_lab_images():
        name = info.labels.get(labels.IMAGE, "?")
        ref = info.tags[0] if info.tags else "<untagged>"
        status = "current" if info.tags else "stale"
        found.append(ImageRow(name, ref, info.short_id, info.created,
                              round(info.size / 1e6, 1), status))
    return sorted(found, key=_order_key)


def _order_key(row: ImageRow) -> tuple[int, str, str]:
    known = ["root", *catalog.BY_NAME]
    position = known.index(row.name) if row.name in known else len(known)
    return (row.status != "current", f"{position:03d}", row.ref)


def prune(everything: bool) -> list[Removal]:
    """Remove stale lab images, or with `everything` all of them; never an unlabelled one."""
    from lab.docker import images

    removals = []
    for info in sorted(images.list_lab_images(), key=_removal_key):
        if info.tags and not everything:
            continue
        for ref in info.tags or (info.id,):
            reason = images.remove(ref)
            removals.append(Removal(ref, reason is None, reason or ""))
    return removals


def _removal_key(info: ImageInfo) -> int:
    name = info.labels.get(labels.IMAGE, "")
    return REMOVAL_ORDER.index(name) if name in REMOVAL_ORDER else -1
