"""`lab reconcile`'s plan: what it does to make the observed servers the desired ones."""

from __future__ import annotations

from datetime import datetime, timezone

from lab.deploy.reconcile import Action, plan
from lab.deploy.state import Desired
from lab.docker.containers import ContainerInfo

GOOD = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
DESIRED = Desired(image="lab-learner/app:v2", image_id=GOOD, servers=("web1", "web2"))


def server(name: str, *, image_id: str = GOOD, state: str = "running",
           container_id: str = "") -> ContainerInfo:
    return ContainerInfo(
        id=container_id or f"id-{name}", name=f"lab-learner-07-{name}", image=image_id,
        image_id=image_id, labels={"lab.managed": "true", "lab.role": "server",
                                   "lab.server": name},
        state=state, status="", created=datetime(2024, 5, 1, tzinfo=timezone.utc), ports=(),
    )


def test_a_matching_fleet_needs_nothing() -> None:
    assert plan(DESIRED, [server("web1"), server("web2")]) == []


def test_a_missing_server_is_created() -> None:
    assert plan(DESIRED, [server("web1")]) == [Action("web2", "create", "missing")]


def test_an_exited_server_is_replaced() -> None:
    (action,) = plan(DESIRED, [server("web1", state="exited"), server("web2")])
    assert (action.server, action.kind, action.reason) == ("web1", "replace", "was exited")
    assert action.container_id == "id-web1"
    assert action.text == "web1: was exited; replaced"


def test_a_server_of_another_image_is_replaced_and_says_which() -> None:
    (action,) = plan(DESIRED, [server("web1"), server("web2", image_id=OTHER)])
    assert (action.server, action.kind) == ("web2", "replace")
    assert action.reason == "runs image bbbbbbbbbbbb, not the desired aaaaaaaaaaaa"


def test_a_drifted_server_is_replaced() -> None:
    (action,) = plan(DESIRED, [server("web1"), server("web2")], drifted={"web1"})
    assert (action.server, action.kind, action.reason) == (
        "web1", "replace", "drifted from its image")


def test_a_stopped_server_is_replaced_for_that_reason_even_if_drifted() -> None:
    (action,) = plan(DESIRED, [server("web1", state="exited", image_id=OTHER), server("web2")],
                     drifted={"web1"})
    assert action.reason == "was exited"


def test_a_server_not_desired_is_removed() -> None:
    (action,) = plan(DESIRED, [server("web1"), server("web2"), server("web3")])
    assert action == Action("web3", "remove", "not in the desired state", "id-web3")
    assert action.text == "web3: not in the desired state; removed"


def test_a_second_container_of_one_server_is_removed() -> None:
    actions = plan(DESIRED, [server("web1"), server("web1", container_id="twin"),
                             server("web2")])
    assert actions == [Action("web1", "remove", "a second container", "twin")]


def test_several_repairs_at_once_in_server_order() -> None:
    actions = plan(DESIRED, [server("web2", state="exited"), server("db")])
    assert [(item.server, item.kind) for item in actions] == [
        ("web1", "create"), ("web2", "replace"), ("db", "remove")]


def test_nothing_observed_creates_every_server() -> None:
    assert [item.kind for item in plan(DESIRED, [])] == ["create", "create"]
