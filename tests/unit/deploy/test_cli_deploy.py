"""The immutable track's commands where they must answer before any engine is asked.

DOCKER_HOST points nowhere: a command that wrongly reaches for the engine first says
"cannot reach the Docker engine" (exit 2) instead of the learner's real mistake.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from lab.deploy.state import Desired, FleetState, Result, StateStore
from lab.environment import current_settings
from lab.progress import Progress, ProgressStore
from tests.helpers import assert_one_line_error, run_lab

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
EXERCISE = "01-first-fleet"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def started() -> StateStore:
    """The learner is on 01-first-fleet (as far as their progress says); its history."""
    settings = current_settings()
    ProgressStore.of(settings).save(Progress().started(EXERCISE))
    return StateStore.of(settings, EXERCISE)


def record(store: StateStore, *steps: tuple[str, Result]) -> None:
    def change(state: FleetState) -> FleetState:
        for tag, result in steps:
            state, begun = state.begin("deploy", f"lab-learner/app:{tag}",
                                       f"sha256:{tag * 32}", "one-at-a-time", now=T0)
            state = state.finish(begun.number, result, "web2 failed its health check"
                                 if result == "failed" else "", ("web1", "web2"),
                                 Desired(image=f"lab-learner/app:{tag}",
                                         image_id=f"sha256:{tag * 32}",
                                         servers=("web1", "web2")), now=T0)
        return state

    store.update(change)


def test_chaos_without_a_fault_says_which_to_choose() -> None:
    line = assert_one_line_error(run_lab("chaos", env=NO_ENGINE), exit_code=3)
    assert "say which fault" in line and "--kill N" in line and "--random" in line


@pytest.mark.parametrize("option", ["bad", "Data:/x", "data:relative"])
def test_deploy_with_a_bad_volume_is_a_usage_error(option: str) -> None:
    result = run_lab("deploy", "v2", "--volume", option, env=NO_ENGINE)
    line = assert_one_line_error(result, exit_code=3)
    assert f"--volume '{option}' is not NAME:/PATH" in line


@pytest.mark.parametrize(("args", "says"), [
    (["deploy", "v2", "--strategy", "sideways"], "unknown strategy 'sideways'"),
    (["deploy", "v2", "--plot", "timeline.txt"], "cannot draw to timeline.txt"),
    (["rollback", "--plot", "timeline.gif"], "cannot draw to timeline.gif"),
])
def test_a_mistake_in_the_options_is_said_before_any_deployment(args: list[str],
                                                                says: str) -> None:
    # No engine answers: the line comes before the lab even asks it for the image.
    line = assert_one_line_error(run_lab(*args, env=NO_ENGINE), exit_code=3)
    assert says in line


def test_deploy_of_nothing_is_a_usage_error() -> None:
    line = assert_one_line_error(run_lab("deploy", " ", env=NO_ENGINE), exit_code=3)
    assert "no image given" in line


def test_history_of_a_fresh_exercise(started: StateStore) -> None:
    result = run_lab("history", env=NO_ENGINE)
    assert result.returncode == 0, result.stderr
    assert f"Nothing deployed to {EXERCISE} yet" in result.stdout


def test_history_shows_each_deployment_and_what_is_desired(started: StateStore) -> None:
    record(started, ("a", "succeeded"), ("b", "failed"))
    text = run_lab("history", env=NO_ENGINE)
    assert text.returncode == 0, text.stderr
    assert "lab-learner/app:b" in text.stdout and "failed" in text.stdout
    assert "web2 failed its health check" in text.stdout
    assert "Desired: lab-learner/app:a on web1, web2" in text.stdout

    as_json = json.loads(run_lab("history", "--json", env=NO_ENGINE).stdout)
    assert [item["result"] for item in as_json["deployments"]] == ["succeeded", "failed"]
    assert as_json["desired"]["image"] == "lab-learner/app:a"


def test_a_corrupt_history_is_one_line(started: StateStore) -> None:
    started.path.parent.mkdir(parents=True, exist_ok=True)
    started.path.write_text('{"deployments": "lots"}')
    line = assert_one_line_error(run_lab("history", env=NO_ENGINE), exit_code=5)
    assert "is not a deployment history the lab can read" in line


def test_reconcile_before_any_deployment_says_deploy_first(started: StateStore) -> None:
    line = assert_one_line_error(run_lab("reconcile", env=NO_ENGINE), exit_code=5)
    assert f"nothing was deployed to {EXERCISE} yet" in line and "lab deploy TAG" in line


def test_rollback_with_nothing_to_go_back_to(started: StateStore) -> None:
    record(started, ("a", "succeeded"), ("a", "succeeded"))
    line = assert_one_line_error(run_lab("rollback", env=NO_ENGINE), exit_code=5)
    assert "there is nothing to roll back to" in line and "lab history" in line


def test_build_with_a_malformed_build_arg(started: StateStore) -> None:
    result = run_lab("build", "v2", "--build-arg", "VERSION", env=NO_ENGINE)
    line = assert_one_line_error(result, exit_code=3)
    assert "--build-arg 'VERSION' is not NAME=VALUE" in line
