"""Starting, stopping and resetting exercises: fleet, workspace and progress, under the
student's lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab import fleet
from lab.docker import engine
from lab.docker.containers import ContainerInfo
from lab.exercises import workspace
from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise
from lab.exercises.workspace import PreparedWorkspace
from lab.learner import load_progress
from lab.locking import images_lock, state_lock
from lab.progress import Progress, ProgressStore
from lab.repo.prepare import prepare_repository
from lab.settings import Settings

Report = Callable[[str], None]
EnsureImages = Callable[[list[str]], None]


@dataclass(frozen=True)
class Started:
    exercise: Exercise
    containers: list[ContainerInfo]
    workspace: PreparedWorkspace


@dataclass(frozen=True)
class Reset:
    exercise: Exercise | None
    backup: Path | None
    removed: dict[str, int]
    started: Started | None


def start(settings: Settings, exercise: Exercise, ensure_images: EnsureImages,
          report: Report) -> Started:
    """Bring the exercise's fleet up (converging what exists), prepare the workspace."""
    with state_lock(settings, report):
        engine.client()  # connected (docker-py imported) before holding the engine's lock
        with images_lock(settings, report):  # other students on this engine may start too
            ensure_images(fleet.lab_images_needed(exercise))
        converged = fleet.converge(exercise, settings, report)
        prepare_repository(exercise, settings, converged, report)
        if exercise.spec.load_balancer:  # the servers run: the balancer sends them traffic
            fleet.sync_balancer(settings, exercise.id)
        prepared = workspace.prepare(exercise, settings)
        ProgressStore.of(settings).update(
            lambda progress: progress.started(exercise.id, fresh_servers=converged.fresh))
    return Started(exercise, converged.containers, prepared)


def stop(settings: Settings, report: Report) -> tuple[str, int] | None:
    """Remove the current exercise's servers; progress and workspace stay."""
    exercise_id = load_progress(settings).current
    if exercise_id is None:
        return None
    with state_lock(settings, report):
        return exercise_id, fleet.stop(settings, exercise_id)


def reset(settings: Settings, exercise: Exercise, *, forget_progress: bool,
          ensure_images: EnsureImages, report: Report) -> Reset:
    """The exercise as it was at its first start: servers recreated, workspace fresh.

    The learner's workspace is moved to a dated backup, never deleted.
    """
    with state_lock(settings, report):
        removed = fleet.stop(settings, exercise.id)
        volumes = fleet.forget_deployments(settings, exercise.id)
        backup = workspace.backup(exercise, settings)
        if forget_progress:
            ProgressStore.of(settings).update(lambda progress: _forget(progress, exercise.id))
    started = start(settings, exercise, ensure_images, report)
    return Reset(exercise, backup, {"containers": removed, "volumes": volumes}, started)


def reset_all(settings: Settings, *, forget_progress: bool, report: Report) -> Reset:
    """Remove every lab container, network and volume of this student; back up workspaces."""
    with state_lock(settings, report):
        removed = fleet.remove_everything(settings.student)
        exercises = Catalogue.of(settings).exercises()
        for exercise in exercises:
            fleet.forget_deployments(settings, exercise.id)
        backups = [workspace.backup(exercise, settings) for exercise in exercises]
        store = ProgressStore.of(settings)
        if forget_progress:
            store.save(Progress())
        else:
            store.update(lambda progress: progress.model_copy(update={"current": None}))
    kept = [path for path in backups if path is not None]
    return Reset(None, kept[0] if len(kept) == 1 else (settings.backups_dir if kept else None),
                 removed, None)


def _forget(progress: Progress, exercise_id: str) -> Progress:
    remaining = {key: value for key, value in progress.exercises.items() if key != exercise_id}
    return progress.model_copy(update={"exercises": remaining})
