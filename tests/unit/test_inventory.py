"""The images `lab images` lists and prunes: the lab's own, and apart from them the learner's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab.deploy.state import Desired, FleetState, StateStore
from lab.docker import containers, images, labels
from lab.docker.containers import ContainerInfo
from lab.docker.images import ImageInfo
from lab.images import inventory
from lab.settings import Settings

SERVER_LABELS = {"lab.managed": "true", "lab.image": "server", "lab.version": "0.1.0"}


def lab_image(name: str, *tags: str) -> ImageInfo:
    return ImageInfo(id=f"sha256:{name:0<64}", tags=tags, created="2024-05-01T14:00:00",
                     size=100_000_000, labels={"lab.managed": "true", "lab.image": name})


def app_image(student: str, number: int, *tags: str, **extra: str) -> ImageInfo:
    """A learner's image: it carries the server image's labels too, as a real one does."""
    built = {**SERVER_LABELS, "lab.role": "app", "lab.student": student,
             "lab.exercise": "07-golden-image", "lab.tag": f"v{number}",
             "lab.built-at": f"2024-05-01T12:0{number}:00+00:00", **extra}
    return ImageInfo(id=f"sha256:{student}{number:0>60}", tags=tags, labels=built,
                     created="2024-05-01T14:00:00", size=140_000_000)


ENGINE = [
    lab_image("server", "immutable-lab/server:latest"),
    lab_image("base", "immutable-lab/base:latest"),
    lab_image("repo"),
    app_image("ann", 1),
    app_image("ann", 2, "lab-ann/app:v2", "lab-ann/app:latest", version="2.0"),
    app_image("ann", 3, "lab-ann/app:v3"),
    app_image("bob", 1, "lab-bob/app:v1"),
]


@pytest.fixture
def ann(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, student="ann")


@pytest.fixture
def zone(request: pytest.FixtureRequest) -> Iterator[None]:
    """The time zone the test names (`TZ`), put back afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake engine with the lab's images and two learners'; returns what was removed."""
    removed: list[str] = []

    def list_lab_images(**label_values: str) -> list[ImageInfo]:
        wanted = labels.managed(**label_values)
        return [info for info in ENGINE
                if all(info.labels.get(key) == value for key, value in wanted.items())]

    def remove(ref: str) -> str | None:
        removed.append(ref)
        return None

    monkeypatch.setattr(images, "list_lab_images", list_lab_images)
    monkeypatch.setattr(images, "remove", remove)
    monkeypatch.setattr(containers, "find", lambda **_: [])
    return removed


def test_the_lab_s_images_are_only_the_lab_s(engine: list[str]) -> None:
    rows = inventory.rows()
    assert [(row.name, row.status) for row in rows] == [
        ("base", "current"), ("server", "current"), ("repo", "stale")]
    assert not any("app" in row.ref for row in rows)


def test_pruning_the_lab_s_images_never_touches_a_learner_s(engine: list[str]) -> None:
    inventory.prune(everything=True)
    assert sorted(engine) == sorted(["immutable-lab/server:latest", "immutable-lab/base:latest",
                                     ENGINE[2].id])
    assert engine.index("immutable-lab/server:latest") < engine.index(
        "immutable-lab/base:latest"), "children before parents"


def test_pruning_stale_lab_images_leaves_a_learner_s_untagged_one(engine: list[str]) -> None:
    inventory.prune(everything=False)
    assert engine == [ENGINE[2].id]


@pytest.mark.parametrize("zone", ["UTC"], indirect=True)
def test_my_images_are_mine_newest_first(engine: list[str], ann: Settings, zone: None) -> None:
    rows = inventory.my_rows(ann)
    assert [row.built_as for row in rows] == ["v3", "v2", "v1"]
    newest, tagged, rebuilt = rows
    assert newest.tags == ("v3",) and newest.ref == "lab-ann/app:v3"
    assert tagged.tags == ("v2", "latest") and tagged.version == "2.0"
    assert rebuilt.tags == () and rebuilt.ref == ENGINE[3].short_id
    assert newest.built_at == "2024-05-01 12:03:00"
    assert newest.exercise == "07-golden-image" and newest.image_id == ENGINE[5].short_id
    assert newest.version == "", "the lab's own lab.version is not the learner's version"


@pytest.mark.parametrize("zone", ["Asia/Kolkata"], indirect=True)  # UTC+5:30, all year
def test_built_at_is_shown_in_local_time(engine: list[str], ann: Settings, zone: None) -> None:
    assert inventory.my_rows(ann)[0].built_at == "2024-05-01 17:33:00"


def test_pruning_mine_removes_only_what_a_rebuild_left_untagged(engine: list[str],
                                                                 ann: Settings) -> None:
    removals = inventory.prune_mine(ann, everything=False, waiting=print)
    assert engine == [ENGINE[3].id]
    assert [(item.ref, item.removed) for item in removals] == [(ENGINE[3].short_id, True)]


def test_pruning_all_mine_spares_images_in_use_and_other_learners(
    engine: list[str], ann: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = ContainerInfo(id="c1", name="lab-ann-07-web1", image="lab-ann/app:v3",
                            image_id=ENGINE[5].id, labels={}, state="running", status="",
                            created=datetime(2024, 5, 1, tzinfo=timezone.utc), ports=())
    monkeypatch.setattr(containers, "find", lambda **_: [running])
    inventory.prune_mine(ann, everything=True, waiting=print)
    assert sorted(engine) == sorted([ENGINE[3].id, ENGINE[4].id])


def test_an_untagged_image_a_deployment_ran_is_kept_for_rollback(
    engine: list[str], ann: Settings,
) -> None:
    store = StateStore.of(ann, "09-rollback")

    def deployed(state: FleetState) -> FleetState:
        state, begun = state.begin("deploy", "lab-ann/app:v1", ENGINE[3].id, "one-at-a-time")
        return state.finish(begun.number, "succeeded", "", ("web1",),
                            Desired(image="lab-ann/app:v1", image_id=ENGINE[3].id,
                                    servers=("web1",)))

    store.update(deployed)
    assert inventory.prune_mine(ann, everything=False, waiting=print) == []
    assert engine == []
    inventory.prune_mine(ann, everything=True, waiting=print)
    assert ENGINE[3].id in engine, "--all removes it all the same"


def test_a_corrupt_history_does_not_block_pruning(ann: Settings) -> None:
    broken = ann.student_dir / "deployments" / "09-rollback.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{")
    assert inventory.deployed_images(ann) == set()
