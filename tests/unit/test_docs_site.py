"""`lab docs` and the pages it generates: addresses, rebuilds only on change, one-line errors,
exercise pages with folded hints, and an exercise.yaml reference that covers the schema."""

from __future__ import annotations

import socket
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from lab.docs import (
    WRAP_UP_PAGE,
    build,
    doc_url,
    exercise_pages,
    format_reference,
    page_url,
    site_url,
)
from lab.docs.serve import open_server
from lab.docs.sources import SiteSources, source_root
from lab.environment import current_settings
from lab.errors import BuildError, StateError
from lab.exercises.loader import load_exercise
from lab.exercises.schema import ExerciseSpec
from tests.helpers import assert_one_line_error, run_lab
from tests.unit.exercises.builders import VALID, write_exercise


def test_page_url_is_the_address_lab_docs_serves() -> None:
    assert page_url("01-first-fleet") == "http://127.0.0.1:8000/exercises/01-first-fleet/"
    assert page_url("01-first-fleet", port=8123).startswith(site_url(8123))


@pytest.mark.parametrize(("page", "url"), [
    ("concepts/golden-images.md", "http://127.0.0.1:8000/concepts/golden-images/"),
    ("wrap-up.md", "http://127.0.0.1:8000/wrap-up/"),
    ("concepts/index.md", "http://127.0.0.1:8000/concepts/"),
    ("index.md", "http://127.0.0.1:8000/")])
def test_a_docs_page_is_served_as_a_folder(page: str, url: str) -> None:
    assert doc_url(page) == url


def test_the_wrap_up_page_lab_check_points_to_exists() -> None:
    """After the course's last exercise, `lab check` sends the learner there."""
    assert (source_root() / "docs" / WRAP_UP_PAGE).is_file()


# --- building only when the sources changed ---------------------------------------------


@pytest.fixture
def sources(tmp_path: Path) -> SiteSources:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: test\n")
    exercises = tmp_path / "exercises" / "01-one"
    exercises.mkdir(parents=True)
    (exercises / "README.md").write_text("# One\n")
    return SiteSources(tmp_path / "mkdocs.yml", tmp_path / "exercises")


def test_the_digest_changes_with_a_page_an_exercise_or_the_config(sources: SiteSources) -> None:
    before = sources.digest()
    assert sources.digest() == before
    for path in (sources.docs_dir / "index.md", sources.exercises_dir / "01-one" / "README.md",
                 sources.config_file):
        path.write_text(path.read_text() + "more\n")
        assert sources.digest() != before
        before = sources.digest()


def test_the_site_is_built_once_and_rebuilt_after_a_change(
    sources: SiteSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[Path] = []

    def fake_build(config_file: Path, site_dir: Path) -> None:
        site_dir.mkdir(parents=True)
        (site_dir / "index.html").write_text(f"build {len(builds)}")
        builds.append(site_dir)

    monkeypatch.setattr(build, "site_sources", lambda _: sources)
    monkeypatch.setattr(build, "_mkdocs_build", fake_build)
    settings = current_settings()
    assert build.ensure_site(settings).built
    assert not build.ensure_site(settings).built
    (sources.docs_dir / "index.md").write_text("# Changed\n")
    site = build.ensure_site(settings)
    assert site.built and len(builds) == 2
    assert (site.folder / "index.html").read_text() == "build 1"
    assert sorted(path.name for path in site.folder.parent.iterdir()) == ["site", "site.sha256"]


def test_a_failed_build_keeps_the_previous_site(
    sources: SiteSources, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "home" / "site"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("the old site")

    def failing_build(config_file: Path, site_dir: Path) -> None:
        site_dir.mkdir(parents=True)
        raise BuildError("building the tutorial site failed: a broken page")

    monkeypatch.setattr(build, "_mkdocs_build", failing_build)
    with pytest.raises(BuildError):
        build.build_site(sources, folder)
    assert (folder / "index.html").read_text() == "the old site"
    assert [path.name for path in folder.parent.iterdir()] == ["site"]


def test_without_mkdocs_material_the_error_says_what_to_install(
    sources: SiteSources, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(build.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BuildError) as failure:
        build.build_site(sources, tmp_path / "site")
    assert "pip install mkdocs-material" in failure.value.line()


# --- serving ----------------------------------------------------------------------------


def test_a_port_in_use_is_a_state_error_with_a_remedy(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StateError) as failure:
            open_server(tmp_path, port)
    line = failure.value.line()
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert f"lab docs --port {port + 1}" in line


def test_lab_docs_on_a_busy_port_is_one_line_and_exit_5() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_lab("docs", "--no-browser", "--port", str(port), timeout=60)
    assert "already in use" in assert_one_line_error(result, exit_code=5)


def test_lab_docs_refuses_a_port_out_of_range() -> None:
    result = run_lab("docs", "--port", "70000")
    assert "65535" in assert_one_line_error(result, exit_code=3)


# --- exercise pages ---------------------------------------------------------------------


def test_an_exercise_page_is_its_readme_then_folded_hints_then_the_solution() -> None:
    from lab.docs.hooks import exercises

    exercise = next(e for e in exercises() if e.id == "01-first-fleet")
    page = exercise_pages.page_markdown(exercise)
    title, _, body = exercise.readme.read_text().rstrip().partition("\n")
    assert page.startswith(f"{title}\n\n!!! info \"At a glance\"\n")  # the box under the title
    assert body.strip() in page
    extra = page[page.index(body.strip()) + len(body.strip()):]
    assert extra.count('??? tip "Hint ') == len(exercise.spec.hints)
    assert '??? success "Spoiler: the reference solution"' in extra
    for step in exercise.spec.solution:
        assert f"    {step}\n" in extra  # inside the spoiler's indented code block


def test_the_box_says_time_level_and_links_what_the_exercise_builds_on(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "03-third", VALID.format(id="03-third").replace(
        "servers:", "time: 25\ndifficulty: advanced\nprerequisites: [01-one, 02-two]\n"
        "debrief:\n  proved: It worked.\n  concept: concepts/golden-images.md\nservers:"))
    (folder / "README.md").write_text("# 03 · Third\n\nThe story.\n")
    titles = {"exercises/01-one.md": "01 · One", "concepts/golden-images.md": "Golden images"}
    page = exercise_pages.page_markdown(load_exercise(folder), titles)
    assert page.startswith("# 03 · Third\n\n!!! info \"At a glance\"\n\n"
                           "    - **Time:** about 25 minutes\n"
                           "    - **Level:** advanced\n"
                           "    - **Builds on:** [01 · One](01-one.md), 02-two\n"
                           "    - **Concept:** [Golden images](../concepts/golden-images.md)\n"
                           "\nThe story.\n")  # 02 has no page: its id, not a broken link


def test_an_exercise_that_says_nothing_of_itself_has_no_box(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-plain")
    (folder / "README.md").write_text("# Plain\n\nText.\n")
    assert exercise_pages.page_markdown(load_exercise(folder), {}).startswith("# Plain\n\nText.")


def test_the_exercise_index_shows_time_level_and_links_prerequisites() -> None:
    from lab.docs.hooks import exercise_table, exercises

    found = exercises()
    table = exercise_table(found, "exercises").splitlines()
    assert table[0] == "| exercise | what you do | time | level | builds on |"
    for exercise, row in zip(found, table[2:], strict=True):
        spec = exercise.spec
        needs = ", ".join(f"[{i[:2]}]({i}.md)" for i in spec.prerequisites) or "-"
        assert row.startswith(f"| [{exercise.id[:2]} · {spec.title}]({exercise.id}.md) |")
        assert row.endswith(f"| {spec.time} min | {spec.difficulty} | {needs} |")


def test_a_multi_line_hint_stays_inside_its_admonition() -> None:
    section = exercise_pages.help_section(["First line.\n\n```bash\nlab check\n```"], [])
    body = section.split('??? tip "Hint 1"\n\n', 1)[1]
    assert body.splitlines() == ["    First line.", "", "    ```bash", "    lab check", "    ```"]
    assert "Spoiler" not in section


def test_an_exercise_without_hints_or_solution_adds_nothing() -> None:
    assert exercise_pages.help_section([], []) == ""


# --- the exercise.yaml reference -------------------------------------------------------


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    """Every model reachable from `root` through its fields' types."""
    found: set[type[BaseModel]] = set()
    pending: list[object] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item not in found:
                found.add(item)
                pending += [info.annotation for info in item.model_fields.values()]
        else:
            pending += list(typing.get_args(item))
    return found


def test_the_format_reference_describes_every_field_of_every_model() -> None:
    """Generated at build time from the schema, it cannot go stale; this proves the walk
    misses no model and no field, whatever the schema grows."""
    page = format_reference.exercise_reference()
    for model in _models(ExerciseSpec):
        for name in model.model_fields:
            if name != "kind":
                assert f"| `{name}` |" in page, f"{model.__name__}.{name} is missing"
        if "kind" in model.model_fields:
            kinds = typing.get_args(model.model_fields["kind"].annotation)
            assert not kinds or f"`kind: {kinds[0]}`" in page


def test_every_field_note_names_a_real_field() -> None:
    models = {base.__name__: base for model in _models(ExerciseSpec) for base in model.__mro__
              if isinstance(base, type) and issubclass(base, BaseModel)}
    for key in format_reference.FIELD_NOTES:
        model_name, field = key.split(".")
        assert model_name in models, f"FIELD_NOTES: no model {model_name}"
        assert field in models[model_name].model_fields, f"FIELD_NOTES: no field {key}"


def test_field_comments_are_read_from_the_source() -> None:
    class Sample(BaseModel):
        """A sample."""

        # Said above the field,
        # over two lines.
        first: int = 1  # and beside it
        second: str = "x"

        def method(self) -> None:
            inner: int = 2  # not a field
            del inner

    comments = format_reference.field_comments(Sample)
    assert comments == {"first": "Said above the field, over two lines. and beside it"}
