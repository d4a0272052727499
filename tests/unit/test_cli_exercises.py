"""Exercise commands that must fail clearly before any engine is involved.

DOCKER_HOST points nowhere, so a command that wrongly reaches for the engine first says
"cannot reach the Docker engine" (exit 2) instead of the learner's real mistake.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import assert_one_line_error, run_lab

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


def test_unknown_exercise_names_the_known_ones() -> None:
    line = assert_one_line_error(run_lab("start", "nope", env=NO_ENGINE), exit_code=3)
    assert "unknown exercise 'nope'" in line
    assert "01-first-fleet" in line


def test_malformed_exercise_lists_each_mistake_at_its_line(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    shutil.copytree(EXERCISES / "01-first-fleet", exercises / "01-first-fleet")
    path = exercises / "01-first-fleet" / "exercise.yaml"
    lines = path.read_text().splitlines()
    count = next(i for i, line in enumerate(lines) if line.strip().startswith("count:"))
    lines[count] = "    count: three"
    lines.insert(count + 1, "    colour: red")
    path.write_text("\n".join(lines) + "\n")

    result = run_lab("start", "01", env={**NO_ENGINE, "LAB_EXERCISES": str(exercises)})

    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert "cannot reach the Docker engine" not in result.stderr, "it must fail before the engine"
    assert "01-first-fleet is running" not in result.stdout
    problems = [
        line.removeprefix("error: ")
        for line in result.stderr.splitlines()
        if "exercise.yaml:" in line
    ]
    assert len(problems) == 2, result.stderr
    assert re.search(rf"exercise\.yaml:{count + 1}: servers\[0\]\.count: .*'three'", problems[0])
    assert re.search(
        rf"exercise\.yaml:{count + 2}: servers\[0\]\.colour: unknown field", problems[1]
    )


def test_run_without_servers_asks_which() -> None:
    line = assert_one_line_error(run_lab("run", "--", "hostname", env=NO_ENGINE), exit_code=3)
    assert "say which servers" in line
    assert "--all" in line and "-s SERVER" in line


@pytest.mark.parametrize("command", ["check", "hint", "status"])
def test_nothing_started_says_to_start(command: str) -> None:
    line = assert_one_line_error(run_lab(command, env=NO_ENGINE), exit_code=5)
    assert "no exercise is started" in line
    assert "lab start" in line


def test_invalid_student_name_is_a_usage_error() -> None:
    result = run_lab("--student", "Bad Name", "list", env=NO_ENGINE)
    line = assert_one_line_error(result, exit_code=3)
    assert "student name 'Bad Name' is not valid" in line


def test_lab_list_shows_time_level_prerequisites_and_solve_in_80_columns(
        tmp_path: Path) -> None:
    from lab.progress import Progress, ProgressStore
    from lab.settings import Settings

    ProgressStore.of(Settings(home=tmp_path, student="learner")).save(
        Progress().started("01-first-fleet").checked("01-first-fleet", True)
        .started("02-snowflakes").solution_run("02-snowflakes"))
    env = {**NO_ENGINE, "LAB_HOME": str(tmp_path), "COLUMNS": "80"}
    listed = run_lab("list", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, listed.stdout
    row = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")]
           for line in lines if "│" in line}
    assert row["01-first-fleet"][2:] == ["10 min", "beginner", "-", "done"]
    assert row["02-snowflakes"][-2:] == ["01", "current*"]
    assert row["13-blue-green"][-2:] == ["11, 12", "pending"]
    assert "* `lab solve` was used" in listed.stdout
    assert "1/13 done, about " in listed.stdout

    wide = run_lab("list", env={**env, "COLUMNS": "140"}).stdout
    assert "Deployment strategies, measured" in wide  # room for the titles

    document = json.loads(run_lab("list", "--json", env=env).stdout)
    second = document["exercises"][1]
    assert (document["done"], document["total"]) == (1, 13)
    assert second == {**second, "exercise": "02-snowflakes", "time": 20,
                      "difficulty": "beginner", "prerequisites": ["01-first-fleet"],
                      "state": "current", "solution_used": True}
