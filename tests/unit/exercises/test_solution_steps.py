"""Solution steps beyond `lab` command lines: a file the learner writes, a workspace script the
learner runs; how they are validated, shown, and run by `lab solve`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from lab import checking, learner
from lab.errors import StateError
from lab.exercises.loader import load_exercise
from lab.exercises.problems import ExerciseError
from lab.exercises.schema import Exercise, ExerciseSpec
from lab.exercises.solution import RunPython, WriteFile
from lab.settings import Settings
from tests.unit.exercises.builders import write_exercise

REPORT = {"write": "report.yaml", "content": "web1: upgraded\nweb2: failed\n"}
ROLLOUT = {"python": "fabfile.py", "args": ["--fast"], "exit_code": 1}


def spec(solution: list[Any]) -> ExerciseSpec:
    return ExerciseSpec.model_validate({
        "format_version": 1, "id": "01-demo", "title": "Demo", "summary": "A demo.",
        "servers": [{"name": "web", "count": 2}],
        "checks": [{"kind": "package", "goal": "g", "name": "tree"}],
        "solution": solution,
    })


def test_a_step_is_a_lab_command_a_file_to_write_or_a_script_to_run() -> None:
    steps = spec(["lab status", REPORT, ROLLOUT]).solution
    assert steps == ("lab status", WriteFile(**REPORT),
                     RunPython(python="fabfile.py", args=("--fast",), exit_code=1))


def test_steps_are_shown_as_the_command_lines_a_learner_would_type() -> None:
    shown = spec(["lab status", REPORT, ROLLOUT, {"python": "fabfile.py"}]).solution_lines()
    assert shown == [
        "lab status",
        "cat > report.yaml <<'EOF'\nweb1: upgraded\nweb2: failed\nEOF",
        "python fabfile.py --fast",
        "python fabfile.py",
    ]


def test_only_lab_commands_become_lab_argument_lists() -> None:
    assert spec(["lab status", REPORT, "lab check"]).solution_commands() == [["status"], ["check"]]


def test_each_malformed_step_is_reported_at_its_line(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", """\
        format_version: 1
        id: 01-demo
        title: Demo
        summary: A demo.
        servers: [{name: web}]
        checks: [{kind: package, goal: g, name: tree}]
        solution:
          - lab check
          - ls -l
          - write: /etc/passwd
            content: x
          - python: fabfile.py
            exitcode: 1
          - writ: report.yaml
        """)
    with pytest.raises(ExerciseError) as caught:
        load_exercise(folder)
    problems = [line.split("exercise.yaml:", 1)[1] for line in caught.value.problems]
    assert problems == [
        "9: solution[1]: must be a `lab` command line, like 'lab run --all -- uptime'",
        "10: solution[2].write: must be a file name inside the learner's workspace, "
        "like 'report.yaml'",
        "13: solution[3].exitcode: unknown field; did you mean 'exit_code'?",
        "14: solution[4]: must be a `lab` command line, or a mapping with `write` (a file to "
        "write in the workspace), `python` (a workspace script to run) or `lab` (a command "
        "line with its exit_code)",
    ]


# --- lab solve -------------------------------------------------------------------------


SCRIPT = """\
import sys
from pathlib import Path
Path("ran.txt").write_text(" ".join(sys.argv[1:]))
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def solving(tmp_path: Path) -> tuple[Settings, Path]:
    """`lab solve` for an exercise whose servers are "running"; returns settings and the
    workspace, which holds script.py."""
    settings = Settings(home=tmp_path / "home", student="learner")
    workspace = settings.workspace_root / "01-demo"
    workspace.mkdir(parents=True)
    (workspace / "script.py").write_text(SCRIPT)
    return settings, workspace


def run_solution(monkeypatch: pytest.MonkeyPatch, settings: Settings,
                 steps: list[Any]) -> list[str]:
    exercise = Exercise(Path("."), spec(steps))
    monkeypatch.setattr(learner, "running", lambda _: (exercise, []))
    shown: list[str] = []
    checking.solve(settings, shown.append)
    return shown


def test_solve_writes_files_and_runs_scripts_in_the_workspace(
        solving: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, workspace = solving
    shown = run_solution(monkeypatch, settings, [
        {"write": "notes/report.yaml", "content": "web1: upgraded\n"},
        {"python": "script.py", "args": ["3", "x"], "exit_code": 3},
    ])
    assert (workspace / "notes" / "report.yaml").read_text() == "web1: upgraded\n"
    assert (workspace / "ran.txt").read_text() == "3 x", "run in the workspace, with its args"
    assert shown == ["step 1/2: $ cat > notes/report.yaml <<'EOF'\nweb1: upgraded\nEOF",
                     "step 2/2: $ python script.py 3 x"]


def test_a_script_exiting_otherwise_than_expected_stops_the_solution(
        solving: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, workspace = solving
    with pytest.raises(StateError, match="solution step 1 failed with exit code 0, expected 1"):
        run_solution(monkeypatch, settings, [
            {"python": "script.py", "args": ["0"], "exit_code": 1},
            {"write": "never.txt", "content": ""},
        ])
    assert not (workspace / "never.txt").exists()


def test_scripts_run_with_the_labs_own_python(
        solving: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, workspace = solving
    (workspace / "script.py").write_text(
        "import sys\nopen('python.txt', 'w').write(sys.executable)\n")
    run_solution(monkeypatch, settings, [{"python": "script.py"}])
    assert (workspace / "python.txt").read_text() == sys.executable
