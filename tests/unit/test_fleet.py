"""`lab start`'s fleet on a fake engine (lab.fleet.converge): what is made, kept, started again
or made afresh, the SSH wait of every server, the other exercises stopped first, and the
balancer given the servers that run."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import fleet
from lab.deploy.state import Desired, StateStore
from lab.exercises.catalogue import Catalogue
from lab.exercises.schema import Exercise
from lab.settings import Settings
from tests.unit.deploy.fake_engine import FakeEngine, start

FIRST = "01-first-fleet"  # three servers and the repository, nothing set up at the start
SET_UP = "08-replace-dont-repair"  # four servers, provisioned and hand-edited at the start


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "home", "learner")


def exercise(settings: Settings, exercise_id: str) -> Exercise:
    return Catalogue.of(settings).load(exercise_id)


def names(exercise_id: str, *servers: str, student: str = "learner") -> list[str]:
    return [f"lab-{student}-{exercise_id}-{server}" for server in servers]


def converge(settings: Settings, exercise_id: str, engine: FakeEngine,
             said: list[str] | None = None) -> fleet.Converged:
    engine.done.clear()
    engine.ssh_waited.clear()
    return fleet.converge(exercise(settings, exercise_id), settings,
                          (said if said is not None else []).append, engine)


def test_a_first_start_makes_every_container_and_waits_for_each_server(
        settings: Settings) -> None:
    engine = FakeEngine()
    done = converge(settings, FIRST, engine)

    assert sorted(name for _, name in engine.done) == names(FIRST, "repo", "web1", "web2",
                                                            "web3")
    assert {verb for verb, _ in engine.done} == {"create"}
    assert sorted(engine.ssh_waited) == ["web1", "web2", "web3"]  # not the repository
    assert done.fresh
    assert [info.name for info in done.containers] == sorted(names(
        FIRST, "repo", "web1", "web2", "web3"))
    assert [name for name, _ in engine.networks_made.values()] == [f"lab-learner-{FIRST}"]


def test_starting_again_keeps_the_fleet(settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, FIRST, engine)

    again = converge(settings, FIRST, engine)

    assert engine.done == []
    assert not again.fresh


def test_a_stopped_server_is_started_again(settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, FIRST, engine)
    engine.stop(names(FIRST, "web2")[0])
    said: list[str] = []

    converge(settings, FIRST, engine, said)

    assert engine.done == [("start", names(FIRST, "web2")[0])]
    assert said == [f"{names(FIRST, 'web2')[0]} was exited; starting it again"]


def test_a_lost_server_is_made_again_alone_when_nothing_was_set_up(settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, FIRST, engine)
    engine.remove(engine.by_name(names(FIRST, "web2")[0]).id)

    again = converge(settings, FIRST, engine)

    assert engine.done == [("create", names(FIRST, "web2")[0])]
    assert not again.fresh


def test_a_lost_server_of_a_set_up_exercise_means_a_new_fleet(settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, SET_UP, engine)
    engine.remove(engine.by_name(names(SET_UP, "web3")[0]).id)
    said: list[str] = []

    again = converge(settings, SET_UP, engine, said)

    assert said == [f"{names(SET_UP, 'web3')[0]} of {SET_UP} went missing; recreating the fleet"]
    kept = names(SET_UP, "repo", "web1", "web2", "web4")
    assert sorted(name for verb, name in engine.done if verb == "remove") == kept
    assert sorted(name for verb, name in engine.done if verb == "create") == sorted(
        [*kept, names(SET_UP, "web3")[0]])
    assert again.fresh  # so the start sets it up again


def test_a_lost_server_of_a_deployed_fleet_is_made_again_from_the_deployed_image(
        settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, SET_UP, engine)
    StateStore.of(settings, SET_UP).update(lambda state: state.model_copy(update={
        "desired": Desired(image="lab-learner/app:v2", image_id="sha256:v2",
                           servers=("web1", "web2", "web3", "web4"))}))
    engine.remove(engine.by_name(names(SET_UP, "web3")[0]).id)

    converge(settings, SET_UP, engine)

    assert engine.done == [("create", names(SET_UP, "web3")[0])]
    assert engine.by_name(names(SET_UP, "web3")[0]).image_id == "sha256:v2"


def test_servers_made_with_another_key_are_made_again(settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, FIRST, engine)
    engine.key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherHomesKey lab"
    said: list[str] = []

    again = converge(settings, FIRST, engine, said)

    assert said == [f"the servers of {FIRST} were made with another SSH key; recreating them"]
    assert again.fresh
    assert len([verb for verb, _ in engine.done if verb == "create"]) == 4


def test_the_student_s_other_exercise_stops_first_and_other_students_keep_theirs(
        settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, FIRST, engine)
    converge(settings.for_student("bob"), FIRST, engine)

    converge(settings, SET_UP, engine)

    assert sorted(name for verb, name in engine.done if verb == "remove") == names(
        FIRST, "repo", "web1", "web2", "web3")
    assert [info.name for info in engine.containers(exercise=FIRST)] == names(
        FIRST, "repo", "web1", "web2", "web3", student="bob")
    assert sorted(name for name, _ in engine.networks_made.values()) == [
        f"lab-bob-{FIRST}", f"lab-learner-{SET_UP}"]


def test_the_balancer_is_given_every_server_that_runs(settings: Settings) -> None:
    engine = FakeEngine()
    start(settings, "12-deployment-strategies", engine)
    engine.stop(names("12-deployment-strategies", "web2")[0])

    given = fleet.sync_balancer(settings, "12-deployment-strategies", engine)

    assert [backend.server for backend in given] == ["web1", "web3", "web4"]
    assert len(engine.reloads) == 1 and len(engine.reloads[0].containers) == 3


def test_without_a_balancer_there_is_nothing_to_give(settings: Settings) -> None:
    engine = FakeEngine()
    converge(settings, FIRST, engine)

    assert fleet.sync_balancer(settings, FIRST, engine) == []
    assert engine.reloads == []
