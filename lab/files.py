"""Files the lab keeps for the learner (progress, deployment history), written atomically."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from lab.errors import StateError

REPLACE_RETRIES = 20  # Windows refuses to replace a file a reader has open; they close fast


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        _replace(Path(temporary), path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _replace(source: Path, target: Path) -> None:
    for attempt in range(REPLACE_RETRIES):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == REPLACE_RETRIES - 1:
                raise
            time.sleep(0.05)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; Windows cannot open a folder for this, nor needs to."""
    if sys.platform == "win32":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def updating(path: Path, lock: FileLock) -> Iterator[None]:
    """Hold the lock that guards `path` while it is read and written again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with lock:
            yield
    except Timeout:
        raise StateError(f"another lab command is updating {path}",
                         "Wait for it to finish, then try again.") from None
