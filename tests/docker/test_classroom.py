"""A class on real engines: students are isolated from each other, the class's progress
follows their checks, one student is reset alone, and a roster spans two engines."""

from __future__ import annotations

import json
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docker.conftest import docker, remove_student
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

EXERCISE = "01-first-fleet"


@dataclass(frozen=True)
class Class:
    env: dict[str, str]
    students: tuple[str, str]

    def lab(self, *args: str, host: str | None = None) -> tuple[int, str, str]:
        env = {**self.env, **({"DOCKER_HOST": host} if host else {})}
        result = run_lab(*args, env=env, timeout=900)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result.returncode, result.stdout, result.stderr


def container_ids(student: str, host: str | None = None) -> dict[str, str]:
    """name -> id of the student's containers on the engine."""
    lines = docker("ps", "--all", "--filter", f"label=lab.student={student}",
                   "--format", "{{.Names}} {{.ID}}", host=host).splitlines()
    return dict(line.split() for line in lines if line)


def in_server(container: str, script: str) -> str:
    """What bash printed in the server (its image has bash, getent and `timeout`)."""
    return docker("exec", container, "bash", "-c", script, check=False)


def reaches(container: str, host: str, port: int) -> bool:
    said = in_server(container, f"timeout 3 bash -c 'echo > /dev/tcp/{host}/{port}' "
                                "2>/dev/null && echo REACHED || echo BLOCKED")
    return said == "REACHED"


def resolves(container: str, name: str) -> bool:
    return in_server(container, f"getent hosts {name} >/dev/null && echo FOUND") == "FOUND"


def address(container: str) -> str:
    return docker("inspect", "-f",
                  "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.Gateway}}{{end}}",
                  container)


def empty_tar(folder: Path) -> Path:
    path = folder / "empty.tar"
    with tarfile.open(path, "w"):
        pass
    return path


@pytest.fixture(scope="module")
def two_students(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Class]:
    """Two students of one class, each with exercise 01 started by `lab class start`."""
    home = tmp_path_factory.mktemp("class-home")
    tag = uuid.uuid4().hex[:6]
    students = (f"ca{tag}", f"cb{tag}")
    roster = home / "roster.txt"
    roster.write_text("# two students\n" + "\n".join(students) + "\n")
    session = Class({"LAB_HOME": str(home)}, students)
    try:
        assert session.lab("class", "init", str(roster))[0] == 0
        code, out, err = session.lab("class", "start", "01")
        assert code == 0, out + err
        assert out.count(f"{EXERCISE} is running") == 2
        yield session
    finally:
        for student in students:
            remove_student(student)


def test_two_students_on_one_engine_cannot_reach_each_others_servers(
        two_students: Class) -> None:
    alice, bob = two_students.students
    a_web1 = f"lab-{alice}-{EXERCISE}-web1"
    b_web1 = f"lab-{bob}-{EXERCISE}-web1"
    b_ip, _ = address(b_web1).split()
    _, a_gateway = address(a_web1).split()
    b_ssh_port = int(docker("port", b_web1, "22").splitlines()[0].rsplit(":", 1)[1])

    # Alice's own fleet: by name and over the network, as the exercises need.
    assert resolves(a_web1, "web2")
    assert reaches(a_web1, "web2", 22)
    # Bob's: no name resolves, his address does not answer, nor his published port via
    # the host (published ports bind to the host's 127.0.0.1 only).
    assert not resolves(a_web1, b_web1)
    assert not reaches(a_web1, b_ip, 22)
    assert not reaches(a_web1, b_ip, 80)
    assert not reaches(a_web1, a_gateway, b_ssh_port)
    # And the other way round.
    assert not reaches(b_web1, address(a_web1).split()[0], 22)


def test_class_status_and_check_follow_what_each_student_did(two_students: Class) -> None:
    alice, bob = two_students.students
    assert two_students.lab("--student", alice, "solve")[0] == 0
    assert two_students.lab("--student", alice, "check")[0] == 0

    code, out, _ = two_students.lab("class", "status", "--json")
    assert code == 0
    students = {row["student"]: row for row in json.loads(out)["students"]}
    assert students[alice]["exercises"][EXERCISE]["state"] == "done"
    assert students[alice]["exercises"][EXERCISE]["last_passed_at"]
    assert students[bob]["exercises"][EXERCISE]["state"] == "in progress"
    assert students[bob]["exercises"][EXERCISE]["last_passed_at"] is None

    code, out, err = two_students.lab("class", "check")
    assert code == 1  # bob has not passed
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith((alice, bob))}
    assert "passed" in rows[alice] and "4/4 goals hold" in rows[alice]
    assert "not passed" in rows[bob]
    assert "1 not passed yet" in err

    code, out, _ = two_students.lab("class", "status", "--csv")
    lines = {line.split(",")[0]: line.split(",") for line in out.splitlines()}
    header = lines["student"]
    column = header.index(EXERCISE)
    assert lines[alice][column] == "done" and lines[alice][column + 1]
    assert lines[bob][column] == "in progress"


def test_class_reset_of_one_student_leaves_the_other_alone(two_students: Class) -> None:
    alice, bob = two_students.students
    alices = container_ids(alice)
    assert len(alices) == 4 and len(container_ids(bob)) == 4

    code, out, err = two_students.lab("class", "reset", "--student", bob)
    assert code == 0, out + err
    assert bob in out and alice not in out
    assert f"removed every lab resource of {bob}: 4 containers" in out
    assert container_ids(bob) == {}
    assert container_ids(alice) == alices  # the same containers: untouched

    code, out, err = two_students.lab("class", "reset", "--progress")
    assert code == 0, out + err
    assert container_ids(alice) == {}
    code, out, _ = two_students.lab("class", "status", "--json")
    assert all(row["done"] == 0 for row in json.loads(out)["students"])
    code, out, err = two_students.lab("class", "stop")
    assert code == 0, out + err
    assert out.count("No exercise is started; nothing to stop.") == 2


def test_a_roster_over_two_engines_starts_and_resets_on_both(
        tmp_path: Path, second_engine: str) -> None:
    home = tmp_path / "home"
    tag = uuid.uuid4().hex[:6]
    here, there = f"e1{tag}", f"e2{tag}"
    roster = tmp_path / "class.yaml"
    roster.write_text(f"students:\n  - name: {here}\n  - name: {there}\n"
                      f"    engine: {second_engine}\n")
    session = Class({"LAB_HOME": str(home)}, (here, there))
    bundle = tmp_path / "classroom.tar"
    try:
        assert session.lab("images", "save", str(bundle))[0] == 0
        assert session.lab("class", "init", str(roster))[0] == 0
        code, out, err = session.lab("class", "prepare", "--bundle", str(bundle))
        assert code == 0, out + err
        assert out.count("root, base, server, repo, lb present") == 2

        code, out, err = session.lab("class", "start", "01")
        assert code == 0, out + err
        assert len(container_ids(here)) == 4 and container_ids(here, second_engine) == {}
        assert len(container_ids(there, second_engine)) == 4 and container_ids(there) == {}
        assert second_engine in out

        # A classroom machine between classes: everything lab-made on that engine goes,
        # also a student no roster names any more; what the lab did not make stays.
        docker("run", "-d", "--label", "lab.managed=true", "--label", "lab.container=true",
               "--label", f"lab.student=gh{tag}", "immutable-lab/base:latest", "sleep", "600",
               host=second_engine)
        docker("import", "--change", 'CMD ["/nothing"]', str(empty_tar(tmp_path)),
               f"someone-else:{tag}", host=second_engine)
        docker("create", "--name", f"not-lab-{tag}", f"someone-else:{tag}", host=second_engine)
        # Someone's own container from a lab image: it inherits the image's lab.managed
        # label, but the lab did not make it.
        docker("create", "--name", f"own-{tag}", "immutable-lab/base:latest", "true",
               host=second_engine)
        code, out, err = session.lab("reset", "--all", "--everyone", "--progress",
                                     host=second_engine)
        assert code == 0, out + err
        assert container_ids(there, second_engine) == {}
        assert container_ids(f"gh{tag}", second_engine) == {}
        assert docker("ps", "-aq", "--filter", f"name=not-lab-{tag}", host=second_engine)
        assert docker("ps", "-aq", "--filter", f"name=own-{tag}", host=second_engine)
        assert len(container_ids(here)) == 4  # another engine: untouched

        code, out, err = session.lab("class", "reset")
        assert code == 0, out + err
        assert container_ids(here) == {} and container_ids(there, second_engine) == {}
    finally:
        remove_student(here)  # the second engine goes away with its fixture
