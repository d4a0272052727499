"""One shell command on many servers at once, each server's output passed on line by line."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lab.ssh.connections import explain, fabric, in_parallel, load_pkey
from lab.ssh.errors import NOT_RUNNING, ConnectError, SSHError, SSHTimeoutError
from lab.ssh.targets import CONNECT_FAILED, TIMED_OUT, RunResult, Target
from lab.sshlib import NETWORK_ERRORS, CommandTimedOut, Connection, paramiko

OnOutput = Callable[[str, str], None]


def _as_terminal_shows(line: str) -> str:
    """A carriage return redraws the line (progress counters): keep only the last drawing."""
    drawings = [part for part in line.split("\r") if part]
    return drawings[-1] if drawings else ""


class LineWriter:
    """A file-like sink for invoke's out_stream/err_stream that calls `on_output` per whole line.

    The writers of one `run` call share `lock`, so callbacks never run concurrently and a CLI
    can print from them without its own locking. `finish()` passes on an unterminated last line.
    """

    def __init__(self, server: str, on_output: OnOutput, lock: threading.Lock) -> None:
        self.server = server
        self._on_output = on_output
        self._lock = lock
        self._pending = ""

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
            for line in lines:
                self._on_output(self.server, _as_terminal_shows(line))
        return len(text)

    def flush(self) -> None:
        """invoke flushes after every chunk; a partial line waits for the rest of it."""

    def finish(self) -> None:
        with self._lock:
            if self._pending:
                self._on_output(self.server, _as_terminal_shows(self._pending))
                self._pending = ""


def run(
    targets: Sequence[Target],
    command: str,
    *,
    timeout: float | None = None,
    on_output: OnOutput | None = None,
    key: Path,
) -> list[RunResult]:
    """Run one shell command on every target at once; never raises for a server's failure."""
    pkey = load_pkey(key)
    lock = threading.Lock()
    return in_parallel(
        targets, lambda target: _run_one(target, command, pkey, timeout, on_output, lock)
    )


def _run_one(
    target: Target,
    command: str,
    pkey: paramiko.PKey,
    timeout: float | None,
    on_output: OnOutput | None,
    lock: threading.Lock,
) -> RunResult:
    try:
        conn = fabric(target, pkey)
    except SSHError as error:
        return RunResult.failed(target.name, error)
    writers = [LineWriter(target.name, on_output, lock) for _ in range(2)] if on_output else []
    try:
        return _execute(conn, target, command, timeout, writers)
    finally:
        for writer in writers:
            writer.finish()
        conn.close()


def _execute(
    conn: Connection, target: Target, command: str, timeout: float | None, writers: list[LineWriter]
) -> RunResult:
    # An empty stdin, never the local one (worker threads must not read it): the remote
    # side sees end of input at once, so a command that asks a question ("Do you want to
    # continue? [Y/n]") gets no answer and stops, instead of waiting forever.
    options: dict[str, Any] = {"warn": True, "hide": True, "in_stream": io.StringIO(),
                               "timeout": timeout}
    if writers:
        options.update(hide=False, out_stream=writers[0], err_stream=writers[1])
    try:
        result = conn.run(command, **options)
    except CommandTimedOut as exc:
        limit = SSHTimeoutError(f"{target.name}: the command did not finish within {timeout:g} s")
        return RunResult(target.name, TIMED_OUT, exc.result.stdout, exc.result.stderr, limit.line())
    except NETWORK_ERRORS as exc:
        return RunResult.failed(target.name, explain(target, exc))
    if result.exited == -1:  # paramiko's value when the channel closed without an exit status
        lost = ConnectError(
            f"{target.name}: the connection closed before the command finished", NOT_RUNNING
        )
        return RunResult(target.name, CONNECT_FAILED, result.stdout, result.stderr, lost.line())
    return RunResult(target.name, result.exited, result.stdout, result.stderr)
