"""Each way the engine can be out of reach maps to its own line and remedy."""

from __future__ import annotations

import pytest
import requests

from lab.docker.engine import Engine, _unreachable, engine_errors
from lab.errors import EngineError, ExitCode

LOCAL = Engine()


def test_permission_denied_names_the_docker_group() -> None:
    cause = requests.exceptions.ConnectionError(PermissionError(13, "Permission denied"))
    error = _unreachable(cause, LOCAL)
    assert error.exit_code is ExitCode.ENGINE
    assert "no permission" in error.message
    assert "'docker' group" in error.remedy


def test_timeout_says_the_engine_did_not_answer() -> None:
    error = _unreachable(requests.exceptions.ReadTimeout("read timed out"), LOCAL)
    assert "did not answer in time" in error.message


def test_refused_says_start_docker() -> None:
    cause = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    assert "Start Docker" in _unreachable(cause, LOCAL).line()


def test_a_refused_ssh_session_to_the_engine_is_one_line_with_the_sshd_remedy() -> None:
    import paramiko

    far = Engine(host="ssh://root@engine.example")
    with pytest.raises(EngineError) as raised, engine_errors(far):
        raise paramiko.ChannelException(2, "Connect failed")
    assert "ssh://root@engine.example" in raised.value.message
    assert "MaxSessions" in raised.value.remedy
    with pytest.raises(EngineError) as raised, engine_errors(far):
        raise paramiko.AuthenticationException("Authentication failed.")
    assert "docker -H ssh://root@engine.example ps" in raised.value.remedy
    with pytest.raises(KeyError), engine_errors(far):
        raise KeyError("not the engine's")
