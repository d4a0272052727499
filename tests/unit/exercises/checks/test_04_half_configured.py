"""04-half-configured's check: each server's /version page against the webapp dpkg has."""

from __future__ import annotations

from lab.authoring import HttpResult
from lab.authoring.testing import FakeFleet
from tests.helpers import load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "04-half-configured"
CHECKS = load_exercise_checks(EXERCISE)
WEBS = ("web1", "web2", "web3", "web4", "web5")


def fleet(**pages: HttpResult | OSError) -> FakeFleet:
    fake = FakeFleet().when("dpkg-query", stdout="ii |webapp|2.0.1\n")
    fake.pages = {(server, 80, "/version"): page for server, page in pages.items()}
    return fake


def test_every_server_serving_the_installed_version_passes() -> None:
    fake = fleet(**dict.fromkeys(WEBS, HttpResult(200, "2.0.1\n")))
    assert CHECKS.page_matches_package(exercise_context(EXERCISE, fake)) == [
        (True, f"{server}: serves webapp 2.0.1, the version dpkg has installed")
        for server in WEBS]


def test_a_half_configured_server_still_serving_the_old_page_is_named() -> None:
    fake = fleet(web1=HttpResult(200, "2.0.1\n"), web2=HttpResult(200, "1.0\n"),
                 web3=ConnectionRefusedError("refused"))
    fake.when("dpkg-query", stdout="iF |webapp|2.0\n", server="web2")
    ctx = exercise_context(EXERCISE, fake, servers=WEBS[:3])
    assert CHECKS.page_matches_package(ctx) == [
        (True, "web1: serves webapp 2.0.1, the version dpkg has installed"),
        (False, "web2: the page serves version 1.0, but dpkg has webapp 2.0, half-configured "
                "(its postinst failed)"),
        (False, "web3: nothing answers GET /version on port 80 (refused)"),
    ]


def test_a_server_without_webapp_says_so() -> None:
    fake = fleet(**dict.fromkeys(WEBS, HttpResult(200, "2.0.1\n")))
    fake.when("dpkg-query", exit_code=1, server="web3",
              stderr="dpkg-query: no packages found matching webapp\n")
    verdicts = CHECKS.page_matches_package(exercise_context(EXERCISE, fake))
    assert verdicts[2] == (False, "web3: webapp is not installed")
