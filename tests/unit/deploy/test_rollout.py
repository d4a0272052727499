"""`lab deploy`: the --volume options, what a stopped rollout says, and a rollout on a fake
engine (the servers replaced in order, the failure that stops it, the history)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.deploy.rollout import DeployFailed, _failure_message, parse_volumes, roll_out
from lab.deploy.state import StateStore
from lab.deploy.strategies import Options
from lab.errors import StateError, UsageError
from lab.settings import Settings
from tests.unit.deploy.fake_engine import FakeEngine, start


def test_volumes_name_and_path() -> None:
    assert parse_volumes(["data:/var/lib/guestbook", "logs-{server}:/var/log/app"]) == {
        "data": "/var/lib/guestbook", "logs-{server}": "/var/log/app"}


def test_no_volumes() -> None:
    assert parse_volumes([]) == {}


@pytest.mark.parametrize(
    "option",
    ["data", "Data:/x", "data:relative", ":/x", "data:", "-data:/x", "da ta:/x",
     "data{server}{server}:/x"],
)
def test_a_malformed_volume_is_a_usage_error(option: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_volumes(["data:/fine", option])
    line = raised.value.line()
    assert f"--volume {option!r} is not NAME:/PATH" in line
    assert "--volume data:/var/lib/guestbook" in line


def test_the_failure_names_the_server_the_detail_and_the_untouched() -> None:
    message = _failure_message("web2", "/health answered 'fail'", "lab-learner/app:v3",
                               ["web3", "web4"])
    assert message.startswith("web2 failed its health check on lab-learner/app:v3: "
                              "/health answered 'fail'.")
    assert message.endswith("web3, web4 were not touched")


def test_the_failure_of_the_last_server_touched_them_all() -> None:
    message = _failure_message("web1", "its container exited with code 1", "v3", [])
    assert message == ("web1 failed its health check on v3: its container exited with code 1. "
                       "The rollout stopped")


def test_one_untouched_server_is_singular() -> None:
    assert _failure_message("web1", "x", "v3", ["web2"]).endswith("web2 was not touched")


# -- roll_out on a fake engine: exercise 08, four servers and no load balancer --------------

EXERCISE = "08-replace-dont-repair"
SERVERS = ["web1", "web2", "web3", "web4"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "home", "learner")


@pytest.fixture
def engine(settings: Settings) -> FakeEngine:
    made = FakeEngine(unhealthy={"sha256:bad"})
    start(settings, EXERCISE, made)
    made.done.clear()
    return made


def container(server: str) -> str:
    return f"lab-learner-{EXERCISE}-{server}"


def test_a_rollout_replaces_each_server_in_turn_and_records_it(settings: Settings,
                                                               engine: FakeEngine) -> None:
    said: list[str] = []
    done = roll_out(settings, "sha256:good", "lab-learner/app:v2", said.append, engine=engine)

    # Each server's container goes before its new one is made, one server after another.
    assert engine.done == [(verb, container(server)) for server in SERVERS
                           for verb in ("remove", "create")]
    assert set(engine.images().values()) == {"sha256:good"}
    assert [line.split(":")[0] for line in said] == SERVERS
    assert (done.result, done.replaced, done.strategy) == ("succeeded", tuple(SERVERS),
                                                          "one-at-a-time")
    state = StateStore.of(settings, EXERCISE).load()
    assert state.deployments == (done,)
    assert state.desired is not None and state.desired.image_id == "sha256:good"
    assert state.desired.servers == tuple(SERVERS)


def test_a_failing_server_stops_the_rollout_and_names_the_untouched(
        settings: Settings, engine: FakeEngine) -> None:
    before = engine.images()

    with pytest.raises(DeployFailed) as failed:
        roll_out(settings, "sha256:bad", "lab-learner/app:v3", lambda _: None, engine=engine)

    assert failed.value.message.startswith(
        "web1 failed its health check on lab-learner/app:v3: /health answered 'fail'.")
    assert failed.value.message.endswith("web2, web3, web4 were not touched")
    after = engine.images()
    assert after[container("web1")] == "sha256:bad"
    assert {name: after[name] for name in before if not name.endswith("web1")} == {
        name: image for name, image in before.items() if not name.endswith("web1")}
    newest = StateStore.of(settings, EXERCISE).load()
    assert newest.deployments[-1].result == "failed"
    assert newest.deployments[-1].replaced == ("web1",)
    assert newest.desired is None  # a failed rollout never becomes what the fleet should run


def test_a_deployment_s_volumes_are_kept_for_the_next(settings: Settings,
                                                       engine: FakeEngine) -> None:
    roll_out(settings, "sha256:good", "v2", lambda _: None, engine=engine,
             volumes={"data": "/var/lib/guestbook"})
    roll_out(settings, "sha256:good2", "v3", lambda _: None, engine=engine)

    desired = StateStore.of(settings, EXERCISE).load().desired
    assert desired is not None and desired.volumes == {"data": "/var/lib/guestbook"}


def test_strategies_need_a_load_balancer(settings: Settings, engine: FakeEngine) -> None:
    with pytest.raises(UsageError) as refused:
        roll_out(settings, "sha256:good", "v2", lambda _: None, engine=engine,
                 options=Options("blue-green"))
    assert "has no load balancer" in refused.value.message
    assert engine.done == []
    assert StateStore.of(settings, EXERCISE).load().deployments == ()


def test_without_its_fleet_nothing_is_deployed(settings: Settings, engine: FakeEngine) -> None:
    engine.found.clear()
    with pytest.raises(StateError) as refused:
        roll_out(settings, "sha256:good", "v2", lambda _: None, engine=engine)
    assert refused.value.line().startswith(f"the servers of {EXERCISE} are not running")
