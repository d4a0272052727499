"""What images the engine holds, and removing them, selected by label and nothing else: the
lab's own images, and apart from them each learner's `lab build` images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lab.deploy import builds
from lab.deploy.builds import APP_ROLE, BUILT_AT_LABEL, TAG_LABEL
from lab.deploy.state import StateStore
from lab.docker import containers, images, labels
from lab.docker.images import ImageInfo
from lab.errors import StateError
from lab.images import definitions
from lab.locking import state_lock
from lab.settings import Settings

# Children before parents: the engine refuses to remove an image another one is built on.
REMOVAL_ORDER = ["repo", "server", "base", "root"]
# Where a learner's Dockerfile may say which version it bakes (`LABEL version=2.0`).
VERSION_LABELS = ("org.opencontainers.image.version", "version")


@dataclass(frozen=True)
class ImageRow:
    name: str
    ref: str
    image_id: str
    created: str
    size_mb: float
    status: str  # "current" or "stale"


@dataclass(frozen=True)
class MyImageRow:
    """One of the learner's images, as `lab images list` shows it."""

    tags: tuple[str, ...]  # its tags in the learner's repository: ("v2",), or () once rebuilt
    built_as: str  # the tag it was built with (lab.tag)
    ref: str  # how `lab deploy` can name it: lab-learner/app:v2, or its short id
    image_id: str
    exercise: str
    built_at: str  # local time
    version: str  # from a version label of the learner's Dockerfile, if any


@dataclass(frozen=True)
class Removal:
    ref: str
    removed: bool
    reason: str = ""


def is_learners(info: ImageInfo) -> bool:
    """A learner's image (`lab build`), not one of the lab's. It inherits `lab.image=server`
    from the image it starts from, so its role and student labels tell it apart."""
    return info.labels.get(labels.ROLE) == APP_ROLE or labels.STUDENT in info.labels


def lab_images() -> list[ImageInfo]:
    """The lab's own images on the engine, tagged or not; never a learner's."""
    return [info for info in images.list_lab_images() if not is_learners(info)]


def rows() -> list[ImageRow]:
    """Every lab image with its role, most useful first."""
    found = []
    for info in lab_images():
        name = info.labels.get(labels.IMAGE, "?")
        ref = info.tags[0] if info.tags else "<untagged>"
        status = "current" if info.tags else "stale"
        found.append(ImageRow(name, ref, info.short_id, info.created,
                              round(info.size / 1e6, 1), status))
    return sorted(found, key=_order_key)


def _order_key(row: ImageRow) -> tuple[int, str, str]:
    known = ["root", *definitions.BY_NAME]
    position = known.index(row.name) if row.name in known else len(known)
    return (row.status != "current", f"{position:03d}", row.ref)


def prune(everything: bool) -> list[Removal]:
    """Remove stale lab images, or with `everything` all of them; never an unlabelled one,
    nor a learner's."""
    removals = []
    for info in sorted(lab_images(), key=_removal_key):
        if info.tags and not everything:
            continue
        for ref in info.tags or (info.id,):
            reason = images.remove(ref)
            removals.append(Removal(ref, reason is None, reason or ""))
    return removals


def _removal_key(info: ImageInfo) -> int:
    name = info.labels.get(labels.IMAGE, "")
    return REMOVAL_ORDER.index(name) if name in REMOVAL_ORDER else -1


def my_rows(settings: Settings) -> list[MyImageRow]:
    """The learner's own images, newest first."""
    own = builds.repository(settings) + ":"
    return [
        MyImageRow(
            tags=tuple(tag.removeprefix(own) for tag in info.tags if tag.startswith(own)),
            built_as=info.labels.get(TAG_LABEL, ""),
            ref=builds.display_name(info, settings),
            image_id=info.short_id,
            exercise=info.labels.get(labels.EXERCISE, ""),
            built_at=_local_time(info.labels.get(BUILT_AT_LABEL, ""), info.created),
            version=next((info.labels[name] for name in VERSION_LABELS if info.labels.get(name)),
                         ""),
        )
        for info in builds.student_images(settings)
    ]


def _local_time(stamp: str, fallback: str) -> str:
    """`2024-05-01T12:00:00+00:00` (as labelled, UTC) in the learner's time zone."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return fallback.replace("T", " ")


def prune_mine(settings: Settings, everything: bool,
               waiting: Callable[[str], None]) -> list[Removal]:
    """Remove the learner's images that no container uses: those a rebuild left untagged,
    or with `everything` all of them. Without `everything`, an image a recorded deployment
    ran is kept, so `lab rollback` can still go back to it."""
    with state_lock(settings, waiting):  # not while a deployment makes containers
        used = {info.image_id for info in containers.find()}
        if not everything:
            used |= deployed_images(settings)
        removals = []
        for info in builds.student_images(settings):
            if info.id in used or (info.tags and not everything):
                continue
            # By id: the engine then keeps an image that also has a tag outside the
            # learner's repository (`web:1`), or that a container of another kind uses.
            reason = images.remove(info.id)
            removals.append(Removal(builds.display_name(info, settings), reason is None,
                                    reason or ""))
    return removals


def deployed_images(settings: Settings) -> set[str]:
    """The ids of every image the learner's recorded deployments ran, in any exercise."""
    found: set[str] = set()
    for path in sorted((settings.student_dir / "deployments").glob("*.json")):
        try:
            state = StateStore(path).load()
        except StateError:  # unreadable: `lab history` says so; it cannot roll back anyway
            continue
        found |= {item.image_id for item in state.deployments}
        if state.desired:
            found.add(state.desired.image_id)
    return found
