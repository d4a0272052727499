"""Running work on threads, without waiting for it when the learner presses Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_threads(work: Callable[[T], R], items: Iterable[T], *, workers: int,
                   name: str) -> list[R]:
    """`work` on every item at once; results in the order of `items`.

    A `with ThreadPoolExecutor` block would wait for every running job after Ctrl-C, and a
    remote `sleep 600` would keep the learner waiting ten minutes. Here the interrupt goes
    up at once; the CLI then ends the process (see lab.cli.main), closing the connections.
    """
    chosen = list(items)
    if not chosen:
        return []
    pool = ThreadPoolExecutor(max_workers=min(workers, len(chosen)), thread_name_prefix=name)
    try:
        return list(pool.map(work, chosen))
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False)
