"""An engine reached over SSH (DOCKER_HOST=ssh://root@127.0.0.1:PORT, a real sshd this test
starts): the lab reaches the servers' published ports through that SSH connection.

The proof that it does: the lab runs in a network namespace of its own, whose 127.0.0.1 is
empty; its SSH connection to the engine's machine goes out through a ProxyCommand that runs
`sshd -i` back in this machine's namespace. A published port is then reachable only through
the tunnel, and the test checks that a direct connection is refused there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docker.far_engines import (
    prove_a_class_runs_on_it,
    prove_a_learner_reaches_the_servers,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

SSHD = "/usr/sbin/sshd"
TOOLS = ("ssh-keygen", "unshare", "nsenter", "ip", "docker")


@dataclass(frozen=True)
class SshEngine:
    url: str  # ssh://root@127.0.0.1:PORT
    path: str  # PATH with an `ssh` that follows $HOME (for the docker CLI)
    direct_home: str  # a HOME whose ~/.ssh/config reaches the sshd directly
    isolated_home: str  # ... and one that reaches it from another network namespace

    def lab(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """`lab ARGS` with DOCKER_HOST=ssh://..., in a network namespace of its own."""
        return self.isolated(sys.executable, "-m", "lab", *args, env=env, timeout=timeout)

    def isolated(self, *command: str, env: dict[str, str] | None = None,
                 timeout: float = 900) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "COLUMNS": "200", "HOME": self.isolated_home,
                       "PATH": self.path,
                       "DOCKER_HOST": self.url, **(env or {})}
        environment.pop("SSH_AUTH_SOCK", None)
        result = subprocess.run(
            ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "-", *command],
            capture_output=True, text=True, env=environment, timeout=timeout)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _write_home(home: Path, folder: Path, port: int, host_key: str, proxy: str = "") -> str:
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    lines = ["Host 127.0.0.1", f"  IdentityFile {folder / 'client'}", "  IdentitiesOnly yes",
             f"  UserKnownHostsFile {home / '.ssh' / 'known_hosts'}"]
    if proxy:
        lines.append(f"  ProxyCommand {proxy}")
    (home / ".ssh" / "config").write_text("\n".join(lines) + "\n")
    kind, key = host_key.split()[:2]
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {kind} {key}\n")
    return str(home)


def _ssh_of_home(folder: Path) -> str:
    """A bin folder whose `ssh` reads $HOME/.ssh/config: OpenSSH takes the home folder from
    the password database, never from $HOME, and the docker CLI runs `ssh` from PATH."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F "$HOME/.ssh/config" "$@"\n')
    wrapper.chmod(0o755)
    return str(bin_dir)


def _wait_for_port(port: int, daemon: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert daemon.poll() is None, "sshd exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"sshd did not listen on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def ssh_engine() -> Iterator[SshEngine]:
    """This machine's engine behind a throwaway sshd for root on 127.0.0.1 (key-only)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if os.geteuid() != 0 or not Path(SSHD).exists() or missing:
        pytest.skip(f"needs root, {SSHD} (apt-get install openssh-server) and {TOOLS}")
    folder = Path(tempfile.mkdtemp(prefix="lab-sshd-", dir="/tmp"))
    host_key = _keygen(folder / "host")
    (folder / "authorized_keys").write_text(_keygen(folder / "client") + "\n")
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {folder / 'host'}",
        f"PidFile {folder / 'sshd.pid'}", f"AuthorizedKeysFile {folder / 'authorized_keys'}",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        "AllowTcpForwarding yes", "LogLevel ERROR",
        # docker's SSH transport opens a session per concurrent request; OpenSSH allows 10.
        "MaxSessions 100",
    ]) + "\n")
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    log = (folder / "sshd.log").open("w")
    daemon = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, daemon)
        # From another network namespace: `sshd -i` on this connection, in this namespace.
        proxy = f"nsenter --net=/proc/{os.getpid()}/ns/net {SSHD} -i -f {config}"
        path = f"{_ssh_of_home(folder)}{os.pathsep}{os.environ.get('PATH', '')}"
        yield SshEngine(f"ssh://root@127.0.0.1:{port}", path,
                        _write_home(folder / "direct", folder, port, host_key),
                        _write_home(folder / "isolated", folder, port, host_key, proxy))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_the_docker_cli_reaches_the_engine_over_ssh(ssh_engine: SshEngine) -> None:
    direct = subprocess.run(["docker", "-H", ssh_engine.url, "version", "--format",
                             "{{.Server.Version}}"], capture_output=True, text=True,
                            env={**os.environ, "HOME": ssh_engine.direct_home,
                                 "PATH": ssh_engine.path}, timeout=60)
    assert direct.returncode == 0, direct.stderr
    isolated = ssh_engine.isolated("docker", "ps", "--quiet", timeout=60)
    assert isolated.returncode == 0, isolated.stderr


def test_start_check_and_run_reach_the_servers_through_the_tunnel(
        ssh_engine: SshEngine, student: str) -> None:
    prove_a_learner_reaches_the_servers(ssh_engine, student, "lab.reach.ssh_tunnel")


def test_class_start_places_a_student_on_the_ssh_engine(
        ssh_engine: SshEngine, student: str, tmp_path: Path) -> None:
    prove_a_class_runs_on_it(ssh_engine, ssh_engine.url, student, tmp_path)
