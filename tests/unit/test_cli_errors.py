"""The engine-unreachable contract: every command says so in one line and exits 2."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import assert_one_line_error, run_lab


@pytest.mark.parametrize(
    ("docker_host", "expected"),
    [
        ("unix:///nonexistent/docker.sock", "cannot reach the Docker engine"),
        ("tcp://127.0.0.1:9", "cannot reach the Docker engine"),
        ("bogus://somewhere", "is not a valid engine address"),
    ],
)
@pytest.mark.parametrize("command", [["images", "list"], ["images", "build"]])
def test_unreachable_engine_is_one_line_exit_2(
    docker_host: str, expected: str, command: list[str]
) -> None:
    result = run_lab(*command, env={"DOCKER_HOST": docker_host})
    line = assert_one_line_error(result, exit_code=2)
    assert expected in line
    assert "Start Docker" in line or "DOCKER_HOST" in line


def test_stopped_daemon_socket_that_refuses(tmp_path: Path) -> None:
    """A socket file left behind by a stopped daemon: nobody accepts on it."""
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the file stays, the listener is gone: connection refused
    result = run_lab("images", "list", env={"DOCKER_HOST": f"unix://{path}"})
    assert "cannot reach the Docker engine" in assert_one_line_error(result, exit_code=2)


def test_doctor_reports_the_engine_row_and_fails() -> None:
    result = run_lab("doctor", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "Docker engine" in result.stdout
    assert "cannot reach the Docker engine" in result.stdout


def test_unknown_image_name_is_a_usage_error() -> None:
    result = run_lab("images", "build", "nginx", env={"DOCKER_HOST": "unix:///nonexistent"})
    line = assert_one_line_error(result, exit_code=3)
    assert "unknown image nginx" in line and "base, server, repo" in line


def test_loading_something_that_is_not_a_bundle(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_text("not a tarball")
    result = run_lab("images", "load", str(junk))
    line = assert_one_line_error(result, exit_code=3)
    assert "is not a lab image bundle" in line


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["run", "--all"], "Missing argument 'command'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["start", "--bogus"], "No such option: --bogus"),
    ],
)
def test_command_line_mistakes_are_one_line_exit_3(arguments: list[str], expected: str) -> None:
    """Click's usage errors must not use exit 2, which means "engine unreachable"."""
    line = assert_one_line_error(run_lab(*arguments), exit_code=3)
    assert expected in line and "--help" in line
