"""Exercises: the exercise.yaml schema and loader, the catalogue, and the learner's workspace."""

from __future__ import annotations

from lab.exercises.catalogue import Catalogue
from lab.exercises.loader import load_exercise
from lab.exercises.problems import ExerciseError
from lab.exercises.schema import Exercise, ExerciseSpec, Server
from lab.exercises.workspace import PreparedWorkspace, backup, local_file, prepare, workspace_path

__all__ = [
    "Catalogue",
    "Exercise",
    "ExerciseError",
    "ExerciseSpec",
    "PreparedWorkspace",
    "Server",
    "backup",
    "load_exercise",
    "local_file",
    "prepare",
    "workspace_path",
]
