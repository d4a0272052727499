"""lab.ssh against real sshd servers: key login, parallel commands, copies, shells, failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest

from lab import ssh
from lab.errors import StateError

pytestmark = pytest.mark.docker

IMAGE = "immutable-lab/server:latest"  # built by the `lab_images` fixture
RUN_ID = uuid.uuid4().hex[:12]
RUN_LABEL = f"lab.test.run={RUN_ID}"  # what this module's cleanup selects by
READY_TIMEOUT = 30.0


# --- fixtures (the lead will move these to a shared fleet fixture) ----------------------


def docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def container_of(name: str) -> str:
    return f"lab-test-ssh-{RUN_ID}-{name}"


def start_server(name: str, key: Path) -> tuple[str, ssh.Target]:
    """A server container from the lab's image, given the key at start; its name and target."""
    container = container_of(name)
    docker(
        "run", "--detach", "--name", container, "--label", "lab.test=ssh", "--label", RUN_LABEL,
        "--hostname", name, "--env", f"LAB_AUTHORIZED_KEY={ssh.public_key(key)}",
        "--publish", "127.0.0.1::22", IMAGE,
    )  # fmt: skip
    port = docker("port", container, "22/tcp").splitlines()[0].rsplit(":", 1)[1]
    return container, ssh.Target.local(name, int(port))


def remove_our_containers() -> None:
    ours = docker("ps", "--all", "--quiet", "--filter", f"label={RUN_LABEL}").split()
    if ours:
        docker("rm", "--force", *ours)


@pytest.fixture(scope="module")
def lab_key(lab_images: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's key; after its last test, every container it started is removed."""
    yield ssh.ensure_key(tmp_path_factory.mktemp("keys") / "id_ed25519")
    remove_our_containers()


@pytest.fixture(scope="module")
def ssh_targets(lab_key: Path) -> Iterator[list[ssh.Target]]:
    """Three running servers, web1..web3, that accept `lab_key`."""
    started = [start_server(f"web{n}", lab_key) for n in (1, 2, 3)]
    targets = [target for _, target in started]
    ssh.wait_until_ready(targets, READY_TIMEOUT, key=lab_key)
    yield targets
    docker("rm", "--force", *(container for container, _ in started))


@pytest.fixture
def one_server(lab_key: Path) -> Iterator[Callable[[str], tuple[str, ssh.Target]]]:
    """Starts servers for one test and removes them when it ends."""
    started: list[str] = []

    def start(name: str) -> tuple[str, ssh.Target]:
        container, target = start_server(name, lab_key)
        started.append(container)
        return container, target

    yield start
    if started:
        docker("rm", "--force", *started)


# --- login ------------------------------------------------------------------------------


def test_a_fresh_server_accepts_the_key_as_root(
    lab_key: Path, one_server: Callable[[str], tuple[str, ssh.Target]]
) -> None:
    _, target = one_server("fresh")

    ssh.wait_until_ready([target], READY_TIMEOUT, key=lab_key)
    [result] = ssh.run([target], "id -un", key=lab_key)

    assert (result.exit_code, result.stdout) == (0, "root\n")


def test_password_login_is_refused_even_with_the_right_password(
    ssh_targets: list[ssh.Target],
) -> None:
    web1 = ssh_targets[0]
    docker("exec", container_of("web1"), "sh", "-c", "echo root:lab-password | chpasswd")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())

    with pytest.raises(paramiko.AuthenticationException):
        client.connect(
            web1.host, web1.port, "root", password="lab-password",
            look_for_keys=False, allow_agent=False, timeout=5,
        )  # fmt: skip
    client.close()


def test_a_foreign_key_is_refused_with_a_clear_error(
    ssh_targets: list[ssh.Target], tmp_path: Path
) -> None:
    other = ssh.ensure_key(tmp_path / "other" / "id_ed25519")

    [result] = ssh.run(ssh_targets[:1], "true", key=other)

    assert result.exit_code == ssh.CONNECT_FAILED
    assert result.error.startswith("web1: the server refused the lab's SSH key")


# --- run --------------------------------------------------------------------------------


def test_run_on_three_servers_at_once_returns_each_ones_output_and_exit_code(
    ssh_targets: list[ssh.Target], lab_key: Path
) -> None:
    command = 'echo "hello from $(hostname)"; sleep 1; test "$(hostname)" != web2'

    started = time.monotonic()
    results = ssh.run(ssh_targets, command, key=lab_key)
    elapsed = time.monotonic() - started

    assert [r.server for r in results] == ["web1", "web2", "web3"]
    assert [r.stdout for r in results] == [f"hello from web{n}\n" for n in (1, 2, 3)]
    assert [r.exit_code for r in results] == [0, 1, 0]
    assert [r.line() for r in results] == ["web1: ok", "web2: exit 1", "web3: ok"]
    assert elapsed < 2.5, f"three 1-second commands took {elapsed:.1f} s: not in parallel"


def test_run_captures_stderr_apart_from_stdout(
    ssh_targets: list[ssh.Target], lab_key: Path
) -> None:
    [result] = ssh.run(ssh_targets[:1], "echo out; echo err >&2; exit 7", key=lab_key)

    assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 7)


def test_streamed_output_arrives_line_by_line_while_the_command_runs(
    ssh_targets: list[ssh.Target], lab_key: Path
) -> None:
    seen: dict[str, list[tuple[float, str]]] = {}
    started = time.monotonic()

    def on_output(server: str, line: str) -> None:
        seen.setdefault(server, []).append((time.monotonic() - started, line))

    command = "echo one; sleep 0.6; echo two >&2; printf three"
    results = ssh.run(ssh_targets, command, on_output=on_output, key=lab_key)

    assert sorted(seen) == ["web1", "web2", "web3"]
    for server, lines in seen.items():
        assert [line for _, line in lines] == ["one", "two", "three"], server
        assert lines[1][0] - lines[0][0] > 0.4, f"{server}: lines were not streamed live"
    assert all((r.stdout, r.stderr) == ("one\nthree", "two\n") for r in results)


def test_a_command_that_runs_too_long_is_cut_off(
    ssh_targets: list[ssh.Target], lab_key: Path
) -> None:
    started = time.monotonic()
    [result] = ssh.run(ssh_targets[:1], "echo started; sleep 10", timeout=0.5, key=lab_key)

    assert time.monotonic() - started < 5
    assert result.exit_code == ssh.TIMED_OUT
    assert result.stdout == "started\n"
    assert result.error == "web1: the command did not finish within 0.5 s"


# --- a server that is not running -------------------------------------------------------


def test_a_stopped_server_gives_a_clear_connection_error(
    lab_key: Path, one_server: Callable[[str], tuple[str, ssh.Target]]
) -> None:
    container, target = one_server("stopped")
    ssh.wait_until_ready([target], READY_TIMEOUT, key=lab_key)
    docker("stop", "--time", "0", container)

    [result] = ssh.run([target], "true", key=lab_key)
    assert result.exit_code == ssh.CONNECT_FAILED
    assert result.error == (
        f"stopped: cannot connect: connection refused on 127.0.0.1:{target.port}. "
        "Is the server running? Try `lab status`"
    )

    with pytest.raises(StateError) as caught:
        ssh.wait_until_ready([target], 0.5, key=lab_key)
    assert caught.value.line().startswith("stopped not ready within 0.5 s")


# --- put --------------------------------------------------------------------------------


def test_put_copies_a_file_to_every_server_with_the_mode_asked(
    ssh_targets: list[ssh.Target], lab_key: Path, tmp_path: Path
) -> None:
    local = tmp_path / "app.conf"
    local.write_text("listen 8080\n# ünïcode survives\n")

    results = ssh.put(ssh_targets, local, "/etc/app.conf", mode=0o640, key=lab_key)

    assert [r.line() for r in results] == ["web1: ok", "web2: ok", "web3: ok"]
    checks = ssh.run(ssh_targets, "stat -c %a /etc/app.conf; cat /etc/app.conf", key=lab_key)
    assert {r.stdout for r in checks} == {"640\nlisten 8080\n# ünïcode survives\n"}


def test_put_into_a_missing_directory_says_so(
    ssh_targets: list[ssh.Target], lab_key: Path, tmp_path: Path
) -> None:
    local = tmp_path / "app.conf"
    local.write_text("x\n")

    [result] = ssh.put(ssh_targets[:1], local, "/etc/nowhere/app.conf", key=lab_key)

    assert result.exit_code == 1
    assert result.error.startswith(
        "web1: cannot copy to /etc/nowhere/app.conf: the directory /etc/nowhere does not exist"
    )


# --- interactive shell ------------------------------------------------------------------


POSIX_TERMINAL = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal 30 lines by 100 columns: (leader, follower) file descriptors."""
    import pty

    leader, follower = pty.openpty()
    set_size(follower, 30, 100)
    yield leader, follower
    os.close(leader)
    os.close(follower)


def set_size(follower: int, lines: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def shell_in(follower: int, target: ssh.Target, key: Path) -> subprocess.Popen[bytes]:
    """`interactive_shell` in a child process whose terminal is `follower`."""
    script = (
        "import sys; from pathlib import Path; from lab import ssh; "
        f"sys.exit(ssh.interactive_shell(ssh.Target.local('web1', {target.port}), "
        f"key=Path({str(key)!r})))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=follower, stdout=follower, stderr=follower,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip


@POSIX_TERMINAL
def test_the_interactive_shell_runs_in_a_terminal_and_returns_the_exit_status(
    ssh_targets: list[ssh.Target], lab_key: Path, terminal: tuple[int, int]
) -> None:
    import termios

    leader, follower = terminal
    before = termios.tcgetattr(follower)
    shell = shell_in(follower, ssh_targets[0], lab_key)
    output = read_until(leader, shell, b"root@web1:")  # the prompt
    os.write(leader, b"echo marker-$((6*7)) $(tty); exit 3\n")
    output += read_until(leader, shell, None)

    assert shell.returncode == 3, output
    assert b"marker-42 /dev/pts/" in output
    assert termios.tcgetattr(follower) == before, "the local terminal was not restored"


@POSIX_TERMINAL
def test_the_remote_terminal_follows_the_local_window_size(
    ssh_targets: list[ssh.Target], lab_key: Path, terminal: tuple[int, int]
) -> None:
    leader, follower = terminal
    shell = shell_in(follower, ssh_targets[0], lab_key)
    read_until(leader, shell, b"root@web1:")
    os.write(leader, b"stty size\n")
    read_until(leader, shell, b"30 100")

    set_size(follower, 40, 120)
    shell.send_signal(signal.SIGWINCH)  # what the kernel sends a terminal's foreground job
    os.write(leader, b"stty size; exit\n")
    output = read_until(leader, shell, None)

    assert b"40 120" in output
    assert shell.returncode == 0


def read_until(leader: int, process: subprocess.Popen[bytes], marker: bytes | None) -> bytes:
    """What the terminal shows until `marker` appears, or until the process ends (None)."""
    import select

    output = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        readable, _, _ = select.select([leader], [], [], 0.1)
        if readable:
            output += os.read(leader, 4096)
            if marker is not None and marker in output:
                return output
        elif marker is None and process.poll() is not None:
            return output
    process.kill()
    raise AssertionError(f"waited in vain for {marker!r}; the terminal showed {output!r}")
