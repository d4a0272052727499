"""The learner's progress: kept across runs, never half-written, and survives a corrupt file."""

from __future__ import annotations

import json
import threading
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab.progress import Progress, ProgressRecovered, ProgressStore
from lab.settings import Settings

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(hours=1)


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "students" / "learner" / "progress.json")


def test_a_new_learner_has_empty_progress(store: ProgressStore) -> None:
    assert store.load() == Progress()
    assert store.load().of("01-first-fleet").attempts == 0


def test_progress_survives_a_save_and_load(store: ProgressStore) -> None:
    progress = Progress().started("01-first-fleet", T0).checked("01-first-fleet", False, LATER)
    store.save(progress)
    loaded = store.load()
    assert loaded == progress
    assert loaded.current == "01-first-fleet"
    assert loaded.of("01-first-fleet").last_check_at == LATER


def test_passed_at_records_the_first_success_only() -> None:
    progress = Progress().checked("01", False, T0)
    assert progress.of("01").passed_at is None
    progress = progress.checked("01", True, LATER).checked("01", False, LATER + timedelta(1))
    record = progress.of("01")
    assert record.passed_at == LATER
    assert record.passed
    assert record.attempts == 3


def test_starting_again_keeps_the_first_start_but_moves_the_start_mark() -> None:
    progress = Progress().started("01", T0).started("01", LATER)
    assert progress.of("01").started_at == T0
    assert progress.of("01").marks == {"start": LATER}


def test_starting_a_fleet_that_was_kept_leaves_the_start_mark_alone() -> None:
    progress = Progress().started("01", T0).started("01", LATER, fresh_servers=False)
    assert progress.of("01").marks == {"start": T0}
    assert progress.current == "01"
    first_time = Progress().started("01", T0, fresh_servers=False)
    assert first_time.of("01").marks == {"start": T0}  # there must be a mark to compare with


def test_hints_shown_only_grows() -> None:
    progress = Progress().hint_shown("01", 2).hint_shown("01", 1)
    assert progress.of("01").hints_shown == 2


def test_lab_solve_is_remembered_from_its_first_run_and_counted() -> None:
    progress = Progress().started("01", T0)
    assert not progress.of("01").solution_used
    progress = progress.solution_run("01", T0).solution_run("01", LATER)
    record = progress.of("01")
    assert record.solution_used
    assert (record.solution_used_at, record.solution_runs) == (T0, 2)
    assert not progress.of("02").solution_used


def test_a_progress_file_from_before_lab_solve_was_recorded_still_loads(
        store: ProgressStore) -> None:
    """Written by an earlier lab: no solution fields. It loads as it is, never "recovered"."""
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"format_version": 1, "current": "01-first-fleet",
                                      "exercises": {"01-first-fleet": {
                                          "started_at": T0.isoformat(),
                                          "passed_at": LATER.isoformat(), "attempts": 2,
                                          "hints_shown": 1, "marks": {}}}}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ProgressRecovered warning would fail the test
        record = store.load().of("01-first-fleet")
    assert record.passed and record.attempts == 2
    assert not record.solution_used and record.solution_used_at is None


def test_changes_return_a_new_progress_and_leave_the_old_one_alone() -> None:
    before = Progress()
    after = before.checked("01", True, T0)
    assert before.of("01").attempts == 0
    assert after.of("01").attempts == 1


def test_the_file_is_readable_json_with_nothing_left_beside_it(store: ProgressStore) -> None:
    store.save(Progress().started("01-first-fleet", T0))
    data = json.loads(store.path.read_text())
    assert data["current"] == "01-first-fleet"
    leftovers = [p.name for p in store.path.parent.iterdir() if p.name != "progress.json.lock"]
    assert leftovers == ["progress.json"]


@pytest.mark.parametrize(
    "garbage", ['{"current": "01", "exer', "[]", '{"attempts": "many"}', "\xff"]
)
def test_a_corrupt_file_is_moved_aside_with_a_warning(store: ProgressStore, garbage: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(garbage, encoding="latin-1")
    with pytest.warns(ProgressRecovered, match="was unreadable") as caught:
        progress = store.load()
    assert progress == Progress()
    moved_to = caught[0].message.moved_to  # type: ignore[union-attr]
    assert moved_to.name.startswith("progress.json.corrupt-")
    assert moved_to.read_text(encoding="latin-1") == garbage  # nothing is lost
    assert not store.path.exists()


def test_after_recovery_the_lab_carries_on(store: ProgressStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("not json")
    with pytest.warns(ProgressRecovered):
        store.update(lambda progress: progress.checked("01", True, T0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.load().of("01").passed


def test_two_corrupt_files_in_one_second_are_both_kept(store: ProgressStore) -> None:
    store.path.parent.mkdir(parents=True)
    for text in ("first bad", "second bad"):
        store.path.write_text(text)
        with pytest.warns(ProgressRecovered):
            store.load()
    kept = sorted(p.read_text() for p in store.path.parent.glob("progress.json.corrupt-*"))
    assert kept == ["first bad", "second bad"]


def test_readers_never_see_a_half_written_file(store: ProgressStore) -> None:
    store.save(Progress())
    stop = threading.Event()
    seen: list[int] = []
    broken: list[str] = []

    def read_until_stopped() -> None:
        while not stop.is_set():
            text = store.path.read_text()
            try:
                seen.append(Progress.model_validate_json(text).of("01").attempts)
            except ValueError:
                broken.append(text)

    readers = [threading.Thread(target=read_until_stopped) for _ in range(4)]
    for reader in readers:
        reader.start()
    progress = Progress()
    for _ in range(100):
        progress = progress.checked("01", False, T0)
        store.save(progress)
    stop.set()
    for reader in readers:
        reader.join()
    assert seen
    assert broken == []


def test_concurrent_updates_lose_nothing(store: ProgressStore) -> None:
    def attempt() -> None:
        for _ in range(10):
            store.update(lambda progress: progress.checked("01", False, T0))

    workers = [threading.Thread(target=attempt) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert store.load().of("01").attempts == 40


def test_the_store_of_settings_is_the_student_s_progress_file(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, student="ada")
    assert ProgressStore.of(settings).path == tmp_path / "students" / "ada" / "progress.json"
