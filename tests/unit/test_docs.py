"""The tutorial site never disagrees with the lab: it builds strictly, every `lab` command it
shows exists, its CLI reference is current, and nothing in it needs the network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.cli import command_tree, quoted, reference
from lab.docs import exercise_pages
from lab.docs.hooks import exercises
from lab.docs.sources import source_root

ROOT = source_root()
DOCS = ROOT / "docs"
GENERATED_FROM_THE_APP = {DOCS / reference.PAGE.relative_to("docs")}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build --strict`, once for this module: a warning (a broken link, a page
    missing from the nav, a bad anchor) fails it. About two seconds."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return site


def test_the_site_builds_strictly_with_every_exercise_page(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    for exercise in exercises():
        page = built_site / "exercises" / exercise.id / "index.html"
        assert page.is_file(), f"no page for {exercise.id}"
        assert f"<title>{exercise.readme.read_text().splitlines()[0].lstrip('# ')}" in \
            page.read_text()
    assert (built_site / "reference" / "exercise-format" / "index.html").is_file()
    assert (built_site / "reference" / "cli" / "index.html").is_file()


def test_hints_are_folded_and_the_solution_hidden(built_site: Path) -> None:
    page = (built_site / "exercises" / "01-first-fleet" / "index.html").read_text()
    folded = re.findall(r"<details class=\"(\w+)\">\s*<summary>([^<]+)</summary>", page)
    assert ("tip", "Hint 1") in folded
    assert ("success", "Spoiler: the reference solution") in folded
    assert "<details class=\"tip\" open" not in page  # folded, not open


def test_each_exercise_page_opens_with_its_box_linking_what_it_builds_on(
        built_site: Path) -> None:
    for exercise in exercises():
        page = (built_site / "exercises" / exercise.id / "index.html").read_text()
        box = page.split('<p class="admonition-title">At a glance</p>', 1)[1].split("</div>")[0]
        assert f"about {exercise.spec.time} minutes" in box, exercise.id
        assert exercise.spec.difficulty in box, exercise.id
        for prerequisite in exercise.spec.prerequisites:
            assert f'href="../{prerequisite}/"' in box, (exercise.id, prerequisite)
        if exercise.spec.debrief:
            concept = exercise.spec.debrief.concept.removesuffix(".md")
            assert f'href="../../{concept}/"' in box, exercise.id


EXTERNAL_RESOURCE = re.compile(
    r"<(?:link|script|img|iframe|source)\b[^>]*\b(?:href|src)=\"(?:https?:)?//", re.IGNORECASE)


def test_no_page_needs_the_network(built_site: Path) -> None:
    """Offline classrooms: no web fonts, no CDN scripts or styles (links to sources are fine)."""
    for page in built_site.rglob("*.html"):
        text = page.read_text()
        assert not EXTERNAL_RESOURCE.search(text), f"{page} loads something from the network"
        assert "fonts.googleapis" not in text, page


def _markdown_sources() -> Iterator[tuple[str, str]]:
    """(where, Markdown) of every page a learner reads, the generated ones included."""
    for path in sorted(DOCS.rglob("*.md")):
        if path not in GENERATED_FROM_THE_APP:
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for name in ("README.md", "CONTRIBUTING.md"):
        if (ROOT / name).is_file():
            yield name, (ROOT / name).read_text(encoding="utf-8")
    for exercise in exercises():
        yield (exercise_pages.page_path(exercise.id) + " (generated)",
               exercise_pages.page_markdown(exercise))


def test_every_lab_command_in_the_pages_exists() -> None:
    """A command or option in a page that the lab does not have is a page that lies."""
    root = command_tree()
    problems = [f"{quote.where}: `lab {' '.join(quote.words)}`: {problem}"
                for where, text in _markdown_sources()
                for quote in quoted.quotes(text, where)
                if (problem := quoted.problem(root, quote.words))]
    assert not problems, "\n".join(problems)


def test_the_pages_quote_many_commands() -> None:
    """The parser really finds the commands (a parser finding none would pass the test above)."""
    found = {" ".join(quote.words[:2]) for where, text in _markdown_sources()
             for quote in quoted.quotes(text, where)}
    assert {"start", "check", "docs", "images build", "run --all"} <= found


def test_the_cli_reference_is_current() -> None:
    assert reference.is_current(command_tree()), (
        f"{reference.PAGE} is stale: a command's help changed. "
        f"Run `{reference.REGENERATE}` and commit the page.")


def test_the_cli_reference_lists_every_command() -> None:
    root = command_tree()
    text = reference.reference_markdown(root)
    for name, command in root.commands.items():
        assert f"`lab {name}`" in text
        for sub in getattr(command, "commands", {}):
            assert f"`lab {name} {sub}`" in text


@pytest.mark.parametrize("line", [
    "lab deploy v2 --strategy=blue-green --sideways",
    "lab run --everything -- uptime",
    "lab images bake",
    "lab --verbose start",
])
def test_a_command_the_lab_does_not_have_is_a_problem(line: str) -> None:
    (quote,) = quoted.quotes(f"```bash\n{line}\n```\n", "page.md")
    assert quoted.problem(command_tree(), quote.words)


@pytest.mark.parametrize("line", [
    "sudo lab images bootstrap",
    "LAB_OFFLINE=1 lab images build --force -v",
    "lab --student alice start 01",
    "lab run -s web1 -s web2 -- 'pgrep -a nginx || echo down'",
    "lab run --all -- apt-get install -y tree",
    "lab images load FILE",
    "lab docs --port=8001 --no-browser",
    "lab reset --all --progress",
    "lab deploy v2 --volume 'guestbook-{server}:/var/lib/guestbook'",
    "lab chaos --kill 2 --seed 7",
])
def test_real_commands_are_not_problems(line: str) -> None:
    (quote,) = quoted.quotes(f"```bash\n{line}\n```\n", "page.md")
    assert quoted.problem(command_tree(), quote.words) is None


def test_quotes_come_from_shell_blocks_prompts_chains_and_inline_code() -> None:
    page = """Run `lab check`, not `lab.managed=true`.

```console
$ lab start 01
root@web1:~# lab is not a command here
lab output lines are not commands either
```

```bash
python3 -m venv .venv && . .venv/bin/activate && pip install . && lab start
lab run --all \\
    -- uptime
```

```yaml
- lab put --all motd /etc/motd
```
"""
    found = [(quote.where, quote.words) for quote in quoted.quotes(page, "p.md")]
    assert found == [
        ("p.md:4", ("start", "01")),
        ("p.md:10", ("start",)),
        ("p.md:12", ("run", "--all", "--", "uptime")),
        ("p.md:1", ("check",)),
    ]
