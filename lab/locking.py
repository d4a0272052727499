"""One lock per lab home, so two `lab` commands that change state wait for each other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from lab.errors import StateError
from lab.settings import Settings

WAIT_SECONDS = 600
NOTICE_AFTER = 0.5


@contextmanager
def state_lock(settings: Settings, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold the lab's lock; says once that it is waiting when another command has it."""
    settings.home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.lock_file), is_singleton=False)
    try:
        lock.acquire(timeout=NOTICE_AFTER)
    except Timeout:
        waiting("another `lab` command is changing the lab; waiting for it to finish")
        try:
            lock.acquire(timeout=WAIT_SECONDS)
        except Timeout:
            raise StateError(
                f"another `lab` command held the lock for {WAIT_SECONDS} s",
                f"Wait for it, or if none is running remove {settings.lock_file}.",
            ) from None
    try:
        yield
    finally:
        lock.release()
