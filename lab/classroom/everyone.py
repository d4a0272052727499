"""A classroom machine between classes: every student this lab home knows reset, and whatever
else on the engine the lab made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab import fleet, lifecycle
from lab.errors import UsageError
from lab.settings import Settings, check_student


@dataclass(frozen=True)
class EveryoneReset:
    students: list[str]  # those this lab home knows, whose workspaces and progress were reset
    removed: dict[str, int]  # containers, networks and volumes removed on this engine


def known_students(home: Path) -> list[str]:
    folder = home / "students"
    if not folder.is_dir():
        return []
    names = []
    for entry in sorted(folder.iterdir()):
        try:
            names.append(check_student(entry.name))
        except UsageError:
            continue
    return [name for name in names if (folder / name).is_dir()]


def reset_everyone(settings: Settings, *, forget_progress: bool,
                   report: Callable[[str], None]) -> EveryoneReset:
    """`lab reset --all` for every student this lab home knows, then whatever else on this
    engine carries `lab.managed=true` (students of a lost roster, another lab home)."""
    totals: dict[str, int] = {"containers": 0, "networks": 0, "volumes": 0}
    students = known_students(settings.home)
    for name in students:
        done = lifecycle.reset_all(settings.for_student(name),
                                   forget_progress=forget_progress, report=report)
        for kind, count in done.removed.items():
            totals[kind] = totals.get(kind, 0) + count
    for kind, count in fleet.remove_everything(None).items():
        totals[kind] = totals.get(kind, 0) + count
    return EveryoneReset(students, totals)
