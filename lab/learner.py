"""Where the learner is: the exercise they are on, its fleet, and their progress so far."""

from __future__ import annotations

from lab import fleet
from lab.docker.containers import ContainerInfo
from lab.errors import StateError
from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise
from lab.progress import Progress, ProgressStore
from lab.repo.prepare import repository_id
from lab.settings import Settings


def load_progress(settings: Settings) -> Progress:
    return ProgressStore.of(settings).load()


def choose(settings: Settings, name: str | None) -> Exercise:
    """The exercise `name` means; without a name, the first one not yet passed."""
    exercises = Catalogue.of(settings)
    if name:
        return exercises.find(name)
    chosen = exercises.first_unfinished(load_progress(settings))
    if chosen is None:
        raise StateError("you have passed every exercise",
                         "Pick one to do again: `lab list`, then `lab start NAME`.")
    return chosen


def current(settings: Settings) -> Exercise:
    """The exercise the learner is on; StateError when none was started."""
    exercise_id = load_progress(settings).current
    if exercise_id is None:
        raise StateError("no exercise is started", "Run `lab start` first.")
    return Catalogue.of(settings).load(exercise_id)


def running(settings: Settings) -> tuple[Exercise, list[ContainerInfo]]:
    """The current exercise and its containers; StateError when its fleet is gone."""
    exercise = current(settings)
    infos = fleet.fleet_containers(settings, exercise.id)
    if not infos:
        raise StateError(f"the servers of {exercise.id} are not running",
                         f"Run `lab start {exercise.id}`.")
    return exercise, infos


def running_repository(settings: Settings) -> tuple[Exercise, str]:
    """The current exercise and its repo container, for `lab repo ...`."""
    exercise, infos = running(settings)
    if not exercise.spec.repository:
        raise StateError(f"{exercise.id} has no repository",
                         "Its servers install nothing from the lab; nothing to show.")
    return exercise, repository_id(infos)

