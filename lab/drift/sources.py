"""Where drift looks: a shell in each server, its `docker diff`, and throwaway containers of
its image; the real engine's, with diffs that may start before they are asked for."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from typing import TYPE_CHECKING, Protocol

from lab.docker import diffs, labels
from lab.docker.probes import Prober
from lab.errors import LabError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.docker.containers import ExecResult
    from lab.docker.diffs import Change

PARALLEL = 16


class Sources(Protocol):
    """Where drift looks: a shell in each server, its `docker diff`, and its image."""

    def run(self, container_id: str, command: str) -> ExecResult: ...

    def changes(self, container_id: str) -> list[Change]: ...

    def run_in_image(self, image_id: str, argv: list[str]) -> ExecResult: ...


class DockerSources:
    """The real engine: probe shells, the diff API and throwaway containers of images.

    Diffs can be started early, in the background, while the caller still works out which
    servers to look at; the first `changes` of a container then takes its answer.
    """

    def __init__(self, settings: Settings) -> None:
        self._prober = Prober()
        self._labels = labels.managed(student=settings.student, role="drift")
        self._early: dict[str, Future[list[Change]]] = {}
        self._taken: set[str] = set()
        self._early_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="early")

    def prefetch(self, find: Callable[[], Iterable[str]]) -> None:
        """Start the diffs of the containers `find` names, all in the background: finding
        them asks the engine, and a caller's own mistakes should be reported first."""
        self._pool.submit(self._prefetch, find)

    def _prefetch(self, find: Callable[[], Iterable[str]]) -> None:
        with suppress(LabError):  # only a head start: the real call meets the same error
            for container_id in find():
                with self._early_lock:
                    if container_id not in self._taken:
                        self._early[container_id] = self._pool.submit(diffs.changes,
                                                                      container_id)

    def changes(self, container_id: str) -> list[Change]:
        with self._early_lock:
            self._taken.add(container_id)
            early = self._early.pop(container_id, None)
        return early.result() if early else diffs.changes(container_id)

    def run(self, container_id: str, command: str) -> ExecResult:
        return self._prober.run(container_id, command)

    def run_in_image(self, image_id: str, argv: list[str]) -> ExecResult:
        return diffs.run_in_image(image_id, argv, self._labels)

    def __enter__(self) -> DockerSources:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._prober.close()
