"""An exercise's tutorial page: its README.md with a box of what it asks at the top, then its
hints folded and its solution hidden."""

from __future__ import annotations

import posixpath
import textwrap
from collections.abc import Mapping, Sequence

from lab.exercises.schema import Exercise

PAGE_DIR = "exercises"  # exercises/01-first-fleet.md, served as /exercises/01-first-fleet/
INDENT = " " * 4  # the body of a `???` admonition is indented by four spaces


def page_path(exercise_id: str) -> str:
    """The page's path inside the site's docs folder."""
    return f"{PAGE_DIR}/{exercise_id}.md"


def page_markdown(exercise: Exercise, titles: Mapping[str, str] | None = None) -> str:
    """The README as written, its at-a-glance box under its title, followed by the hints and
    the solution from exercise.yaml. `titles` names the site's pages (exercise pages and
    docs/ pages, by path) that the box may link to, with their titles."""
    readme = exercise.readme.read_text(encoding="utf-8").rstrip()
    readme = _under_title(readme, at_a_glance(exercise, titles or {}))
    extra = help_section(exercise.spec.hints, exercise.spec.solution_lines())
    return f"{readme}\n\n{extra}" if extra else f"{readme}\n"


def _under_title(readme: str, box: str) -> str:
    """The box right under the README's `# title` (at the top if it has none)."""
    if not box:
        return readme
    title, _, rest = readme.partition("\n")
    if not title.startswith("# "):
        return f"{box}\n\n{readme}"
    return f"{title}\n\n{box}\n\n{rest.lstrip()}".rstrip()


def at_a_glance(exercise: Exercise, titles: Mapping[str, str]) -> str:
    """An info box: how long the exercise takes, how hard it is, the exercises it builds on
    and the concept page behind it; empty when exercise.yaml says none of these."""
    spec = exercise.spec
    lines = []
    if spec.time:
        lines.append(f"**Time:** about {spec.time} minutes")
    if spec.difficulty:
        lines.append(f"**Level:** {spec.difficulty}")
    if spec.prerequisites:
        links = [_prerequisite(i, titles) for i in spec.prerequisites]
        lines.append(f"**Builds on:** {', '.join(links)}")
    elif spec.time or spec.difficulty:
        lines.append("**Builds on:** nothing before it; start here")
    if spec.debrief:  # always a link: a build of the site fails on a page it does not have
        concept = spec.debrief.concept
        lines.append(f"**Concept:** [{titles.get(concept, concept)}]"
                     f"({posixpath.relpath(concept, PAGE_DIR)})")
    if not lines:
        return ""
    body = "\n".join(f"- {line}" for line in lines)
    return f'!!! info "At a glance"\n\n{textwrap.indent(body, INDENT)}'


def _prerequisite(exercise_id: str, titles: Mapping[str, str]) -> str:
    """A link to the exercise's page, or its id if it has none (no README.md)."""
    page = page_path(exercise_id)
    if page not in titles:
        return exercise_id
    return f"[{titles[page]}]({posixpath.relpath(page, PAGE_DIR)})"


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
