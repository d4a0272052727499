"""08-replace-dont-repair's checks on a scripted fleet: every server replaced since the start,
on one image the learner built, serving 2.0, with no drift; the reasons a learner reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lab.authoring import Change, CheckContext, Drift, HttpResult, Image
from lab.authoring.testing import FakeFleet
from tests.unit.checks.fakes import judge, server_info
from tests.unit.exercises.checks.helpers import exercise_context, holds

EXERCISE = "08-replace-dont-repair"
WEBS = ["web1", "web2", "web3", "web4"]
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
GOLDEN = "sha256:" + "8" * 64
LAB_SERVER = "sha256:" + "5" * 64
MINE = Image(GOLDEN, "lab-learner/app:v2", ("lab-learner/app:v2",))


def fleet(image_ids: dict[str, str], created: datetime, version: str = "2.0") -> FakeFleet:
    tags = {GOLDEN: ("lab-learner/app:v2",), LAB_SERVER: ("immutable-lab/server:latest",)}
    fake = FakeFleet(infos={
        server: server_info(server, created=created, image_id=image_id, tags=tags[image_id])
        for server, image_id in image_ids.items()})
    fake.pages = {(server, 80, "/version"): HttpResult(200, f"{version}\n") for server in WEBS}
    return fake


def context(fake: FakeFleet, drift: list[Drift]) -> CheckContext:
    return exercise_context(EXERCISE, fake, marks={"start": START}, images=lambda: [MINE],
                            drift=lambda servers: drift)


def test_a_fleet_replaced_by_the_golden_image_holds_every_goal() -> None:
    fake = fleet(dict.fromkeys(WEBS, GOLDEN), START + timedelta(minutes=5))
    ctx = context(fake, [Drift(server) for server in WEBS])
    assert all(holds(judge(ctx, index)) for index in range(4))
    assert judge(ctx, 1) == [(True, "web1, web2, web3, web4 all run lab-learner/app:v2 "
                                    "(888888888888), the image you built")]
    assert judge(ctx, 3) == [(True, "web1, web2, web3, web4: no change since their image "
                                    "(`lab drift` finds nothing)")]


def test_the_fleet_as_the_exercise_starts_fails_and_says_what_to_do() -> None:
    fake = fleet(dict.fromkeys(WEBS, LAB_SERVER), START - timedelta(minutes=1), "1.0")
    edited = Change("conffile-changed", "/etc/webapp/webapp.conf",
                    summary="conffile /etc/webapp/webapp.conf changed")
    ctx = context(fake, [Drift("web1"), Drift("web2"), Drift("web3", (edited,)), Drift("web4")])
    assert not judge(ctx, 0)[0][0]
    assert judge(ctx, 1) == [
        (False, "every server runs immutable-lab/server:latest (555555555555), not an image "
                "you built with `lab build`: `lab build v2`, then `lab deploy v2`")]
    assert judge(ctx, 3) == [
        (False, "web3: 1 change since its image: conffile /etc/webapp/webapp.conf changed")]


def test_a_fleet_half_replaced_names_both_images() -> None:
    images = {"web1": GOLDEN, "web2": GOLDEN, "web3": LAB_SERVER, "web4": LAB_SERVER}
    ctx = context(fleet(images, START + timedelta(minutes=5)), [])
    assert judge(ctx, 1) == [
        (False, "the fleet runs 2 different images: web1, web2 run lab-learner/app:v2 "
                "(888888888888); web3, web4 run immutable-lab/server:latest (555555555555): "
                "`lab build v2`, then `lab deploy v2`")]
