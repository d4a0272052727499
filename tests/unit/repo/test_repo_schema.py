"""exercise.yaml's repository fields: publish, provision and faults, and their mistakes by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.exercises.loader import load_exercise
from lab.exercises.problems import ExerciseError
from lab.repo.specs import FlakyRepoSpec, HandEditSpec, PackageRef, RepoDownSpec, parse_ref
from tests.unit.exercises.builders import write_exercise

SHARED_PACKAGES = Path(__file__).resolve().parents[3] / "exercises" / "packages"

HEADER = """\
format_version: 1
id: 02-demo
title: Demo
summary: A demo.
servers:
  - {name: web, count: 3}
checks:
  - {kind: package, goal: g, name: webapp}
"""


@pytest.fixture
def exercises(tmp_path: Path) -> Path:
    """An exercises folder with the lab's shared package sources beside the exercise."""
    (tmp_path / "packages").symlink_to(SHARED_PACKAGES)
    return tmp_path


def problems(folder: Path) -> list[str]:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(folder)
    return [line.split("exercise.yaml", 1)[1] for line in caught.value.line().splitlines()]


def test_the_whole_story_loads(exercises: Path) -> None:
    folder = write_exercise(exercises, "02-demo", HEADER + """\
publish: [webapp 1.0, libwebapp 1.0, webapp 2.0]
provision:
  - install: [webapp=1.0]
    servers: [web1, web2]
  - publish: [libwebapp 1.1]
  - install: [webapp=1.0]
    servers: [web3]
faults:
  - kind: repo-down
    servers: [web3]
    after: {fetched: webapp 2.0, count: 2}
  - kind: flaky-repo
    percent: 30
  - kind: hand-edit
    servers: [web2]
    describe: conffile /etc/webapp/webapp.conf edited
    run: echo 'workers = 8' >> /etc/webapp/webapp.conf
  - kind: hold
    servers: [web3]
    package: libwebapp
""")
    spec = load_exercise(folder).spec
    assert spec.publish[0] == PackageRef("webapp", "1.0")
    assert spec.ever_published() == [PackageRef("webapp", "1.0"), PackageRef("libwebapp", "1.0"),
                                     PackageRef("webapp", "2.0"), PackageRef("libwebapp", "1.1")]
    down, flaky, edit, _ = spec.faults
    assert isinstance(down, RepoDownSpec) and down.after is not None
    assert (down.after.fetched, down.after.count) == (PackageRef("webapp", "2.0"), 2)
    assert isinstance(flaky, FlakyRepoSpec) and flaky.target_servers is None
    assert isinstance(edit, HandEditSpec) and edit.describe.startswith("conffile")


def test_an_exercise_without_the_new_fields_is_unchanged(exercises: Path) -> None:
    spec = load_exercise(write_exercise(exercises, "02-demo", HEADER)).spec
    assert (spec.repository, spec.publish, spec.provision, spec.faults) == (True, (), (), ())


def test_shape_mistakes_point_at_their_lines(exercises: Path) -> None:
    folder = write_exercise(exercises, "02-demo", HEADER + """\
publish: [webapp 1.0, "webapp=2.0"]
provision:
  - install: [webapp=1.0]
    publish: [libwebapp 1.1]
  - instal: [webapp]
faults:
  - kind: flaky
    percent: 30
  - kind: flaky-repo
    percent: 100
  - kind: hand-edit
    run: touch /etc/x
    after: {fetched: webapp 1.0}
  - servers: [web1]
""")
    assert problems(folder) == [
        ":9: publish[1]: write a package as 'NAME VERSION', like 'webapp 1.0'",
        ":11: provision[0]: give exactly one of 'install', 'publish' or 'withdraw' per step",
        ":13: provision[1].instal: unknown field; did you mean 'install'?",
        ":15: faults[0].kind: unknown fault kind 'flaky'; did you mean 'flaky-repo'? known "
        "kinds: repo-down, flaky-repo, publish, withdraw, hand-edit, hold",
        ":18: faults[1].percent: input should be less than or equal to 99 (found 100)",
        ":19: faults[2].describe: required field is missing",
        ":21: faults[2].after: unknown field; known fields here: servers, describe, run",
        ":22: faults[3]: 'kind' is missing; it is one of repo-down, flaky-repo, publish, "
        "withdraw, hand-edit, hold",
    ]


def test_consistency_mistakes_point_at_their_lines(exercises: Path) -> None:
    folder = write_exercise(exercises, "02-demo", HEADER + """\
publish: [webapp 1.0, webapp 9.9]
provision:
  - install: [webapp]
    servers: [web4]
faults:
  - kind: publish
    packages: [webapp 2.1]
    after: {fetched: webapp 2.0, count: 4}
  - kind: hold
    servers: [db]
    package: libwebapp
  - kind: withdraw
    packages: [libwebapp 1.0]
""")
    assert problems(folder) == [
        ":9: publish[1]: no source for webapp 9.9: expected the folder packages/webapp/9.9/ "
        "in the exercise or beside it",
        ":12: provision[0].servers[0]: unknown server 'web4'; this exercise has web1, web2, web3",
        ":16: faults[0].after.fetched: webapp 2.0 is never published, so this fault would "
        "never happen; publish it first",
        ":16: faults[0].after.count: this exercise has only 3 servers to fetch it",
        ":18: faults[1].servers[0]: unknown server 'db'; this exercise has web1, web2, web3",
        ":21: faults[2].packages[0]: libwebapp 1.0 is never published, so it cannot be "
        "withdrawn",
    ]


def test_repository_steps_need_the_repository(exercises: Path) -> None:
    folder = write_exercise(exercises, "02-demo", HEADER + """\
repository: false
faults:
  - {kind: repo-down}
""")
    assert problems(folder) == [
        ":9: repository: publish, provision and repository faults need the lab's repository; "
        "set 'repository: true'"
    ]


def test_hand_edits_alone_need_no_repository(exercises: Path) -> None:
    folder = write_exercise(exercises, "02-demo", HEADER + """\
repository: false
faults:
  - {kind: hand-edit, describe: motd changed, run: echo hi > /etc/motd}
""")
    assert load_exercise(folder).spec.repository is False


@pytest.mark.parametrize(("text", "message"), [
    ("webapp", "write a package as 'NAME VERSION'"),
    ("webapp 1.0 2.0", "write a package as 'NAME VERSION'"),
    ("Webapp 1.0", "is not a Debian package name"),
    ("webapp v1", "is not a Debian version"),
])
def test_a_package_is_a_name_and_a_version(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ref(text)
    assert parse_ref("webapp 2.0.1") == PackageRef("webapp", "2.0.1")
    assert str(parse_ref("libwebapp 1:1.1")) == "libwebapp 1:1.1"
