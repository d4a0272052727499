"""An interactive login shell on a server in this terminal, without a host ssh program."""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, TextIO

from lab.ssh.connections import CONNECT_TIMEOUT, client, explain, load_pkey, login
from lab.ssh.targets import CONNECT_FAILED, Target
from lab.sshlib import NETWORK_ERRORS, paramiko

if sys.platform != "win32":
    import termios
    import tty


def interactive_shell(target: Target, *, key: Path) -> int:
    """A login shell on the server in this terminal, without a host ssh; returns its exit status."""
    pkey = load_pkey(key)
    session = client()
    login(session, target, pkey, CONNECT_TIMEOUT)
    try:
        columns, lines = _terminal_size()
        term = os.environ.get("TERM", "xterm-256color")
        channel = session.invoke_shell(term=term, width=columns, height=lines)
        if sys.platform == "win32":
            _pump_lines(channel, sys.stdin, sys.stdout.buffer)
        else:
            _pump_posix(channel, sys.stdin.fileno(), sys.stdout.buffer)
        status = channel.recv_exit_status()
        return CONNECT_FAILED if status == -1 else status  # -1: closed without an exit status
    except NETWORK_ERRORS as exc:
        raise explain(target, exc) from exc
    finally:
        session.close()

def _terminal_size() -> tuple[int, int]:
    """Columns and lines of the real terminal (not $COLUMNS, which goes stale on resize)."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        size = shutil.get_terminal_size()
    return size.columns, size.lines


def _pump_posix(channel: paramiko.Channel, fd: int, out: BinaryIO) -> None:
    """Raw mode and a select loop; the terminal is restored whatever happens."""
    saved = termios.tcgetattr(fd) if os.isatty(fd) else None
    previous = _follow_window_size(channel)
    try:
        if saved is not None:
            # TCSADRAIN, as OpenSSH does: the default TCSAFLUSH would drop what the user
            # typed ahead while the connection was being made.
            tty.setraw(fd, termios.TCSADRAIN)
        _select_loop(channel, fd, out)
    finally:
        if saved is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if previous is not None:
            signal.signal(signal.SIGWINCH, previous)


def _follow_window_size(channel: paramiko.Channel) -> Any:
    """Resize the remote pty on SIGWINCH; returns the previous handler (None if not installed)."""
    if not hasattr(signal, "SIGWINCH") or threading.current_thread() is not threading.main_thread():
        return None

    def resize(signum: int, frame: FrameType | None) -> None:
        columns, lines = _terminal_size()
        channel.resize_pty(width=columns, height=lines)

    return signal.signal(signal.SIGWINCH, resize)


def _select_loop(channel: paramiko.Channel, fd: int, out: BinaryIO) -> None:
    sources: list[Any] = [channel, fd]
    while True:
        readable, _, _ = select.select(sources, [], [])
        if channel in readable:
            data = channel.recv(32768)
            if not data:
                return
            out.write(data)
            out.flush()
        if fd in readable:
            data = os.read(fd, 4096)
            if data:
                channel.sendall(data)
            else:  # local end of input: tell the server, keep showing its output
                channel.shutdown_write()
                sources.remove(fd)


def _pump_lines(channel: paramiko.Channel, lines: TextIO, out: BinaryIO) -> None:
    """Windows: no select on consoles, so one thread feeds whole lines and this one prints."""

    def feed() -> None:
        for line in lines:
            channel.sendall(line.encode("utf-8"))
        channel.shutdown_write()

    threading.Thread(target=feed, name="lab-shell-input", daemon=True).start()
    while data := channel.recv(32768):
        out.write(data)
        out.flush()
