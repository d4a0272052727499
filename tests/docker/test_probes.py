"""Probe shells against a real container: same answers as docker exec, no trace left behind."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.docker import containers
from lab.docker.probes import Prober
from lab.images import definitions
from lab.settings import Settings

SERVER = definitions.BY_NAME["server"].ref_for(Settings(home=Path("/nonexistent"), student="t"))

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]


@pytest.fixture(scope="module")
def container() -> Iterator[str]:
    name = f"lab-test-probe-{uuid.uuid4().hex[:8]}"
    container_id = subprocess.run(
        ["docker", "run", "-d", "--name", name, "--label", "lab.managed=true",
         "--label", "lab.role=test", SERVER],
        capture_output=True, text=True, check=True).stdout.strip()
    # lab-init writes the host key and the version page, then starts nginx and sshd.
    subprocess.run(["docker", "exec", container_id, "sh", "-c",
                    "until [ -s /run/nginx.pid ] && pgrep -x sshd; do sleep 0.05; done"],
                   capture_output=True, timeout=30, check=True)
    yield container_id
    subprocess.run(["docker", "rm", "-f", container_id], capture_output=True)


@pytest.mark.parametrize("command", [
    "echo hello",
    "echo to stderr >&2; exit 3",
    "printf 'no newline'",
    """echo "quotes 'inside' \\"both\\"" ; echo $((6*7))""",
    "seq 1 20000",  # larger than one frame of the exec stream
    "true",
])
def test_a_probe_answers_like_docker_exec(container: str, command: str) -> None:
    with Prober() as prober:
        probed = prober.run(container, command)
    plain = containers.exec_run(container, command)
    assert (probed.exit_code, probed.stdout, probed.stderr) == \
        (plain.exit_code, plain.stdout, plain.stderr)


def test_many_probes_on_one_shell_stay_in_step(container: str) -> None:
    with Prober() as prober:
        answers = [prober.run(container, f"echo {number}").stdout for number in range(50)]
    assert answers == [f"{number}\n" for number in range(50)]


def test_probing_leaves_no_trace_in_docker_diff(container: str) -> None:
    def changes() -> set[str]:
        diff = subprocess.run(["docker", "diff", container], capture_output=True, text=True)
        return set(diff.stdout.splitlines())

    before = changes()
    with Prober() as prober:
        prober.run(container, "dpkg-query -W nginx-light")
    assert changes() == before


def test_a_stopped_container_falls_back_to_a_clear_error(container: str) -> None:
    from lab.errors import LabError

    with Prober() as prober, pytest.raises(LabError):
        prober.run("0" * 64, "true")
