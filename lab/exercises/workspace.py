"""The learner's workspace for an exercise: starter files copied in, old work moved to backups."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lab.errors import LabError, UsageError
from lab.exercises.schema import Exercise
from lab.settings import Settings


@dataclass(frozen=True)
class PreparedWorkspace:
    """Where the workspace is, which starter files were copied, and which were already there."""

    path: Path
    copied: tuple[str, ...]  # POSIX paths relative to `path`
    kept: tuple[str, ...]  # the learner's own versions, left untouched


def workspace_path(exercise: Exercise, settings: Settings) -> Path:
    return settings.workspace_root / exercise.id


def prepare(exercise: Exercise, settings: Settings) -> PreparedWorkspace:
    """Copy the exercise's starter files into the workspace, never overwriting the learner's."""
    target = workspace_path(exercise, settings)
    copied, kept = [], []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source in _starter_files(exercise.workspace_dir):
            relative = source.relative_to(exercise.workspace_dir)
            destination = target / relative
            if destination.exists() or destination.is_symlink():
                kept.append(relative.as_posix())
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
            copied.append(relative.as_posix())
    except OSError as exc:
        raise LabError(f"cannot prepare your workspace {target}: {exc}") from None
    return PreparedWorkspace(target, tuple(copied), tuple(kept))


def backup(exercise: Exercise, settings: Settings, now: datetime | None = None) -> Path | None:
    """Move the workspace to backups/<id>-<YYYYmmdd-HHMMSS> and return where; None if absent.

    Nothing is deleted: a second backup in the same second gets a '-2' suffix.
    """
    source = workspace_path(exercise, settings)
    if not source.exists():
        return None
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    destination = _free_path(settings.backups_dir / f"{exercise.id}-{stamp}")
    try:
        settings.backups_dir.mkdir(parents=True, exist_ok=True)
        # The destination does not exist, so move renames rather than moving into it.
        shutil.move(str(source), str(destination))
    except OSError as exc:
        raise LabError(
            f"cannot move your workspace {source} to {destination}: {exc}",
            "Close programs using files in it, then try again.",
        ) from None
    return destination


def local_file(exercise: Exercise, settings: Settings, name: str) -> Path:
    """A file the learner names, relative to the exercise's workspace unless absolute."""
    given = Path(name).expanduser()
    workspace = workspace_path(exercise, settings)
    path = given if given.is_absolute() else workspace / given
    if path.is_file():
        return path
    present = sorted(entry.name for entry in workspace.iterdir()) if workspace.is_dir() else []
    remedy = f"It holds: {', '.join(present)}." if present else "It is empty."
    raise UsageError(f"there is no file {name!r} in your workspace {workspace}", remedy)


def _starter_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _free_path(path: Path) -> Path:
    """`path`, or path-2, path-3, … when that name is taken."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}-{number}")
        number += 1
    return candidate
