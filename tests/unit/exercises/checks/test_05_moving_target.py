"""05-moving-target's check: what the next unpinned `apt-get install webapp` would do on each
server, simulated, and the reasons a learner reads when it would not keep 2.0."""

from __future__ import annotations

from lab.authoring import ExecResult
from lab.authoring.testing import FakeFleet
from tests.helpers import load_exercise_checks
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "05-moving-target"
CHECKS = load_exercise_checks(EXERCISE)
WEBS = ["web1", "web2", "web3", "web4"]

# `apt-cache policy webapp` as a server that reads the lab's repository prints it (pinned).
POLICY = """webapp:
  Installed: 2.0
  Candidate: 2.0
  Version table:
     2.1 500
        500 http://repo ./ Packages
 *** 2.0 1001
        500 http://repo ./ Packages
        100 /var/lib/dpkg/status
"""
# ... and as a server whose sources list was deleted prints it: dpkg's record alone.
NO_SOURCES = """webapp:
  Installed: 2.0
  Candidate: 2.0
  Version table:
 *** 2.0 100
        100 /var/lib/dpkg/status
"""
KEEPS_2_0 = POLICY + "Reading package lists...\nwebapp is already the newest version (2.0).\n"
UPGRADES = POLICY + "Inst webapp [2.0] (2.1 repo [all])\nConf webapp (2.1 repo [all])\n"
DOWNGRADES = POLICY + ("The following packages will be DOWNGRADED:\n  webapp\n"
                       "Inst webapp [2.1] (2.0 repo [all])\n")
HELD = POLICY + ("The following held packages will be changed:\n  webapp\n"
                 "Inst webapp [2.0] (2.1 repo [all])\n")


def simulated(**outputs: str) -> FakeFleet:
    fake = FakeFleet()
    for server, stdout in outputs.items():
        fake.when("--simulate webapp", stdout=stdout, server=server)
    return fake


def test_a_pinned_fleet_keeps_its_version() -> None:
    fake = simulated(**dict.fromkeys(WEBS, KEEPS_2_0))
    assert CHECKS.next_install_keeps_the_pin(exercise_context(EXERCISE, fake)) == [
        (True, "web1, web2, web3, web4: `apt-get install webapp` keeps 2.0, even with newer "
               "releases in the repository")]
    assert "Dir::State::Lists=" in fake.calls[0][1], "apt reads a throwaway index"


def test_servers_with_the_same_problem_are_named_together() -> None:
    fake = simulated(web1=UPGRADES, web2=UPGRADES, web3=KEEPS_2_0.replace("2.0", "2.1"),
                     web4=DOWNGRADES)
    assert CHECKS.next_install_keeps_the_pin(exercise_context(EXERCISE, fake)) == [
        (False, "web1, web2: the next `apt-get install webapp` would move webapp from 2.0 "
                "to 2.1: nothing pins 2.0"),
        (False, "web3: the next install keeps webapp 2.1, expected 2.0"),
        (False, "web4: webapp 2.1 is installed, not 2.0 (the next `apt-get install webapp` "
                "would install 2.0)"),
    ]


def test_a_hold_is_told_apart_from_a_pin() -> None:
    problem = CHECKS.next_install_problem(ExecResult(0, HELD))
    assert problem.endswith("it is held, so `apt-get install -y` would stop with an error "
                            "instead: a hold is not a pin")


def test_apt_failing_is_reported_with_its_last_line() -> None:
    problem = CHECKS.next_install_problem(
        ExecResult(100, "", "W: something\nE: Unable to locate package webapp\n"))
    assert problem == ("cannot ask apt what it would install "
                       "(exit 100: E: Unable to locate package webapp)")


def test_a_server_without_webapp_would_install_it() -> None:
    problem = CHECKS.next_install_problem(
        ExecResult(0, POLICY + "Inst webapp (2.1 repo [all])\n"))
    assert problem == "webapp is not installed; the next `apt-get install webapp` would install 2.1"


def test_a_server_that_sees_no_repository_does_not_pass_for_pinned() -> None:
    keeps = NO_SOURCES + "webapp is already the newest version (2.0).\n"
    fake = simulated(**dict.fromkeys(WEBS[:3], KEEPS_2_0), web4=keeps)
    assert CHECKS.next_install_keeps_the_pin(exercise_context(EXERCISE, fake)) == [
        (False, "web4: apt sees no repository (`apt-cache policy webapp` lists only "
                "/var/lib/dpkg/status): with its sources gone nothing can move webapp, but "
                "nothing can be installed or fixed either; put "
                "/etc/apt/sources.list.d/lab.list back (copy it from another server) and "
                "pin 2.0 instead")]


def test_the_versions_a_repository_offers_are_read_from_the_policy() -> None:
    assert CHECKS.repository_versions(POLICY) == {"2.1", "2.0"}
    assert CHECKS.repository_versions(NO_SOURCES) == set()
