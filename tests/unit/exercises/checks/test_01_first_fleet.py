"""01-first-fleet's checks (all declarative) on a scripted fleet: what a solved fleet shows,
and the line a learner reads for a server left behind."""

from __future__ import annotations

from lab.authoring.testing import FakeFleet
from tests.unit.checks.fakes import judge
from tests.unit.exercises.checks.helpers import exercise_context, holds

EXERCISE = "01-first-fleet"
MOTD = "Managed by immutable-lab\n"
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  /etc/motd\n"


def solved() -> FakeFleet:
    return (FakeFleet().when("dpkg-query", stdout="ii |tree|2.1.0-1\n")
            .when("tree --version", stdout="tree v2.1.0\n")
            .when("stat", stdout="644 regular file\n").when("cat --", stdout=MOTD)
            .when("sha256sum", stdout=DIGEST))


def test_a_solved_fleet_holds_every_goal() -> None:
    ctx = exercise_context(EXERCISE, solved())
    assert all(holds(judge(ctx, index)) for index in range(len(ctx.spec.checks)))


def test_a_server_without_tree_is_named_with_what_dpkg_says() -> None:
    fake = solved().when("dpkg-query", exit_code=1, server="web2",
                         stderr="dpkg-query: no packages found matching tree\n")
    fake.when("tree --version", exit_code=127, stderr="sh: 1: tree: not found", server="web2")
    ctx = exercise_context(EXERCISE, fake)
    assert judge(ctx, 0)[1] == (False, "web2: tree is not installed (dpkg: no such package)")
    assert judge(ctx, 1)[1] == (
        False, "web2: `tree --version` exited with 127, expected 0 (sh: 1: tree: not found)")


def test_a_hand_edited_motd_differs_from_the_others() -> None:
    fake = solved().when("sha256sum", stdout="0" * 64 + "  /etc/motd\n", server="web3")
    verdicts = judge(exercise_context(EXERCISE, fake), 3)
    assert verdicts[2] == (False, "web3: `sha256sum /etc/motd` differs from web1, web2: "
                                  f"expected '{DIGEST[:39]}…', found '{'0' * 39}…'")
    assert verdicts[0][0]
