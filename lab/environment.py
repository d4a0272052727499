"""The process environment, read in one place: the lab's Settings from LAB_* variables.

Only this module (and lab.docker, for docker-py's own DOCKER_* variables) reads os.environ;
every other module is handed a Settings value made here, so a test or a class can make one
for any student without touching the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lab.settings import DEFAULT_STUDENT, IMAGE_PREFIX, PRODUCT, Settings, bundled, check_student

TRUE_WORDS = {"1", "true", "yes"}


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(PRODUCT, appauthor=False))


def current_settings(environ: Mapping[str, str] | None = None,
                     student: str | None = None) -> Settings:
    """Settings from LAB_HOME, LAB_STUDENT (or `student`), LAB_IMAGES, LAB_EXERCISES,
    LAB_IMAGE_PREFIX, LAB_OFFLINE and LAB_WORKSPACE, or their defaults."""
    env = os.environ if environ is None else environ
    home = env.get("LAB_HOME")
    workspace = env.get("LAB_WORKSPACE")
    return Settings(
        home=Path(home).expanduser() if home else default_home(),
        student=check_student(student or env.get("LAB_STUDENT") or DEFAULT_STUDENT),
        images_dir=Path(env["LAB_IMAGES"]) if env.get("LAB_IMAGES") else bundled("images"),
        exercises_dir=(Path(env["LAB_EXERCISES"]) if env.get("LAB_EXERCISES")
                       else bundled("exercises")),
        image_prefix=env.get("LAB_IMAGE_PREFIX") or IMAGE_PREFIX,
        offline=env.get("LAB_OFFLINE", "").lower() in TRUE_WORDS,
        workspace_override=Path(workspace).expanduser() if workspace else None,
    )


def variables(settings: Settings) -> dict[str, str]:
    """The LAB_* variables that make `current_settings()` give back these settings in a child."""
    values = {
        "LAB_HOME": str(settings.home),
        "LAB_STUDENT": settings.student,
        "LAB_IMAGES": str(settings.images_dir),
        "LAB_EXERCISES": str(settings.exercises_dir),
        "LAB_IMAGE_PREFIX": settings.image_prefix,
    }
    if settings.offline:
        values["LAB_OFFLINE"] = "1"
    if settings.workspace_override:
        values["LAB_WORKSPACE"] = str(settings.workspace_override)
    return values


# Settings a child takes from its Settings alone: when those have none, the caller's own
# must not leak into it (a dev check or a student never works in the caller's workspace).
SETTINGS_ONLY = ("LAB_OFFLINE", "LAB_WORKSPACE")


def child_environment(settings: Settings) -> dict[str, str]:
    """This process's environment for a child `lab` that works as `settings` say."""
    environment = process_environment()
    for name in SETTINGS_ONLY:
        environment.pop(name, None)
    environment.update(variables(settings))
    return environment


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, for a child process that should inherit it."""
    return dict(os.environ)
