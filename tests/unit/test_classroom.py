"""A class without an engine: rosters and their mistakes, the engines students work on, and the
class's progress matrix. How a class-wide command adds up its students' results is in
test_classroom_runs.py."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab.classroom import everyone, standings
from lab.classroom.engines import LOCAL, check_engine, engine_environment
from lab.classroom.roster import Roster, Student, load_roster, save_roster, saved_roster
from lab.errors import StateError, UsageError
from lab.progress import Progress, ProgressStore
from lab.settings import Settings
from tests.helpers import assert_one_line_error, run_lab

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- rosters ----------------------------------------------------------------------------


def test_a_plain_roster_is_names_one_a_line_with_comments(tmp_path: Path) -> None:
    roster = load_roster(write(tmp_path, "class.txt", (
        "# morning group\nalice\n\n  bob   # back row\ncarol-2\n")))
    assert roster.names() == ["alice", "bob", "carol-2"]
    assert {roster.engine_of(s) for s in roster.students} == {LOCAL}


@pytest.mark.parametrize(("text", "line", "words"), [
    ("alice\nBob\n", 2, "student name 'Bob' is not valid"),
    ("alice\nbob\n# x\nalice\n", 4, "alice is listed twice (first on line 1)"),
    ("alice bob\n", 1, "'alice bob' is more than one name"),
])
def test_a_bad_plain_roster_names_the_file_and_line(tmp_path: Path, text: str, line: int,
                                                   words: str) -> None:
    path = write(tmp_path, "class.txt", text)
    with pytest.raises(UsageError) as caught:
        load_roster(path)
    assert caught.value.message.startswith(f"{path}:{line}: ")
    assert words in caught.value.message


def test_an_empty_roster_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="names no student"):
        load_roster(write(tmp_path, "class.txt", "# nobody yet\n"))


def test_a_yaml_roster_places_students_on_engines(tmp_path: Path) -> None:
    roster = load_roster(write(tmp_path, "class.yaml", (
        "engine: unix:///run/other.sock\n"
        "students:\n"
        "  - name: alice\n"
        "    engine: ssh://teacher@lab2\n"
        "  - name: bob\n"
        "  - carol\n"
        "  - {name: dave, engine: context:lab3}\n"
        "  - {name: erin, engine: local}\n")))
    assert [(s.name, roster.engine_of(s)) for s in roster.students] == [
        ("alice", "ssh://teacher@lab2"), ("bob", "unix:///run/other.sock"),
        ("carol", "unix:///run/other.sock"), ("dave", "context:lab3"),
        ("erin", "unix:///run/other.sock")]
    assert list(roster.by_engine()) == ["ssh://teacher@lab2", "unix:///run/other.sock",
                                        "context:lab3"]


def test_yaml_is_recognised_without_the_suffix(tmp_path: Path) -> None:
    roster = load_roster(write(tmp_path, "roster", "students: [alice, bob]\n"))
    assert roster.names() == ["alice", "bob"]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("students:\n  - name: alice\n  - name: Alice\n", 3, "'Alice' is not valid"),
    ("students:\n  - alice\n  - name: alice\n", 3, "alice is listed twice (first on line 2)"),
    ("students:\n  - name: alice\n    engine: http://x\n", 2, "'http://x' is not a Docker engine"),
    ("engine: docker.example\nstudents: [alice]\n", 1, "is not a Docker engine"),
    ("students:\n  - name: alice\n    seat: 3\n", 3, "unknown key 'seat'"),
    ("teachers: [x]\n", 1, "unknown key 'teachers'"),
    ("students: alice\n", 1, "`students:` must be a list"),
    ("students:\n  - engine: tcp://h:2376\n", 2, "a student without a name"),
    ("students:\n  - [alice]\n", 2, "a student is a name or"),
    ("students: [alice\n", 2, "not valid YAML"),
])
def test_a_bad_yaml_roster_names_the_file_and_line(tmp_path: Path, text: str, line: int,
                                                  words: str) -> None:
    path = write(tmp_path, "class.yaml", text)
    with pytest.raises(UsageError) as caught:
        load_roster(path)
    assert caught.value.message.startswith(f"{path}:{line}: "), caught.value.message
    assert words in caught.value.message


@pytest.mark.parametrize("engine", [
    "unix:///var/run/docker.sock", "tcp://10.0.0.5:2376", "ssh://teacher@lab2",
    "ssh://teacher@lab2:2222", "npipe:////./pipe/docker_engine", "context:classroom-2"])
def test_engine_forms_that_are_accepted(engine: str) -> None:
    assert check_engine(engine) == engine


@pytest.mark.parametrize("engine", ["lab2", "tcp://", "http://lab2", "context:", "context:a b"])
def test_engine_forms_that_are_refused(engine: str) -> None:
    with pytest.raises(UsageError, match="is not a Docker engine"):
        check_engine(engine)


def test_a_saved_roster_reads_back_the_same(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", student="learner")
    roster = Roster((Student("alice", "ssh://t@lab2"), Student("bob")), "tcp://lab1:2376")
    path = save_roster(settings, roster)
    assert path == tmp_path / "home" / "class.yaml"
    assert saved_roster(settings) == roster


def test_without_a_saved_class_the_remedy_is_init(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        saved_roster(Settings(home=tmp_path, student="learner"))
    assert "lab class init ROSTER" in caught.value.line()


def test_only_picks_students_and_refuses_strangers() -> None:
    roster = Roster((Student("alice"), Student("bob"), Student("carol")))
    assert roster.only(["carol", "alice"]).names() == ["alice", "carol"]
    assert roster.only([]) is roster
    with pytest.raises(UsageError, match="'zed' is not in the class"):
        roster.only(["zed"])


# --- engines ----------------------------------------------------------------------------


def test_an_engine_url_becomes_docker_host() -> None:
    assert engine_environment("ssh://t@lab2") == {"DOCKER_HOST": "ssh://t@lab2"}
    assert engine_environment(LOCAL) == {}


def _context(config: Path, name: str, host: str, *, tls: bool = False) -> None:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps(
        {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host,
                                                                 "SkipTLSVerify": False}}}))
    if tls:
        folder = config / "contexts" / "tls" / digest / "docker"
        folder.mkdir(parents=True)
        for file in ("ca.pem", "cert.pem", "key.pem"):
            (folder / file).write_text("-----BEGIN-----\n")


def test_a_docker_context_is_read_from_the_docker_config(tmp_path: Path) -> None:
    _context(tmp_path, "lab2", "ssh://teacher@lab2")
    _context(tmp_path, "secure", "tcp://lab3:2376", tls=True)
    environ = {"DOCKER_CONFIG": str(tmp_path)}
    plain = engine_environment("context:lab2", environ)
    assert plain == {"DOCKER_HOST": "ssh://teacher@lab2", "DOCKER_TLS_VERIFY": None,
                     "DOCKER_CERT_PATH": None, "DOCKER_CONTEXT": None}
    secure = engine_environment("context:secure", environ)
    assert secure["DOCKER_HOST"] == "tcp://lab3:2376"
    assert secure["DOCKER_TLS_VERIFY"] == "1"
    assert Path(str(secure["DOCKER_CERT_PATH"])).joinpath("cert.pem").is_file()
    with pytest.raises(UsageError, match="there is no Docker context 'gone'"):
        engine_environment("context:gone", environ)


# --- the class's progress ---------------------------------------------------------------


def _progress(home: Path, student: str, progress: Progress) -> None:
    ProgressStore.of(Settings(home=home, student=student)).save(progress)


def test_the_matrix_reads_each_students_progress_file(tmp_path: Path) -> None:
    ids = ["01-first-fleet", "02-snowflakes", "03-upgrade"]
    _progress(tmp_path, "alice", Progress()
              .started("01-first-fleet", T0).checked("01-first-fleet", True, T0)
              .checked("01-first-fleet", False, T0 + timedelta(minutes=5))
              .checked("01-first-fleet", True, T0 + timedelta(minutes=9))
              .started("02-snowflakes", T0 + timedelta(minutes=10))
              .solution_run("02-snowflakes", T0 + timedelta(minutes=11)))
    (tmp_path / "students" / "carol").mkdir(parents=True)
    (tmp_path / "students" / "carol" / "progress.json").write_text("{not json")
    roster = Roster((Student("alice"), Student("bob"), Student("carol")))

    rows = standings.standings(Settings(home=tmp_path, student="learner"), roster, ids)
    alice, bob, carol = rows
    assert [alice.cells[i].state for i in ids] == ["done", "in progress", "not started"]
    assert alice.cells["01-first-fleet"].last_passed_at == T0 + timedelta(minutes=9)
    assert alice.cells["01-first-fleet"].attempts == 3
    assert (alice.done, alice.current) == (1, "02-snowflakes")
    assert [bob.cells[i].state for i in ids] == ["not started"] * 3 and not bob.problem
    assert "not a progress file" in carol.problem
    assert (tmp_path / "students" / "carol" / "progress.json").read_text() == "{not json"

    document = standings.standings_json(rows, ids)
    assert document["students"][0]["exercises"]["01-first-fleet"] == {
        "state": "done", "last_passed_at": "2025-03-01T09:09:00+00:00",
        "last_check_at": "2025-03-01T09:09:00+00:00", "attempts": 3, "solution_used": False}
    assert document["students"][0]["exercises"]["02-snowflakes"]["solution_used"] is True
    lines = standings.standings_csv(rows, ids).splitlines()
    assert lines[0] == ("student,engine,done,"
                        "01-first-fleet,01-first-fleet last passed,01-first-fleet lab solve,"
                        "02-snowflakes,02-snowflakes last passed,02-snowflakes lab solve,"
                        "03-upgrade,03-upgrade last passed,03-upgrade lab solve")
    assert lines[1] == ("alice,local,1,done,2025-03-01T09:09:00+00:00,,in progress,,yes,"
                        "not started,,")


def test_class_status_through_the_cli_needs_no_engine(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"LAB_HOME": str(home), "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    missing = run_lab("class", "status", env=env)
    assert "lab class init" in assert_one_line_error(missing, exit_code=5)

    roster = write(tmp_path, "class.txt", "alice\nbob\n")
    assert run_lab("class", "init", str(roster), env=env).returncode == 0
    _progress(home, "bob", Progress().started("01-first-fleet", T0)
              .solution_run("01-first-fleet", T0).checked("01-first-fleet", True, T0))
    shown = run_lab("class", "status", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    students = {row["student"]: row for row in json.loads(shown.stdout)["students"]}
    assert students["bob"]["exercises"]["01-first-fleet"]["state"] == "done"
    assert students["alice"]["exercises"]["01-first-fleet"]["state"] == "not started"
    table = run_lab("class", "status", env=env)
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()
            if line.startswith(("alice", "bob"))}
    assert "✓*" in rows["bob"] and "1/" in rows["bob"] and "01 at " in rows["bob"]
    assert "✓" not in rows["alice"] and "*" not in rows["alice"] and "0/" in rows["alice"]
    assert "* `lab solve` used" in table.stdout  # the legend says what the star means


def test_init_refuses_a_bad_roster_in_one_line(tmp_path: Path) -> None:
    roster = write(tmp_path, "class.txt", "alice\nalice\n")
    result = run_lab("class", "init", str(roster), env={"LAB_HOME": str(tmp_path / "h")})
    line = assert_one_line_error(result, exit_code=3)
    assert f"{roster}:2: alice is listed twice" in line
    assert not (tmp_path / "h" / "class.yaml").exists()


def test_known_students_are_the_valid_folders(tmp_path: Path) -> None:
    for name in ("alice", "bob", "Not-A-Student"):
        (tmp_path / "students" / name).mkdir(parents=True)
    (tmp_path / "students" / "carol").write_text("a file, not a student")
    assert everyone.known_students(tmp_path) == ["alice", "bob"]


# --- many students on one engine --------------------------------------------------------


def test_students_do_not_wait_for_each_others_lock(tmp_path: Path) -> None:
    from lab.locking import NOTICE_AFTER, state_lock

    alice = Settings(home=tmp_path, student="alice")
    bob = Settings(home=tmp_path, student="bob")
    waits: list[str] = []
    with state_lock(alice, waits.append):
        started = time.monotonic()
        with state_lock(bob, waits.append):
            pass
        assert time.monotonic() - started < NOTICE_AFTER
        assert waits == []

        def alice_again() -> None:
            with state_lock(alice, waits.append):
                pass

        other = threading.Thread(target=alice_again)
        other.start()
        other.join(timeout=NOTICE_AFTER * 3)
        assert other.is_alive()  # alice's second command waits for her first
    other.join(timeout=5)
    assert waits and "alice's lab" in waits[0]


class _FakeEngine:
    """create_network as a stock engine whose default pools are used up answers it."""

    def __init__(self, taken: list[str]) -> None:
        self.taken = taken
        self.tried: list[str] = []

    def networks(self, **_: object) -> list[dict[str, object]]:
        return [{"Name": f"n{i}", "IPAM": {"Config": [{"Subnet": subnet}]}}
                for i, subnet in enumerate(self.taken)]

    def create_network(self, name: str, **options: object) -> dict[str, str]:
        from lab.docker.sdk import APIError

        ipam = options.get("ipam")
        if ipam is None:
            raise APIError("could not find an available, non-overlapping IPv4 address pool "
                           "among the defaults to assign to the network")
        subnet = ipam["Config"][0]["Subnet"]  # type: ignore[index]
        self.tried.append(subnet)
        if len(self.tried) == 1:  # another student's network took it a moment ago
            raise APIError("Pool overlaps with other one on this address space")
        return {"Id": f"id-of-{name}"}


def test_past_the_default_pools_a_network_takes_a_spare_slash_24(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import ipaddress

    from lab.docker import containers

    engine = _FakeEngine(["172.17.0.0/16", "198.18.0.0/24", "198.19.255.0/24"])
    monkeypatch.setattr(containers, "api", lambda *_: engine)
    assert containers.ensure_network("lab-alice-01", {"lab.managed": "true"}) == \
        "id-of-lab-alice-01"
    spare = ipaddress.ip_network(containers.SPARE_RANGE)
    assert len(engine.tried) == 2 and engine.tried[0] != engine.tried[1]
    for subnet in map(ipaddress.ip_network, engine.tried):
        assert subnet.prefixlen == 24 and subnet.subnet_of(spare)  # type: ignore[arg-type]
        assert str(subnet) not in engine.taken
