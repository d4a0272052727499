"""An exercise's tutorial page: its README.md, then its hints folded and its solution hidden."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from lab.exercises.schema import Exercise

PAGE_DIR = "exercises"  # exercises/01-first-fleet.md, served as /exercises/01-first-fleet/
INDENT = " " * 4  # the body of a `???` admonition is indented by four spaces


def page_path(exercise_id: str) -> str:
    """The page's path inside the site's docs folder."""
    return f"{PAGE_DIR}/{exercise_id}.md"


def page_markdown(exercise: Exercise) -> str:
    """The README as written, followed by the hints and the solution from exercise.yaml."""
    readme = exercise.readme.read_text(encoding="utf-8").rstrip()
    extra = help_section(exercise.spec.hints, exercise.spec.solution_lines())
    return f"{readme}\n\n{extra}" if extra else f"{readme}\n"


def help_section(hints: Sequence[str], solution: Sequence[str]) -> str:
    """`## Hints and solution`: each hint collapsed, the reference solution behind a spoiler."""
    if not hints and not solution:
        return ""
    parts = [
        "## Hints and solution",
        "Try on your own first. `lab hint` shows the hints in the terminal one at a time; "
        "here they are all, folded. Open one only when you are stuck.",
    ]
    parts += [_folded("tip", f"Hint {number}", text) for number, text in enumerate(hints, 1)]
    if solution:
        parts.append(_folded("success", "Spoiler: the reference solution", _solution(solution)))
    return "\n\n".join(parts) + "\n"


def _solution(steps: Sequence[str]) -> str:
    commands = "\n".join(steps)
    return (
        "`lab solve` runs these commands for you, one at a time, and shows each one.\n\n"
        f"```bash\n{commands}\n```"
    )


def _folded(kind: str, title: str, body: str) -> str:
    """A collapsed admonition (pymdownx.details): a `<details>` element in the page."""
    return f'??? {kind} "{title}"\n\n{textwrap.indent(body.strip(), INDENT)}'
