"""`lab repo` says clearly, in one line, when there is no repository to ask."""

from __future__ import annotations

from tests.helpers import assert_one_line_error, run_lab

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def test_repo_list_before_any_start_says_to_start() -> None:
    line = assert_one_line_error(run_lab("repo", "list", env=NO_ENGINE), exit_code=5)
    assert line == "error: no exercise is started. Run `lab start` first."


def test_repo_heal_before_any_start_says_to_start() -> None:
    line = assert_one_line_error(run_lab("repo", "heal", env=NO_ENGINE), exit_code=5)
    assert "Run `lab start` first" in line


def test_repo_is_listed_in_the_help() -> None:
    result = run_lab("repo", "--help")
    assert result.returncode == 0
    assert "list" in result.stdout and "heal" in result.stdout
