"""The mkdocs hook: exercise pages from exercises/*/, their nav entries, and generated pages."""

# mkdocs.yml loads this through docs/hooks/lab_site.py. Nothing it makes is written into the
# repository, so a generated page can never be a stale copy of its source.

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from lab.docs import exercise_pages, format_reference
from lab.environment import current_settings
from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise

EXERCISES_SECTION = "Exercises"  # the nav section the exercise pages are added to
EXERCISE_LIST_MARK = "<!-- lab:exercise-list -->"  # replaced by a table of the exercises


def exercises() -> list[Exercise]:
    """Every exercise that has a page (a README.md), in order; an invalid one stops the build.
    mkdocs calls this hook, not a command: the settings are the process environment's."""
    catalogue = Catalogue.of(current_settings())
    return [exercise for exercise in catalogue.exercises() if exercise.readme.is_file()]


def on_config(config: Any) -> Any:
    """Each exercise's page goes at the end of the Exercises section of the nav."""
    section = _nav_section(config.get("nav") or [], EXERCISES_SECTION)
    if section is not None:
        listed = {entry for entry in section if isinstance(entry, str)}
        section += [path for exercise in exercises()
                    if (path := exercise_pages.page_path(exercise.id)) not in listed]
    return config


def _nav_section(nav: list[Any], title: str) -> list[Any] | None:
    for entry in nav:
        if isinstance(entry, dict) and isinstance(entry.get(title), list):
            section: list[Any] = entry[title]
            return section
    return None


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages: one per exercise, and the exercise.yaml reference."""
    from mkdocs.structure.files import File

    found = exercises()
    titles = page_titles(found, Path(config["docs_dir"]))
    for exercise in found:
        path = exercise_pages.page_path(exercise.id)
        files.append(File.generated(config, path,
                                    content=exercise_pages.page_markdown(exercise, titles)))
    example = _example(found)
    files.append(File.generated(config, format_reference.PAGE_PATH,
                                content=format_reference.exercise_reference(example)))
    return files


def page_titles(found: list[Exercise], docs_dir: Path) -> dict[str, str]:
    """Each page an exercise page may link to, by its path in the site, with its title: the
    exercise pages, and the pages of the docs folder (their first `# heading`)."""
    titles = {exercise_pages.page_path(exercise.id): _title(exercise.readme) for exercise in found}
    for page in sorted(docs_dir.rglob("*.md")):
        titles.setdefault(page.relative_to(docs_dir).as_posix(), _title(page))
    return titles


def _title(page: Path) -> str:
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


def _example(found: list[Exercise]) -> format_reference.Example | None:
    if not found:
        return None
    first = found[0]
    text = (first.folder / "exercise.yaml").read_text(encoding="utf-8")
    return format_reference.Example(first.id, text)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if EXERCISE_LIST_MARK in markdown:
        folder = posixpath.dirname(page.file.src_uri)
        return markdown.replace(EXERCISE_LIST_MARK, exercise_table(exercises(), folder))
    return markdown


def exercise_table(found: list[Exercise], folder: str) -> str:
    """A table of the exercises, each linking to its page from a page in `folder`, with the
    time it takes, its level and the exercises it builds on (linked too)."""
    def link(exercise_id: str, text: str) -> str:
        page = exercise_pages.page_path(exercise_id)
        return f"[{text}]({posixpath.relpath(page, folder or '.')})"

    rows = ["| exercise | what you do | time | level | builds on |", "|---|---|---|---|---|"]
    for exercise in found:
        spec = exercise.spec
        summary = " ".join(spec.summary.split())
        needs = ", ".join(link(i, i[:2]) for i in spec.prerequisites) or "-"
        rows.append(f"| {link(exercise.id, f'{exercise.id[:2]} · {spec.title}')} | {summary} "
                    f"| {f'{spec.time} min' if spec.time else '-'} | {spec.difficulty or '-'} "
                    f"| {needs} |")
    return "\n".join(rows)
