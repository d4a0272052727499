"""How a class-wide command adds up its students' results, with a fake runner: each student's
command answers in JSON (`lab ... --json`), and the class's table is made of those answers.
The real commands' answers, without an engine, close the file."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from lab.classroom import outcomes, runs
from lab.classroom.children import (
    Completed,
    Job,
    child_environment,
    not_started,
    student_settings,
)
from lab.classroom.engines import LOCAL
from lab.classroom.outcomes import Outcome
from lab.classroom.roster import Roster, Student
from lab.settings import Settings
from tests.helpers import assert_one_line_error, run_lab

SETTINGS = Settings(home=Path("/nonexistent/lab-home"), student="teacher")


def answered(document: object, exit_code: int = 0) -> Completed:
    return Completed(exit_code, json.dumps(document, indent=2) + "\n")


def error(line: str, exit_code: int) -> Completed:
    return Completed(exit_code, json.dumps({"error": line, "exit_code": exit_code}),
                     f"error: {line}\n")


def _jobs(*pairs: tuple[str, str]) -> list[Job]:
    return [Job(student, engine, ("stop", "--json"), {}) for student, engine in pairs]


# --- what each answer comes to ----------------------------------------------------------


def test_one_students_failure_is_theirs_alone() -> None:
    def work(job: Job) -> Outcome:
        if job.student == "bob":
            return outcomes.summarize_stop(job, error(
                "no exercise is started. Run `lab start` first.", 5))
        if job.student == "carol":
            raise RuntimeError("the runner itself broke")
        return outcomes.summarize_stop(job, answered({"exercise": "01", "removed": 4}))

    seen: list[str] = []
    done = runs.fan_out(_jobs(("alice", "e1"), ("bob", "e1"), ("carol", "e2"), ("dave", "e2")),
                        work, done=lambda outcome: seen.append(outcome.student))
    assert [(o.student, o.ok, o.result) for o in done] == [
        ("alice", True, "ok"), ("bob", False, "failed"), ("carol", False, "failed"),
        ("dave", True, "ok")]
    assert done[0].detail == "stopped 01: 4 containers removed"
    assert done[1].detail == "no exercise is started. Run `lab start` first."
    assert done[2].detail == "the runner itself broke"
    assert sorted(seen) == ["alice", "bob", "carol", "dave"]


def test_each_answer_says_what_the_student_sees_in_the_table() -> None:
    job = Job("alice", LOCAL, (), {})
    started = {"exercise": "01-first-fleet", "servers": [], "workspace": "/w"}
    said = {
        outcomes.summarize_start: [(started, "01-first-fleet is running")],
        outcomes.summarize_stop: [
            ({"exercise": None, "removed": 0}, "No exercise is started; nothing to stop."),
            ({"exercise": "02", "removed": 0}, "02 is not running; nothing to stop."),
            ({"exercise": "02", "removed": 1}, "stopped 02: 1 container removed")],
        outcomes.summarize_reset: [
            ({"student": "alice", "started": started}, "01-first-fleet is running"),
            ({"student": "alice", "started": None,
              "removed": {"containers": 4, "networks": 1, "volumes": 0}},
             "removed every lab resource of alice: 4 containers, 1 network, 0 volumes")],
    }
    for summary, cases in said.items():
        for document, detail in cases:
            outcome = summary(job, answered(document))
            assert (outcome.ok, outcome.result, outcome.detail) == (True, "ok", detail)


def test_a_command_that_answered_no_json_failed_with_its_last_words() -> None:
    job = Job("alice", LOCAL, (), {})
    crashed = outcomes.summarize_start(job, Completed(
        1, "", "Traceback (most recent call last):\n  ...\nRuntimeError: boom\n"))
    assert (crashed.ok, crashed.result, crashed.detail) == (False, "failed", "RuntimeError: boom")
    silent = outcomes.summarize_stop(job, Completed(137))
    assert silent.detail == "exit code 137"
    never = outcomes.summarize_check(job, not_started("No such file or directory"))
    assert (never.result, never.detail) == ("failed",
                                            "cannot run the lab: No such file or directory")


def test_a_class_check_tells_passed_from_not_yet_from_broken() -> None:
    def check(goals: list[bool]) -> Completed:
        document = {"exercise": "01", "passed": all(goals),
                    "goals": [{"goal": f"goal {n}", "ok": ok, "reasons": []}
                              for n, ok in enumerate(goals, 1)]}
        return answered(document, 0 if all(goals) else 1)

    job = Job("alice", LOCAL, ("check", "--json"), {})
    passed = outcomes.summarize_check(job, check([True, True]))
    assert (passed.ok, passed.result, passed.detail) == (True, "passed", "2/2 goals hold")
    not_yet = outcomes.summarize_check(job, check([True, False, False]))
    assert (not_yet.ok, not_yet.result) == (False, "not passed")
    assert not_yet.detail == "1/3 goals hold; not yet: goal 2"
    broken = outcomes.summarize_check(job, error(
        "no exercise is started. Run `lab start` first.", 5))
    assert (broken.ok, broken.result) == (False, "failed")
    assert broken.detail == "no exercise is started. Run `lab start` first."



def test_words_printed_before_the_answer_do_not_hide_it() -> None:
    job = Job("alice", LOCAL, ("check", "--json"), {})
    document = {"exercise": "01", "passed": True,
                "goals": [{"goal": "motd", "ok": True, "reasons": []}]}
    chatty = Completed(0, "debug: looking at web1\n{not json\n"
                          + json.dumps(document, indent=2) + "\n")
    passed = outcomes.summarize_check(job, chatty)
    assert (passed.ok, passed.result, passed.detail) == (True, "passed", "1/1 goals hold")


def test_a_refused_command_line_is_its_own_words() -> None:
    job = Job("alice", LOCAL, ("start", "--json"), {})
    refused = outcomes.summarize_start(job, Completed(2, "", "error: no exercise 'xyz'\n"))
    assert (refused.ok, refused.detail) == (False, "no exercise 'xyz'")

# --- the class at once ------------------------------------------------------------------


def test_each_engine_runs_a_bounded_number_at_once_and_engines_side_by_side() -> None:
    lock = threading.Lock()
    running: dict[str, int] = {}
    most: dict[str, int] = {}
    both_engines = threading.Barrier(2, timeout=10)

    def work(job: Job) -> Outcome:
        with lock:
            running[job.engine] = running.get(job.engine, 0) + 1
            most[job.engine] = max(most.get(job.engine, 0), running[job.engine])
        if job.student in ("a0", "b0"):
            both_engines.wait()  # only passes if the two engines run at the same time
        time.sleep(0.02)
        with lock:
            running[job.engine] -= 1
        return outcomes.summarize(job, answered({}))

    jobs = _jobs(*[(f"a{i}", "e1") for i in range(9)], *[(f"b{i}", "e2") for i in range(3)])
    done = runs.fan_out(jobs, work, per_engine=2)
    assert all(outcome.ok for outcome in done)
    assert [o.student for o in done] == [job.student for job in jobs]
    assert most == {"e1": 2, "e2": 2}


def test_run_class_prepares_images_once_per_engine_and_skips_a_broken_engine() -> None:
    roster = Roster((Student("alice", "tcp://e1:2376"), Student("bob", "tcp://e2:2376"),
                     Student("carol", "tcp://e1:2376")))
    calls: list[tuple[str, str, str, tuple[str, ...]]] = []
    lock = threading.Lock()

    def runner(job: Job) -> Completed:
        with lock:
            calls.append((job.student, job.environment.get("LAB_STUDENT", ""),
                          job.environment.get("DOCKER_HOST", ""), job.args))
        if job.args[0] == "images" and "e2" in job.engine:
            return error("image not found: immutable-lab/debian. Run `lab images build`.", 4)
        if job.args[0] == "images":
            return answered({"images": []})
        return answered({"exercise": "01-first-fleet", "servers": []})

    done = runs.run_class(SETTINGS, roster, ["start", "01-first-fleet"], runner=runner,
                          images=["server", "repo"], summary=outcomes.summarize_start)
    assert [(o.student, o.ok) for o in done] == [("alice", True), ("bob", False),
                                                 ("carol", True)]
    assert done[0].detail == "01-first-fleet is running"
    assert done[1].detail.startswith("images: image not found")
    builds = sorted(call for call in calls if call[3][0] == "images")
    assert builds == [("", "teacher", "tcp://e1:2376", ("images", "build", "server", "repo",
                                                        "--json")),
                      ("", "teacher", "tcp://e2:2376", ("images", "build", "server", "repo",
                                                        "--json"))]
    starts = sorted(call for call in calls if call[3][0] == "start")
    assert starts == [("alice", "alice", "tcp://e1:2376", ("start", "01-first-fleet", "--json")),
                      ("carol", "carol", "tcp://e1:2376", ("start", "01-first-fleet", "--json"))]


def test_prepare_reports_what_each_engine_lacks(tmp_path: Path) -> None:
    roster = Roster((Student("alice", "tcp://full:2376"), Student("bob", "tcp://half:2376")))

    def runner(job: Job) -> Completed:
        if job.args[:2] == ("images", "list"):
            names = ["root", "base", "server", "repo", "lb"] if "full" in job.engine else ["root"]
            return Completed(0, json.dumps([{"name": n, "status": "current"} for n in names]))
        if "half" in job.engine:
            return error("the bundle's checksum does not match", 4)
        return answered({"images": ["base", "server", "repo", "lb"]})

    done = runs.prepare(SETTINGS, roster, tmp_path / "bundle.tar", runner=runner)
    assert [(o.engine, o.ok) for o in done] == [("tcp://full:2376", True),
                                                ("tcp://half:2376", False)]
    assert done[0].detail == "root, base, server, repo, lb present"
    assert done[1].detail == ("missing: base, server, repo, lb; "
                              "the bundle's checksum does not match")


# --- each student's process -------------------------------------------------------------


def test_a_student_process_gets_the_students_settings_and_engine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The instructor's own student and workspace never reach a student's command."""
    monkeypatch.setenv("LAB_STUDENT", "mallory")
    monkeypatch.setenv("LAB_WORKSPACE", "/home/teacher/my-workspace")
    monkeypatch.setenv("DOCKER_HOST", "unix:///instructor.sock")
    monkeypatch.setenv("SOMETHING_ELSE", "kept")
    teacher = Settings(home=Path("/srv/lab"), student="mallory",
                       workspace_override=Path("/home/teacher/my-workspace"))
    environment = child_environment(student_settings(teacher, "bob"), {"DOCKER_HOST": None})
    assert environment["LAB_STUDENT"] == "bob" and environment["LAB_HOME"] == "/srv/lab"
    assert "LAB_WORKSPACE" not in environment and "DOCKER_HOST" not in environment
    assert environment["SOMETHING_ELSE"] == "kept"
    assert environment["COLUMNS"] == "1000"  # one line per message, never wrapped


# --- the real commands' answers ---------------------------------------------------------


def test_the_answers_of_real_commands_make_the_table(tmp_path: Path) -> None:
    """`lab stop --json` and `lab check --json` of a student who started nothing, as a class
    runs them: no engine is needed to answer."""
    env = {"LAB_HOME": str(tmp_path), "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    job = Job("alice", LOCAL, (), {})
    stopped = run_lab("--student", "alice", "stop", "--json", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout) == {"exercise": None, "removed": 0}
    outcome = outcomes.summarize_stop(job, Completed(0, stopped.stdout, stopped.stderr))
    assert (outcome.result, outcome.detail) == ("ok", "No exercise is started; nothing to stop.")

    checked = run_lab("--student", "alice", "check", "--json", env=env)
    line = assert_one_line_error(checked, exit_code=5)  # the line a person reads is unchanged
    assert json.loads(checked.stdout) == {"error": line.removeprefix("error: "), "exit_code": 5}
    outcome = outcomes.summarize_check(job, Completed(5, checked.stdout, checked.stderr))
    assert (outcome.result, outcome.detail) == ("failed", line.removeprefix("error: "))
