"""The exercises in the lab's exercises folder: listing them, and finding one by name."""

from __future__ import annotations

from pathlib import Path

from lab.errors import UsageError
from lab.exercises.loader import EXERCISE_FILE, load_exercise
from lab.exercises.problems import ExerciseError
from lab.exercises.schema import Exercise
from lab.progress import Progress
from lab.settings import Settings


class Catalogue:
    """The exercises in one folder, in folder-name order, loaded when first asked for."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: dict[str, Exercise] = {}

    @classmethod
    def of(cls, settings: Settings) -> Catalogue:
        return cls(settings.exercises_dir)

    def ids(self) -> list[str]:
        """Folder names holding an exercise.yaml, sorted, without loading them."""
        if not self.directory.is_dir():
            return []
        return sorted(
            entry.name for entry in self.directory.iterdir() if (entry / EXERCISE_FILE).is_file()
        )

    def exercises(self) -> list[Exercise]:
        """Every exercise; raises one ExerciseError holding every broken file's problems."""
        loaded: list[Exercise] = []
        problems: list[str] = []
        for exercise_id in self.ids():
            try:
                loaded.append(self.load(exercise_id))
            except ExerciseError as exc:
                problems += exc.problems
        if problems:
            raise ExerciseError(problems)
        return loaded

    def load(self, exercise_id: str) -> Exercise:
        """One exercise, its prerequisites checked against the course: the folder's ids."""
        if exercise_id not in self._loaded:
            self._loaded[exercise_id] = load_exercise(self.directory / exercise_id, self.ids())
        return self._loaded[exercise_id]

    def find(self, name: str) -> Exercise:
        """By full id ('01-first-fleet'), number ('01', '1') or slug ('first-fleet')."""
        return self.load(self.resolve(name))

    def resolve(self, name: str) -> str:
        """The id `name` stands for; raises UsageError naming the known exercises."""
        ids = self.ids()
        matches = [exercise_id for exercise_id in ids if _matches(exercise_id, name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UsageError(
                f"{name!r} matches several exercises", f"Say which: {', '.join(matches)}."
            )
        known = (
            f"Known exercises: {', '.join(ids)}." if ids else f"There are none in {self.directory}."
        )
        raise UsageError(f"unknown exercise {name!r}", known)

    def first_unfinished(self, progress: Progress) -> Exercise | None:
        """The first exercise, in order, that the learner has not passed; None when all are."""
        for exercise_id in self.ids():
            if not progress.of(exercise_id).passed:
                return self.load(exercise_id)
        return None

    def following(self, exercise_id: str) -> Exercise | None:
        """The exercise after `exercise_id`, for "what's next"; None after the last one."""
        ids = self.ids()
        position = ids.index(exercise_id) if exercise_id in ids else len(ids)
        return self.load(ids[position + 1]) if position + 1 < len(ids) else None


def _matches(exercise_id: str, name: str) -> bool:
    wanted = name.strip().lower()
    number, _, slug = exercise_id.partition("-")
    if wanted.isdigit() and number.isdigit():
        return int(wanted) == int(number)
    return wanted in (exercise_id, slug)
