"""Loading exercise.yaml: a valid file becomes an Exercise, every mistake a `file:line:` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import ExitCode
from lab.exercises.loader import load_exercise
from lab.exercises.problems import ExerciseError
from tests.unit.exercises.builders import write_exercise

HEADER = """\
format_version: 1
id: 01-demo
title: Demo
summary: A demo.
"""


def problems(folder: Path) -> list[str]:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(folder)
    return [line.split("exercise.yaml", 1)[1] for line in caught.value.line().splitlines()]


def test_a_valid_file_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo")
    exercise = load_exercise(folder)
    assert exercise.id == "01-demo"
    assert exercise.folder == folder
    assert exercise.spec.server_names == ["web1", "web2"]
    assert exercise.spec.repository is True
    [web1, _] = exercise.spec.planned_servers()
    assert (web1.group, web1.image, web1.ports, web1.uses_lab_image) == (
        "web",
        "server",
        (80,),
        True,
    )
    assert exercise.workspace_dir == folder / "workspace"


def test_a_bad_count_points_at_its_line_and_field(tmp_path: Path) -> None:
    folder = write_exercise(
        tmp_path,
        "01-demo",
        HEADER
        + """\
servers:
  - name: web
    count: 0
checks:
  - {kind: package, goal: g, name: tree}
""",
    )
    assert problems(folder) == [
        ":7: servers[0].count: input should be greater than or equal to 1 (found 0)"
    ]


def test_every_problem_is_reported_at_once_sorted_by_line(tmp_path: Path) -> None:
    folder = write_exercise(
        tmp_path,
        "01-demo",
        HEADER
        + """\
servers:
  - name: web
    cont: 3
checks:
  - kind: pkg
    goal: a
  - kind: file
    goal: f
    path: /etc/motd
    mode: 0644
  - kind: package
    goal: v
    name: tree
    version: 1.0
  - kind: command
    goal: c
solution:
  - apt-get install tree
""",
    )
    assert problems(folder) == [
        ":7: servers[0].cont: unknown field; did you mean 'count'?",
        ":9: checks[0].kind: unknown check kind 'pkg'; did you mean 'package'? known kinds: "
        "command, file, package, http, service, fleet, image, same-image, replaced, deployment, "
        "download, python",
        ':14: checks[1].mode: write the mode as a quoted string, like "0644"',
        ":18: checks[2].version: input should be a valid string (found 1.0); "
        "put the value in quotes: YAML read it as a number or a boolean",
        ":19: checks[3].command: required field is missing",
        ":22: solution[0]: must be a `lab` command line, like 'lab run --all -- uptime'",
    ]


def test_the_error_is_a_usage_error_with_one_line_per_problem(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", HEADER + "servers: []\nchecks: []\n")
    with pytest.raises(ExerciseError) as caught:
        load_exercise(folder)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.line().splitlines() == [
        f"{folder / 'exercise.yaml'}:5: servers: must list at least 1 entry",
        f"{folder / 'exercise.yaml'}:6: checks: must list at least 1 entry",
    ]


def test_a_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", HEADER + "servers:\n  - name: web\n   count: 2\n")
    [problem] = problems(folder)
    assert problem.startswith(":7: YAML syntax error: ")


def test_a_duplicate_key_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", HEADER + "title: Again\n")
    assert ":5: title: duplicate key, already set at line 3" in problems(folder)


def test_the_id_must_equal_the_folder_name(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "02-other", HEADER.replace("01-demo", "01-demo"))
    assert ":2: id: '01-demo' must equal the folder name '02-other'" in problems(folder)


def test_two_groups_making_the_same_server_name_clash(tmp_path: Path) -> None:
    folder = write_exercise(
        tmp_path,
        "01-demo",
        HEADER
        + """\
servers:
  - {name: web, count: 2}
  - name: web2
checks:
  - {kind: package, goal: g, name: tree}
""",
    )
    assert problems(folder) == [":7: servers[1].name: server 'web2' is also made by group 'web'"]


def test_a_check_naming_an_unknown_server_lists_the_real_ones(tmp_path: Path) -> None:
    folder = write_exercise(
        tmp_path,
        "01-demo",
        HEADER
        + """\
servers:
  - {name: web, count: 2}
checks:
  - kind: package
    goal: g
    name: tree
    servers:
      - web1
      - web3
""",
    )
    assert problems(folder) == [
        ":13: checks[0].servers[1]: unknown server 'web3'; this exercise has web1, web2"
    ]


def test_an_http_check_on_a_port_that_is_not_published(tmp_path: Path) -> None:
    folder = write_exercise(
        tmp_path,
        "01-demo",
        HEADER
        + """\
servers:
  - {name: web, ports: [80]}
checks:
  - kind: http
    goal: the app answers
    port: 8080
""",
    )
    assert problems(folder) == [
        ":10: checks[0].port: port 8080 is not published by web; add it to the server group's ports"
    ]


def test_a_python_check_needs_its_module_beside_exercise_yaml(tmp_path: Path) -> None:
    folder = write_exercise(
        tmp_path,
        "01-demo",
        HEADER
        + """\
servers: [{name: web}]
checks:
  - {kind: python, goal: custom, function: "checks.motd:fresh"}
""",
    )
    assert problems(folder) == [
        ":7: checks[0].function: there is no checks/motd.py beside exercise.yaml"
    ]
    (folder / "checks").mkdir()
    (folder / "checks" / "motd.py").write_text("def fresh(executor, servers): ...\n")
    assert load_exercise(folder).id == "01-demo"


def test_a_file_that_is_not_a_mapping_says_what_it_found(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", "- just\n- a list\n")
    assert problems(folder) == [
        ":1: expected a mapping of fields (format_version, id, ...), found list"
    ]


def test_an_empty_file_says_it_found_nothing(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", "")
    assert problems(folder) == [
        ":1: expected a mapping of fields (format_version, id, ...), found nothing"
    ]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExerciseError, match=r"exercise\.yaml: no such file"):
        load_exercise(tmp_path / "01-nothing")


def test_a_recursive_alias_does_not_hang_the_loader(tmp_path: Path) -> None:
    folder = write_exercise(tmp_path, "01-demo", HEADER + "hints: &loop [*loop]\n")
    assert any(line.startswith(":5: hints[0]") for line in problems(folder))
