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


def managed(**extra: str) -> dict[str, str]:
    """Labels for a new resource: always `lab.managed=true`, plus the given ones."""
    labels = {MANAGED: "true"}
    labels.update({f"lab.{key.replace('_', '-')}": value for key, value in extra.items()})
    return labels


def selector(**extra: str) -> list[str]:
    """A Docker `label` filter matching lab resources with the given label values."""
    return [f"{key}={value}" for key, value in managed(**extra).items()]
