"""The learner's workspace: starter files never overwrite their work; backups never delete it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from lab.environment import current_settings
from lab.errors import UsageError
from lab.exercises.loader import load_exercise
from lab.exercises.schema import Exercise
from lab.exercises.workspace import backup, local_file, prepare, workspace_path
from lab.settings import Settings
from tests.unit.exercises.builders import write_exercise

NOON = datetime(2025, 5, 17, 12, 0, 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", student="learner")


@pytest.fixture
def exercise(tmp_path: Path) -> Exercise:
    folder = write_exercise(tmp_path / "exercises", "01-demo")
    (folder / "workspace" / "conf").mkdir(parents=True)
    (folder / "workspace" / "motd").write_text("starter motd\n")
    (folder / "workspace" / "conf" / "site.conf").write_text("listen 80;\n")
    return load_exercise(folder)


def test_prepare_copies_the_starter_files(exercise: Exercise, settings: Settings) -> None:
    prepared = prepare(exercise, settings)
    assert prepared.path == settings.workspace_root / "01-demo"
    assert prepared.copied == ("conf/site.conf", "motd")
    assert (prepared.path / "motd").read_text() == "starter motd\n"
    assert (prepared.path / "conf" / "site.conf").read_text() == "listen 80;\n"


def test_prepare_keeps_what_the_learner_changed(exercise: Exercise, settings: Settings) -> None:
    workspace = prepare(exercise, settings).path
    (workspace / "motd").write_text("my own motd\n")
    (workspace / "conf" / "site.conf").unlink()
    again = prepare(exercise, settings)
    assert (workspace / "motd").read_text() == "my own motd\n"
    assert again.kept == ("motd",)
    assert again.copied == ("conf/site.conf",)  # a deleted starter file comes back


def test_prepare_without_starter_files_makes_an_empty_workspace(
    tmp_path: Path, settings: Settings
) -> None:
    bare = load_exercise(write_exercise(tmp_path / "exercises", "02-bare"))
    prepared = prepare(bare, settings)
    assert prepared.path.is_dir()
    assert prepared.copied == ()


def test_backup_moves_the_workspace_to_a_dated_folder(
    exercise: Exercise, settings: Settings
) -> None:
    workspace = prepare(exercise, settings).path
    (workspace / "notes.txt").write_text("what I tried\n")
    saved = backup(exercise, settings, now=NOON)
    assert saved == settings.backups_dir / "01-demo-20250517-120000"
    assert not workspace.exists()
    assert (saved / "notes.txt").read_text() == "what I tried\n"
    assert (saved / "motd").read_text() == "starter motd\n"


def test_two_backups_in_the_same_second_both_survive(
    exercise: Exercise, settings: Settings
) -> None:
    prepare(exercise, settings)
    first = backup(exercise, settings, now=NOON)
    (prepare(exercise, settings).path / "motd").write_text("second attempt\n")
    second = backup(exercise, settings, now=NOON)
    assert first is not None
    assert second is not None
    assert second.name == "01-demo-20250517-120000-2"
    assert (first / "motd").read_text() == "starter motd\n"
    assert (second / "motd").read_text() == "second attempt\n"


def test_backup_of_a_missing_workspace_does_nothing(exercise: Exercise, settings: Settings) -> None:
    assert backup(exercise, settings) is None
    assert not settings.backups_dir.exists()


def test_lab_workspace_puts_the_workspace_elsewhere(exercise: Exercise, tmp_path: Path) -> None:
    settings = current_settings({"LAB_HOME": str(tmp_path / "home"),
                                 "LAB_WORKSPACE": str(tmp_path / "mine")})
    assert workspace_path(exercise, settings) == tmp_path / "mine" / "01-demo"


def test_a_local_file_is_found_in_the_workspace(exercise: Exercise, settings: Settings) -> None:
    workspace = prepare(exercise, settings).path
    assert local_file(exercise, settings, "motd") == workspace / "motd"
    assert local_file(exercise, settings, "conf/site.conf") == workspace / "conf" / "site.conf"


def test_a_missing_local_file_lists_what_the_workspace_holds(
    exercise: Exercise, settings: Settings
) -> None:
    prepare(exercise, settings)
    with pytest.raises(UsageError) as caught:
        local_file(exercise, settings, "motdd")
    assert caught.value.line().endswith("It holds: conf, motd.")
    assert "there is no file 'motdd' in your workspace" in caught.value.line()
