"""Functions run in child processes forked from one warm process that has already imported
what they need, so a class of thirty pays the imports (about 0.6 s of CPU) once, not thirty
times.

Each child is still a process of its own: its own environment (DOCKER_HOST, the student), its
own engine client, its own output, exactly like a process started from nothing would be, only
started warm. The warm process is the standard library's fork server (multiprocessing): it is
single-threaded and has made no engine client or connection, so forking it is safe; where
the platform has no fork server, `available()` is false and callers start a process cold.

What a child runs is the caller's: a top-level function (children receive it pickled, by
reference), called with no argument once the child's argv, environment and streams are set.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import wait
from multiprocessing.context import ForkServerContext
from pathlib import Path

# What a student's `lab` command needs, imported once by the warm process; a module missing
# here is still imported by the child that needs it, only not warm. Names, not imports: the
# warm process imports them, this module does not.
PRELOAD = (
    "lab.cli",
    "lab.console",
    "lab.lifecycle",
    "lab.fleet",
    "lab.checking",
    "lab.status",
    "lab.ssh",
    "lab.docker.containers",
    "lab.docker.engine",
    "lab.docker.sdk",  # docker-py itself: lab.docker.engine loads it only when first used
    "lab.exercises.catalogue",
    "lab.progress",
    "rich.progress",
    "rich.table",
)

Entry = Callable[[], object]

_children = threading.Lock()  # starting a child, or reading its exit status
_context: ForkServerContext | None = None


def available() -> bool:
    return "forkserver" in multiprocessing.get_all_start_methods()


def _fork_server() -> ForkServerContext:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        context.set_forkserver_preload(list(PRELOAD))
        _context = context
    return _context


def run(entry: Entry, argv: Sequence[str], environment: Mapping[str, str]) -> tuple[int, str, str]:
    """`entry()` in a warm child with this argv and exactly this environment: its exit code,
    standard output and standard error."""
    with tempfile.TemporaryDirectory(prefix="lab-warm-") as folder:
        stdout, stderr = Path(folder, "stdout"), Path(folder, "stderr")
        with _children:  # Process.start from several threads at once is not safe
            child = _fork_server().Process(
                target=_child, args=(entry, list(argv), dict(environment), stdout, stderr),
                name=" ".join(argv))
            child.start()
        # Wait without reading the child's status: Process.start polls every child, and a
        # poll and a join reading one status at once can lose it (CPython gh-130895).
        wait([child.sentinel])
        with _children:
            child.join()
        return (_exit_code(child.exitcode), _read(stdout), _read(stderr))


def _exit_code(code: int | None) -> int:
    if code is None:
        return 1
    return 128 - code if code < 0 else code  # killed by signal N: as a shell says it, 128+N


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _child(entry: Entry, argv: list[str], environment: dict[str, str], stdout: Path,
           stderr: Path) -> None:
    """In the child: the environment, no input, output into the files, then `entry` (which
    may end the process with its own exit code, as a program's main does).

    The whole environment is the caller's, not the warm process's: the warm process kept the
    environment of the moment it started, and the caller's may have changed since. Standard
    input is made anew too: the warm process's is the terminal's.
    """
    os.environ.clear()
    os.environ.update(environment)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C ends it as a program's
    _redirect(0, Path(os.devnull), os.O_RDONLY)
    _redirect(1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _redirect(2, stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    sys.argv = argv
    entry()


def _redirect(descriptor: int, path: Path, flags: int) -> None:
    target = os.open(path, flags, 0o600)
    os.dup2(target, descriptor)
    os.close(target)
