"""`lab dev check`: every exercise validates, starts unsolved, and its solution solves it.

It works in a student namespace of its own, so a learner's servers and progress are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lab import checking, fleet, lifecycle
from lab.errors import LabError
from lab.exercises import workspace
from lab.exercises.catalogue import Catalogue
from lab.settings import Settings

DEV_STUDENT = "dev-check"
Report = Callable[[str], None]
EnsureImages = Callable[[list[str]], None]


@dataclass
class DevResult:
    exercise_id: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_all(settings: Settings, names: list[str] | None, ensure_images: EnsureImages,
              report: Report) -> list[DevResult]:
    # LAB_WORKSPACE is one learner's folder: the dev check writes into its own student's.
    dev = replace(settings.for_student(DEV_STUDENT), workspace_override=None)
    catalogue = Catalogue.of(dev)
    exercises = [catalogue.find(name) for name in names] if names else catalogue.exercises()
    return [check_one(dev, exercise.id, ensure_images, report) for exercise in exercises]


def check_one(settings: Settings, exercise_id: str, ensure_images: EnsureImages,
              report: Report) -> DevResult:
    """Fresh start: some check fails; after the reference solution: every check holds."""
    result = DevResult(exercise_id)
    exercise = Catalogue.of(settings).load(exercise_id)
    try:
        fleet.stop(settings, exercise_id)
        fleet.forget_deployments(settings, exercise_id)
        workspace.backup(exercise, settings)  # the starter files as they are now, not a
        report(f"{exercise_id}: fresh start")  # workspace an earlier dev check left behind
        lifecycle.start(settings, exercise, ensure_images, report)
        before = checking.check(settings, record=False)
        if before.passed:
            result.problems.append("every check already passes on a fresh start")
        report(f"{exercise_id}: running the reference solution")
        checking.solve(settings, report, record=False)
        after = checking.check(settings, record=False)
        result.problems += [f"after the solution: {goal.goal}: {'; '.join(goal.reasons)}"
                            for goal in after.goals if not goal.ok]
    except LabError as failure:
        result.problems.append(failure.line())
    finally:
        fleet.stop(settings, exercise_id)
        fleet.forget_deployments(settings, exercise_id)
    return result
