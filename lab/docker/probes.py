"""Probe shells: one `sh` per container kept open over a docker exec, so that many probes
(the checks of `lab check`, the questions of `lab drift`) cost one exec per server.

A `docker exec` costs the engine about 40 ms of CPU; a probe sent to an open shell costs a
fork inside the container, a few milliseconds. Each probe's output goes through files on
/dev/shm, a tmpfs that `docker diff` does not see, so probing never looks like drift.
"""

from __future__ import annotations

import shlex
import threading
from typing import Any

from lab.docker.containers import ExecResult, exec_run
from lab.docker.engine import api, engine_errors
from lab.docker.frames import STDOUT, Frames, raw_socket

MARK = b"@@LAB-PROBE "
PROBE_TIMEOUT = 60.0
# $$ is the probe shell's own pid: two shells in one container (`lab check` and `lab drift`
# at once) never share a file.
WRAPPER = (
    "sh -c {command} </dev/null >/dev/shm/.lab-probe-$$.o 2>/dev/shm/.lab-probe-$$.e; "
    "printf '" + MARK.decode() + "%s %s %s\\n' $? "
    "$(wc -c </dev/shm/.lab-probe-$$.o) $(wc -c </dev/shm/.lab-probe-$$.e); "
    "cat /dev/shm/.lab-probe-$$.o /dev/shm/.lab-probe-$$.e\n"
)


class ShellClosed(Exception):
    """The probe shell went away (container stopped, engine restarted)."""


class ProbeShell:
    """An open `sh` in one container; `run` is thread-safe, one probe at a time."""

    def __init__(self, container_id: str) -> None:
        self.container_id = container_id
        self._lock = threading.Lock()
        with engine_errors():
            low = api()
            exec_id = low.exec_create(container_id, ["sh"], stdin=True, stdout=True,
                                      stderr=True)["Id"]
            self._stream: Any = low.exec_start(exec_id, socket=True)
        self._socket = raw_socket(self._stream)
        self._socket.settimeout(PROBE_TIMEOUT)  # a probe that hangs ends this shell
        self._frames = Frames(self._socket)

    def run(self, command: str) -> ExecResult:
        with self._lock:
            self._socket.sendall(WRAPPER.format(command=shlex.quote(command)).encode())
            header, rest = self._read_header()
            exit_code, out_size, err_size = (int(field) for field in header.split())
            body = self._read_at_least(rest, out_size + err_size)
        return ExecResult(
            exit_code=exit_code,
            stdout=body[:out_size].decode(errors="replace"),
            stderr=body[out_size:out_size + err_size].decode(errors="replace"),
        )

    def close(self) -> None:
        try:
            self._socket.sendall(b"exit\n")
            self._socket.close()
        except OSError:
            pass

    def _frame(self) -> bytes:
        """The next stdout frame of the exec's output; the socket's timeout bounds the wait,
        so a probe that hangs ends this shell (the caller falls back to a plain exec), not
        the command."""
        while True:
            try:
                frame = self._frames.next()
            except TimeoutError:
                raise ShellClosed(
                    f"{self.container_id}: no answer in {PROBE_TIMEOUT:g} s") from None
            if frame is None:
                raise ShellClosed(self.container_id)
            kind, data = frame
            if kind == STDOUT:
                return data

    def _read_header(self) -> tuple[bytes, bytes]:
        buffer = b""
        while b"\n" not in buffer[buffer.find(MARK):] or MARK not in buffer:
            buffer += self._frame()
        start = buffer.index(MARK) + len(MARK)
        header, _, rest = buffer[start:].partition(b"\n")
        return header, rest

    def _read_at_least(self, buffer: bytes, size: int) -> bytes:
        while len(buffer) < size:
            buffer += self._frame()
        return buffer


class Prober:
    """Probe shells for many containers, opened on first use, falling back to plain exec."""

    def __init__(self) -> None:
        self._shells: dict[str, ProbeShell | None] = {}
        self._opening: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def run(self, container_id: str, command: str) -> ExecResult:
        shell = self._shell(container_id)
        if shell is not None:
            try:
                return shell.run(command)
            except (ShellClosed, OSError, ValueError):
                shell.close()
                with self._lock:
                    self._shells[container_id] = None  # broken: plain exec from now on
        return exec_run(container_id, command)

    def _shell(self, container_id: str) -> ProbeShell | None:
        with self._lock:  # one opener per container; containers open in parallel
            opening = self._opening.setdefault(container_id, threading.Lock())
        with opening:
            if container_id not in self._shells:
                try:
                    self._shells[container_id] = ProbeShell(container_id)
                except Exception:  # any failure to open one only costs speed
                    self._shells[container_id] = None
            return self._shells[container_id]

    def close(self) -> None:
        with self._lock:
            for shell in self._shells.values():
                if shell is not None:
                    shell.close()
            self._shells.clear()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
