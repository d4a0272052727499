"""Exercise folders written on the fly, the way an author would write them."""

from __future__ import annotations

import textwrap
from pathlib import Path

VALID = """\
format_version: 1
id: {id}
title: A test exercise
summary: Used by the unit tests.
servers:
  - name: web
    count: 2
checks:
  - kind: package
    goal: tree is installed on every server
    name: tree
solution:
  - lab run --all -- apt-get install -y tree
"""


def write_exercise(root: Path, exercise_id: str, text: str | None = None) -> Path:
    """root/<exercise_id>/exercise.yaml holding `text` (dedented), or a valid exercise."""
    folder = root / exercise_id
    folder.mkdir(parents=True, exist_ok=True)
    body = VALID.format(id=exercise_id) if text is None else textwrap.dedent(text)
    (folder / "exercise.yaml").write_text(body, encoding="utf-8")
    return folder
