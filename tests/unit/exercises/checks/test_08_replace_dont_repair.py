"""08-replace-dont-repair's checks on a scripted fleet: every server replaced since the start,
on one image the learner built, serving 2.0, with web3's hand fix baked in and no drift; the
reasons a learner reads."""

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
CONFFILE = "/etc/webapp/webapp.conf"
PACKAGED = "# webapp's settings.\nlisten = 127.0.0.1:8080\nworkers = 2\n"
FIXED = PACKAGED.replace("workers = 2", "workers = 8")
REPLACED, SAME_IMAGE, PAGE, FIX, NO_DRIFT = range(5)


def fleet(image_ids: dict[str, str], created: datetime, version: str = "2.0",
          conffile: str = FIXED) -> FakeFleet:
    tags = {GOLDEN: ("lab-learner/app:v2",), LAB_SERVER: ("immutable-lab/server:latest",)}
    fake = FakeFleet(infos={
        server: server_info(server, created=created, image_id=image_id, tags=tags[image_id])
        for server, image_id in image_ids.items()})
    fake.pages = {(server, 80, "/version"): HttpResult(200, f"{version}\n") for server in WEBS}
    for server in WEBS:
        fake.file(server, CONFFILE, conffile)
    return fake


def context(fake: FakeFleet, drift: list[Drift]) -> CheckContext:
    return exercise_context(EXERCISE, fake, marks={"start": START}, images=lambda: [MINE],
                            drift=lambda servers: drift)


def test_a_fleet_replaced_by_the_golden_image_holds_every_goal() -> None:
    fake = fleet(dict.fromkeys(WEBS, GOLDEN), START + timedelta(minutes=5))
    ctx = context(fake, [Drift(server) for server in WEBS])
    assert all(holds(judge(ctx, index)) for index in range(5))
    assert judge(ctx, SAME_IMAGE) == [(True, "web1, web2, web3, web4 all run lab-learner/app:v2 "
                                    "(888888888888), the image you built")]
    assert judge(ctx, FIX) == [(True, "web1, web2, web3, web4: workers = 8 in "
                                      "/etc/webapp/webapp.conf, web3's fix, on every server")]
    assert judge(ctx, NO_DRIFT) == [(True, "web1, web2, web3, web4: no change since their image "
                                    "(`lab drift` finds nothing)")]


def test_the_fleet_as_the_exercise_starts_fails_and_says_what_to_do() -> None:
    fake = fleet(dict.fromkeys(WEBS, LAB_SERVER), START - timedelta(minutes=1), "1.0",
                 conffile=PACKAGED)
    fake.file("web3", CONFFILE, PACKAGED + "workers = 8\n")
    edited = Change("conffile-changed", "/etc/webapp/webapp.conf",
                    summary="conffile /etc/webapp/webapp.conf changed")
    ctx = context(fake, [Drift("web1"), Drift("web2"), Drift("web3", (edited,)), Drift("web4")])
    assert not judge(ctx, REPLACED)[0][0]
    assert judge(ctx, SAME_IMAGE) == [
        (False, "every server runs immutable-lab/server:latest (555555555555), not an image "
                "you built with `lab build`: `lab build v2`, then `lab deploy v2`")]
    [(ok, fix)] = judge(ctx, FIX)
    assert not ok
    assert fix.startswith("web1: workers = 2; web2: workers = 2; web4: workers = 2. web3's fix ")
    assert judge(ctx, NO_DRIFT) == [
        (False, "web3: 1 change since its image: conffile /etc/webapp/webapp.conf changed")]


def test_a_fleet_half_replaced_names_both_images() -> None:
    images = {"web1": GOLDEN, "web2": GOLDEN, "web3": LAB_SERVER, "web4": LAB_SERVER}
    ctx = context(fleet(images, START + timedelta(minutes=5)), [])
    assert judge(ctx, SAME_IMAGE) == [
        (False, "the fleet runs 2 different images: web1, web2 run lab-learner/app:v2 "
                "(888888888888); web3, web4 run immutable-lab/server:latest (555555555555): "
                "`lab build v2`, then `lab deploy v2`")]


def test_the_shortcut_a_uniform_fleet_without_the_fix_is_told_where_the_fix_belongs() -> None:
    fake = fleet(dict.fromkeys(WEBS, GOLDEN), START + timedelta(minutes=5), conffile=PACKAGED)
    fake.file("web4", CONFFILE, "listen = 127.0.0.1:8080\n")
    ctx = context(fake, [Drift(server) for server in WEBS])
    assert all(holds(judge(ctx, index)) for index in (REPLACED, SAME_IMAGE, PAGE, NO_DRIFT))
    assert judge(ctx, FIX) == [
        (False, "web1: workers = 2; web2: workers = 2; web3: workers = 2; web4: no workers in "
                "/etc/webapp/webapp.conf. web3's fix from the outage (workers = 8 in "
                "/etc/webapp/webapp.conf) is not on every server: replacing a server throws "
                "away what was done to it by hand, so a fix worth keeping belongs in the "
                "image. Set it in your Dockerfile, then `lab build v2` and `lab deploy v2`")]


def test_the_last_workers_line_is_the_one_webapp_reads() -> None:
    fake = fleet(dict.fromkeys(WEBS, GOLDEN), START + timedelta(minutes=5),
                 conffile=FIXED + "workers = 2\n")
    [(ok, reason)] = judge(context(fake, []), FIX)
    assert not ok and reason.startswith("web1: workers = 2;")
