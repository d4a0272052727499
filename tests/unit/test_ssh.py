"""lab.ssh without a network: keys, error messages, results and the streamed-output splitter."""

from __future__ import annotations

import io
import os
import re
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, cast

import paramiko
import pytest

from lab import ssh
from lab.errors import LabError, StateError, UsageError
from lab.ssh import keys, shell

PUBLIC_LINE = re.compile(r"^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[0-9A-Za-z+/]+=* immutable-lab$")
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="mode bits are POSIX")
WEB2 = ssh.Target.local("web2", 49153)


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "id_ed25519"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- keys -------------------------------------------------------------------------------


def test_ensure_key_creates_an_openssh_ed25519_key_paramiko_can_load(key_path: Path) -> None:
    assert ssh.ensure_key(key_path) == key_path

    assert key_path.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    loaded = paramiko.Ed25519Key.from_private_key_file(str(key_path))
    assert ssh.public_key(key_path).split()[1] == loaded.get_base64()


@POSIX_ONLY
def test_the_private_key_and_its_new_directory_are_private(key_path: Path) -> None:
    ssh.ensure_key(key_path)

    assert mode(key_path) == 0o600
    assert mode(key_path.parent) == 0o700


def test_the_public_key_is_one_authorized_keys_line_beside_the_private_key(
    key_path: Path,
) -> None:
    ssh.ensure_key(key_path)

    line = ssh.public_key(key_path)
    assert PUBLIC_LINE.match(line), line
    assert (key_path.parent / "id_ed25519.pub").read_text() == line + "\n"


def test_ensure_key_is_idempotent(key_path: Path) -> None:
    ssh.ensure_key(key_path)
    before = key_path.read_bytes(), key_path.with_suffix(".pub").read_bytes()

    ssh.ensure_key(key_path)

    assert (key_path.read_bytes(), key_path.with_suffix(".pub").read_bytes()) == before
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["id_ed25519", "id_ed25519.pub"]


@POSIX_ONLY
def test_a_key_readable_by_others_is_made_private_again(key_path: Path) -> None:
    ssh.ensure_key(key_path)
    key_path.chmod(0o644)

    ssh.ensure_key(key_path)

    assert mode(key_path) == 0o600


def test_a_missing_or_stale_public_key_file_is_rewritten(key_path: Path) -> None:
    ssh.ensure_key(key_path)
    public = key_path.with_suffix(".pub")
    public.unlink()
    ssh.ensure_key(key_path)
    assert public.read_text() == ssh.public_key(key_path) + "\n"

    public.write_text("ssh-ed25519 AAAAold someone-else\n")
    ssh.ensure_key(key_path)
    assert public.read_text() == ssh.public_key(key_path) + "\n"


def test_processes_racing_to_create_the_key_all_end_up_with_the_same_one(key_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from lab import ssh; "
        "print(ssh.public_key(ssh.ensure_key(Path(sys.argv[1]))))"
    )
    root = Path(__file__).resolve().parents[2]
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(key_path)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    lines = {racer.communicate(timeout=60)[0].strip() for racer in racers}

    assert all(racer.returncode == 0 for racer in racers)
    assert lines == {ssh.public_key(key_path)}
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["id_ed25519", "id_ed25519.pub"]


def test_the_loser_of_a_race_keeps_the_winners_key(key_path: Path) -> None:
    ssh.ensure_key(key_path)
    winner = key_path.read_bytes()
    loser = key_path.parent / "loser"
    loser.write_bytes(b"another key")

    keys._publish_once(loser, key_path)

    assert key_path.read_bytes() == winner


def test_a_missing_key_is_a_state_error_with_a_remedy(key_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        ssh.public_key(key_path)
    assert "does not exist" in caught.value.line()
    assert "lab start" in caught.value.line()


def test_a_key_that_is_not_an_ed25519_key_is_a_state_error(key_path: Path) -> None:
    key_path.parent.mkdir()
    key_path.write_text("not a key\n")
    with pytest.raises(StateError, match="cannot be read"):
        ssh.public_key(key_path)


# --- errors -----------------------------------------------------------------------------


def test_connection_refused_names_the_server_the_port_and_what_to_do() -> None:
    error = ssh.explain(WEB2, ConnectionRefusedError(111, "Connection refused"))

    assert isinstance(error, ssh.ConnectError)
    assert error.line() == (
        "web2: cannot connect: connection refused on 127.0.0.1:49153. "
        "Is the server running? Try `lab status`"
    )


def test_paramikos_wrapper_around_socket_errors_is_unwrapped() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    wrapped = paramiko.ssh_exception.NoValidConnectionsError({("127.0.0.1", 49153): refused})

    assert "connection refused on 127.0.0.1:49153" in ssh.explain(WEB2, wrapped).line()


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (paramiko.AuthenticationException("nope"), ssh.AuthError, "refused the lab's SSH key"),
        (paramiko.BadAuthenticationType("no", ["publickey"]), ssh.AuthError, "refused"),
        (TimeoutError("timed out"), ssh.SSHTimeoutError, "no answer from 127.0.0.1:49153"),
        (TimeoutError(), ssh.SSHTimeoutError, "no answer"),
        (EOFError(), ssh.ConnectError, "hung up before SSH started"),
        (paramiko.SSHException("Error reading SSH protocol banner"), ssh.ConnectError, "hung up"),
        (ConnectionResetError(104, "reset"), ssh.ConnectError, "hung up"),
        (paramiko.SSHException("Incompatible ssh peer"), ssh.SSHError, "Incompatible ssh peer"),
        (OSError(113, "No route to host"), ssh.ConnectError, "No route to host"),
    ],
)
def test_every_connection_failure_becomes_one_line_with_a_remedy(
    exc: BaseException, kind: type[LabError], words: str
) -> None:
    error = ssh.explain(WEB2, exc)

    assert isinstance(error, kind)
    assert error.line().startswith("web2: ")
    assert words in error.line()
    assert error.remedy
    assert "\n" not in error.line()


# --- results ----------------------------------------------------------------------------


def test_a_result_summarises_itself_in_one_line() -> None:
    assert ssh.RunResult("web1", 0, "hi\n").line() == "web1: ok"
    assert ssh.RunResult("web1", 3, "", "boom\n").line() == "web1: exit 3"
    refused = ssh.explain(WEB2, ConnectionRefusedError(111, "refused"))
    failed = ssh.RunResult.failed("web2", refused)
    assert failed.line() == refused.line()
    assert failed.exit_code == ssh.CONNECT_FAILED


def test_only_a_zero_exit_without_error_is_ok() -> None:
    assert ssh.RunResult("web1", 0).ok
    assert not ssh.RunResult("web1", 1).ok
    assert not ssh.RunResult("web1", 0, error="web1: lost").ok


def test_run_on_no_servers_returns_no_results(key_path: Path) -> None:
    assert ssh.run([], "true", key=ssh.ensure_key(key_path)) == []


def test_put_of_a_missing_local_file_is_a_usage_error(key_path: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        ssh.put([WEB2], tmp_path / "missing.conf", "/etc/app.conf", key=ssh.ensure_key(key_path))


def test_commands_without_the_key_say_how_to_get_it(key_path: Path) -> None:
    with pytest.raises(StateError, match="does not exist"):
        ssh.run([WEB2], "true", key=key_path)


# --- streamed output --------------------------------------------------------------------


def collect() -> tuple[list[tuple[str, str]], ssh.OnOutput]:
    seen: list[tuple[str, str]] = []
    return seen, lambda server, line: seen.append((server, line))


def test_the_splitter_passes_on_whole_lines_however_the_chunks_fall() -> None:
    seen, on_output = collect()
    writer = ssh.LineWriter("web1", on_output, threading.Lock())

    for chunk in ["Read", "ing pack", "age lists...\nDone\n", "Building", " tree\r\n"]:
        writer.write(chunk)
        writer.flush()

    assert seen == [
        ("web1", "Reading package lists..."),
        ("web1", "Done"),
        ("web1", "Building tree"),
    ]


def test_the_splitter_keeps_empty_lines_and_passes_on_an_unterminated_last_line() -> None:
    seen, on_output = collect()
    writer = ssh.LineWriter("web1", on_output, threading.Lock())

    writer.write("a\n\nb")
    writer.flush()
    assert seen == [("web1", "a"), ("web1", "")]

    writer.finish()
    writer.finish()
    assert seen == [("web1", "a"), ("web1", ""), ("web1", "b")]


def test_writers_sharing_a_lock_never_call_back_at_the_same_time() -> None:
    busy = threading.Lock()
    overlaps: list[str] = []
    lines: list[tuple[str, str]] = []

    def on_output(server: str, line: str) -> None:
        if not busy.acquire(blocking=False):
            overlaps.append(server)
            return
        lines.append((server, line))
        busy.release()

    lock = threading.Lock()
    writers = [ssh.LineWriter(f"web{n}", on_output, lock) for n in range(8)]

    def chatter(writer: ssh.LineWriter) -> None:
        for n in range(200):
            writer.write(f"line {n}")
            writer.write("\n")

    threads = [threading.Thread(target=chatter, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlaps == []
    assert len(lines) == 8 * 200
    assert all(re.fullmatch(r"line \d+", line) for _, line in lines)


# --- shell plumbing ---------------------------------------------------------------------


class FakeChannel:
    """A socketpair end with the few Channel methods the shell loops use."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv(self, size: int) -> bytes:
        return self.sock.recv(size)

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def shutdown_write(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)


@pytest.mark.skipif(os.name == "nt", reason="select() on pipes is POSIX")
def test_the_select_loop_forwards_both_ways_and_passes_on_end_of_input() -> None:
    ours, server = socket.socketpair()
    read_end, write_end = os.pipe()
    os.write(write_end, b"exit 3\n")
    os.close(write_end)
    out = io.BytesIO()

    def remote() -> None:
        received = b""
        while chunk := server.recv(100):  # until the loop passes on the end of input
            received += chunk
        server.sendall(b"got " + received)
        server.close()

    thread = threading.Thread(target=remote)
    thread.start()
    shell._select_loop(cast(Any, FakeChannel(ours)), read_end, out)
    thread.join()
    os.close(read_end)

    assert out.getvalue() == b"got exit 3\n"


def test_the_line_based_fallback_feeds_lines_and_prints_the_output() -> None:
    ours, server = socket.socketpair()
    out = io.BytesIO()

    def remote() -> None:
        received = b""
        while chunk := server.recv(100):
            received += chunk
        server.sendall(received.upper())
        server.close()

    thread = threading.Thread(target=remote)
    thread.start()
    shell._pump_lines(cast(Any, FakeChannel(ours)), io.StringIO("uptime\nexit\n"), out)
    thread.join()

    assert out.getvalue() == b"UPTIME\nEXIT\n"
