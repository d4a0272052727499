"""Each way the engine can be out of reach maps to its own line and remedy."""

from __future__ import annotations

import requests

from lab.docker.engine import _unreachable
from lab.errors import ExitCode


def test_permission_denied_names_the_docker_group() -> None:
    cause = requests.exceptions.ConnectionError(PermissionError(13, "Permission denied"))
    error = _unreachable(cause)
    assert error.exit_code is ExitCode.ENGINE
    assert "no permission" in error.message
    assert "'docker' group" in error.remedy


def test_timeout_says_the_engine_did_not_answer() -> None:
    error = _unreachable(requests.exceptions.ReadTimeout("read timed out"))
    assert "did not answer in time" in error.message


def test_refused_says_start_docker() -> None:
    cause = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    assert "Start Docker" in _unreachable(cause).line()
