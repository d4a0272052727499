"""The labels every lab resource carries, and the filters every cleanup selects by."""

from __future__ import annotations

MANAGED = "lab.managed"
VERSION = "lab.version"
IMAGE = "lab.image"
CONTEXT_HASH = "lab.context-hash"
STUDENT = "lab.student"
EXERCISE = "lab.exercise"
ROLE = "lab.role"
SERVER = "lab.server"
# Only on containers the lab itself creates. A container inherits its image's labels, so one
# someone runs by hand from a lab image carries `lab.managed=true` (and from a learner's image
# `lab.student` too): this label, which no image has, is what keeps the lab's hands off it.
CONTAINER = "lab.container"


def managed(**extra: str) -> dict[str, str]:
    """Labels for a new resource: always `lab.managed=true`, plus the given ones."""
    labels = {MANAGED: "true"}
    labels.update({f"lab.{key.replace('_', '-')}": value for key, value in extra.items()})
    return labels


def selector(**extra: str) -> list[str]:
    """A Docker `label` filter matching lab resources with the given label values."""
    return [f"{key}={value}" for key, value in managed(**extra).items()]


def for_container(labels: dict[str, str]) -> dict[str, str]:
    """The labels a container the lab creates carries: the given ones and CONTAINER."""
    return {**labels, CONTAINER: "true"}


def container_selector(**extra: str) -> list[str]:
    """A `label` filter matching only containers the lab created, with these label values."""
    return [*selector(**extra), f"{CONTAINER}=true"]
