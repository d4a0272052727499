"""The deployment history: what a deployment changes, where a rollback goes, and the file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab.deploy.state import (
    EVENTS_KEPT,
    Desired,
    Event,
    FleetState,
    Result,
    StateStore,
)
from lab.errors import StateError

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
SERVERS = ("web1", "web2")


def desired(tag: str) -> Desired:
    return Desired(image=f"lab-learner/app:{tag}", image_id=f"sha256:{tag}", servers=SERVERS)


def deployed(state: FleetState, tag: str, result: Result) -> FleetState:
    """`state` after one deployment of image `tag` that ended with `result`."""
    begun, deployment = state.begin("deploy", f"lab-learner/app:{tag}", f"sha256:{tag}",
                                    "one-at-a-time", now=T0)
    return begun.finish(deployment.number, result, "" if result == "succeeded" else "broke",
                        SERVERS, desired(tag), now=T0 + timedelta(seconds=7))


def history(*steps: tuple[str, Result]) -> FleetState:
    state = FleetState()
    for tag, result in steps:
        state = deployed(state, tag, result)
    return state


def test_a_begun_deployment_runs_and_a_finished_one_says_how_it_ended() -> None:
    state, deployment = FleetState().begin("deploy", "lab-learner/app:v2", "sha256:v2",
                                           "one-at-a-time", now=T0)
    assert deployment.number == 1
    assert state.deployments == (deployment,)
    assert deployment.result == "running" and deployment.seconds is None

    done = state.finish(1, "succeeded", "", SERVERS, desired("v2"),
                        now=T0 + timedelta(seconds=7))
    (finished,) = done.deployments
    assert finished.result == "succeeded"
    assert finished.replaced == SERVERS
    assert finished.seconds == 7.0
    assert state.deployments[0].result == "running", "states are values: the old one is kept"


def test_numbers_count_up() -> None:
    state = history(("v1", "succeeded"), ("v2", "failed"))
    _, third = state.begin("rollback", "lab-learner/app:v1", "sha256:v1", "one-at-a-time")
    assert [item.number for item in state.deployments] == [1, 2]
    assert third.number == 3 and third.kind == "rollback"


def test_a_failed_deployment_leaves_the_desired_state_alone() -> None:
    state = history(("v2", "succeeded"), ("v3", "failed"))
    assert state.desired == desired("v2")
    assert state.deployments[-1].result == "failed"
    assert state.deployments[-1].message == "broke"


def test_an_interrupted_deployment_leaves_the_desired_state_alone() -> None:
    assert history(("v2", "succeeded"), ("v3", "interrupted")).desired == desired("v2")


def test_a_succeeded_deployment_becomes_the_desired_state() -> None:
    assert history(("v2", "succeeded"), ("v3", "succeeded")).desired == desired("v3")


@pytest.mark.parametrize(
    ("steps", "target"),
    [
        ([("v2", "succeeded"), ("v3", "failed")], "v2"),
        ([("v2", "succeeded"), ("v3", "succeeded")], "v2"),
        ([("v2", "succeeded")], None),
        ([("v2", "succeeded"), ("v2", "succeeded")], None),
        ([], None),
        ([("v1", "succeeded"), ("v2", "succeeded"), ("v3", "failed"), ("v3", "failed")], "v2"),
        ([("v1", "succeeded"), ("v2", "failed"), ("v3", "failed")], "v1"),
    ],
)
def test_rollback_target(steps: list[tuple[str, Result]], target: str | None) -> None:
    found = history(*steps).rollback_target()
    assert (found.image_id if found else None) == (f"sha256:{target}" if target else None)


def test_last_good_before_a_number() -> None:
    state = history(("v1", "succeeded"), ("v2", "succeeded"), ("v3", "failed"))
    assert state.last_good().number == 2  # type: ignore[union-attr]
    assert state.last_good(before=2).number == 1  # type: ignore[union-attr]
    assert state.last_good(before=1) is None


def test_events_are_capped_to_the_newest() -> None:
    events = [Event(at=T0, kind="kill", server=f"web{number}") for number in range(EVENTS_KEPT)]
    state = FleetState().with_events(*events)
    state = state.with_events(Event(at=T0, kind="stop", server="newest"))
    assert len(state.events) == EVENTS_KEPT
    assert state.events[0].server == "web1", "the oldest event made room"
    assert state.events[-1].server == "newest"


def test_the_store_round_trips(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "deployments" / "07-bake.json")
    assert store.load() == FleetState(), "no file yet is an empty history"
    written = store.update(lambda state: deployed(state, "v2", "succeeded"))
    assert store.load() == written
    assert StateStore(store.path).load().desired == desired("v2")


def test_forget_starts_over(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "07-bake.json")
    store.update(lambda state: deployed(state, "v2", "succeeded"))
    store.forget()
    assert store.load() == FleetState()


@pytest.mark.parametrize("text", ["{not json", '{"format_version": 7}', '{"deployments": 3}'])
def test_a_corrupt_file_is_one_clear_state_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "07-bake.json"
    path.write_text(text)
    with pytest.raises(StateError) as raised:
        StateStore(path).load()
    line = raised.value.line()
    assert str(path) in line and "Move it aside" in line
    assert "\n" not in line and "validation error" not in line
