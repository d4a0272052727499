"""Locks between `lab` commands: one per student for what changes their lab, one per engine
for building the lab's images.

Students never share containers, networks, volumes, progress or workspaces, so commands of
different students (a class-wide `lab class start` runs one per student at once) need not
wait for each other. What they do share is safe without this lock: the SSH key is created
once with an atomic link (lab.ssh.ensure_key), cached .debs are written atomically under
their digest (lab.repo.build). The lab's images are shared by every student of an engine:
checking and building them takes the engine's lock, so two students never build the same
image at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from lab.docker import engine
from lab.errors import StateError
from lab.settings import Settings

WAIT_SECONDS = 600
NOTICE_AFTER = 0.5
LOCKS_FOLDER = "locks"


@contextmanager
def state_lock(settings: Settings, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold this student's lock; says once that it is waiting when another command has it."""
    with _held(settings.lock_file, waiting,
               f"another `lab` command is changing {settings.student}'s lab; "
               "waiting for it to finish"):
        yield


@contextmanager
def images_lock(settings: Settings, waiting: Callable[[str], None],
                on: engine.Engine | None = None) -> Iterator[None]:
    """Hold the lock of engine `on` (default: the current one), while its lab images are
    checked or built; commands on other engines do not wait."""
    with _held(engine_lock_file(settings, on or engine.current()), waiting,
               "another `lab` command is building the lab's images on this engine; "
               "waiting for it to finish"):
        yield


def engine_lock_file(settings: Settings, on: engine.Engine) -> Path:
    digest = hashlib.sha256((on.host or "default").encode()).hexdigest()[:16]
    return settings.home / LOCKS_FOLDER / f"images-{digest}.lock"


@contextmanager
def _held(path: Path, waiting: Callable[[str], None], notice: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), is_singleton=False)
    try:
        lock.acquire(timeout=NOTICE_AFTER)
    except Timeout:
        waiting(notice)
        try:
            lock.acquire(timeout=WAIT_SECONDS)
        except Timeout:
            raise StateError(
                f"another `lab` command held the lock for {WAIT_SECONDS} s",
                f"Wait for it, or if none is running remove {path}.",
            ) from None
    try:
        yield
    finally:
        lock.release()
