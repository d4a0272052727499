"""lab.authoring, the API exercise authors write checks against: every exercise imports the lab
through it alone, its names and their arguments stay as the instructor's guide documents them,
the lab's plumbing stays out of it, and the guide's worked example and its test run."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import lab.authoring
import lab.authoring.testing
from lab.authoring import CheckContext, File, History, Host, Service
from lab.authoring.testing import FakeFleet, fake_context
from lab.checks.runner import run_checks
from lab.checks.specs import PythonSpec
from lab.exercises.loader import load_exercise
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.checks.fakes import context, exercise

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "instructor" / "writing-exercises.md"
ALLOWED_FROM_THE_LAB = {"lab.authoring", "lab.authoring.testing"}
# The frozen API: a name may be added here (and to the guide), never taken away or renamed.
FROZEN = {
    "lab.authoring": {
        "DRIFT_KINDS", "Change", "CheckContext", "CheckError", "Container", "Deployment",
        "Desired", "Drift", "Event", "ExecResult", "File", "History", "Host", "HttpResult",
        "Image", "Mount", "NotAvailable", "Package", "ReportError", "Request", "ServerInfo",
        "Service", "Smoke", "Verdict", "as_list", "failed", "passed", "read_report",
        "read_yaml", "short_id"},
    "lab.authoring.testing": {"FakeFleet", "fake_context", "load_checks"},
    "CheckContext": {
        "workspace", "student", "marks", "servers", "exercise_id", "folder", "spec",
        "started_at", "host", "hosts", "each", "containers", "balancer", "drift", "history",
        "images", "latest_build", "image", "smoke", "scratch", "deploy", "repository_log"},
    "Host": {"name", "run", "package", "packages", "file", "service", "listening", "http",
             "info"},
    "File": {"host", "path", "exists", "type", "is_file", "mode", "content", "sha256"},
    "Service": {"host", "name", "running"},
    "History": {"deployments", "events", "desired", "standby", "since", "find", "last_good"},
    "FakeFleet": {"pages", "infos", "calls", "requests", "asked", "when", "when_called",
                  "file", "package", "service", "listening", "page", "host"},
}
PLUMBING = {"exercise", "sources", "with_servers", "executor", "Executor", "Sources"}
HOST = Host("web1", FakeFleet())
SAMPLES = {"CheckContext": fake_context(), "Host": HOST, "File": File(HOST, "/etc/motd"),
           "Service": Service(HOST, "nginx"), "History": History(), "FakeFleet": FakeFleet()}
# Where the guide writes a call with its arguments' names, whose they are.
CALLED_ON: dict[str, Callable[[str], Any]] = {
    "ctx.": lambda name: getattr(CheckContext, name),
    "host.": lambda name: getattr(Host, name),
    ".": lambda name: getattr(FakeFleet, name, None) or getattr(History, name),
    "": lambda name: getattr(lab.authoring, name, None) or getattr(lab.authoring.testing, name),
}


def lab_imports(path: Path) -> list[str]:
    """Every module of the lab the file imports, as `import` or `from ... import` names it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                 [node.module] if isinstance(node, ast.ImportFrom) and node.module
                 and not node.level else [])
        found += [name for name in names if name == "lab" or name.startswith("lab.")]
    return found


def top_level_imports(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


PYTHON_FILES = sorted(EXERCISES.rglob("*.py"))
CHECK_FILES = sorted(EXERCISES.glob("*/checks.py"))


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda path: str(path.relative_to(EXERCISES)))
def test_an_exercise_reaches_the_lab_only_through_the_authoring_api(path: Path) -> None:
    others = [name for name in lab_imports(path) if name not in ALLOWED_FROM_THE_LAB]
    assert others == [], f"import these from {sorted(ALLOWED_FROM_THE_LAB)} instead"


@pytest.mark.parametrize("path", CHECK_FILES, ids=lambda path: path.parent.name)
def test_a_checks_module_needs_nothing_but_the_standard_library_and_the_api(path: Path) -> None:
    outside = top_level_imports(path) - set(sys.stdlib_module_names) - {"__future__", "lab"}
    assert outside == set()


def test_every_custom_check_of_every_exercise_takes_the_context_alone() -> None:
    for folder in sorted(path.parent for path in CHECK_FILES):
        module = load_exercise_checks(folder.name)
        for check in load_exercise(folder).spec.checks:
            if isinstance(check, PythonSpec):
                function = getattr(module, check.function.split(":")[1])
                assert list(inspect.signature(function).parameters) == ["ctx"], check.function


def public(sample: object) -> set[str]:
    return {name for name in dir(sample) if not name.startswith("_")}


def test_the_api_is_frozen() -> None:
    assert set(lab.authoring.__all__) == FROZEN["lab.authoring"]
    assert set(lab.authoring.testing.__all__) == FROZEN["lab.authoring.testing"]
    for name, sample in SAMPLES.items():
        assert public(sample) >= FROZEN[name], f"{name} lost {FROZEN[name] - public(sample)}"


def test_the_lab_s_plumbing_is_not_part_of_the_api() -> None:
    assert public(SAMPLES["CheckContext"]) & PLUMBING == set()
    assert public(lab.authoring) & PLUMBING == set()


def guide_prose() -> str:
    """The guide without its code blocks: where it names the API."""
    return re.sub(r"```.*?```", "", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_every_name_of_the_api_is_in_the_guide() -> None:
    guide = guide_prose()
    names = FROZEN["lab.authoring"] | FROZEN["lab.authoring.testing"]
    # `Image` or `short_id(image_id)`, not `ImageX` nor `Image.x`
    missing = sorted(name for name in names
                     if not re.search(rf"`{re.escape(name)}(\([^`]*\))?`", guide))
    assert missing == []


def documented_calls() -> list[tuple[str, str, list[str]]]:
    """(where, name, argument names) of every call the guide's prose writes out."""
    calls = []
    for match in re.finditer(r"`(ctx\.|host\.|\.|)(\w+)\(([^)`]*)\)", guide_prose()):
        where, name, arguments = match.groups()
        if where == "" and (name[0].isupper() or name not in FROZEN["lab.authoring"]
                            | FROZEN["lab.authoring.testing"]):
            continue  # a value's fields, like `Smoke(healthy, detail, outputs)`, or no API
        words = [word.strip().lstrip("*").split("=")[0] for word in arguments.split(",")]
        calls.append((where, name, [word for word in words if word.isidentifier()]))
    return calls


def test_the_guide_names_every_argument_as_the_code_does() -> None:
    """Keyword names are part of the frozen API, so the guide must spell them as the code."""
    calls = documented_calls()
    assert {("ctx.", "scratch"), ("host.", "http"), (".", "file"), ("", "fake_context")} <= {
        (where, name) for where, name, _ in calls}
    for where, name, documented in calls:
        parameters = [parameter for parameter in inspect.signature(
            CALLED_ON[where](name)).parameters if parameter != "self"]
        assert documented == parameters[:len(documented)], f"{where}{name}"


def guide_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def worked_example() -> str:
    [example] = [block for block in guide_blocks("python") if "def banner_is_served" in block]
    return example


def test_the_guide_s_worked_example_runs_on_a_fleet(tmp_path: Path) -> None:
    (tmp_path / "checks.py").write_text(worked_example())
    [goal] = [block for block in guide_blocks("yaml") if "kind: python" in block]
    fake = (FakeFleet().file("web1", "/etc/banner", "Hello from the lab\n")
            .file("web2", "/etc/banner", "Hello from the lab\n")
            .file("web3", "/etc/banner", None).file("web4", "/etc/banner", "\n")
            .page("web1", "/", "<h1>Hello from the lab</h1>")
            .page("web2", "/", "<h1>Welcome to nginx!</h1>")
            .page("web4", "/", "<h1>Welcome to nginx!</h1>"))
    ctx = context(fake, exercise(tmp_path, servers=4, checks=yaml.safe_load(goal)))
    assert [(result.ok, result.reason) for result in run_checks(ctx)] == [
        (True, "web1: the home page shows 'Hello from the lab'"),
        (False, "web2: the home page does not show 'Hello from the lab'"),
        (False, "web3: there is no /etc/banner: `lab put --all banner /etc/banner`"),
        (False, "web4: /etc/banner is empty: write your banner in it first"),
    ]


def guide_exercise(folder: Path, checks: str) -> Path:
    """The guide's exercise 07-my-exercise, with its custom goal, checks.py and test file."""
    exercise_folder = folder / "07-my-exercise"
    exercise_folder.mkdir(parents=True)
    [whole] = [block for block in guide_blocks("yaml") if block.startswith("format_version")]
    [goal] = [block for block in guide_blocks("yaml") if "kind: python" in block]
    document = yaml.safe_load(whole)
    document["checks"] += yaml.safe_load(goal)
    (exercise_folder / "exercise.yaml").write_text(yaml.safe_dump(document))
    (exercise_folder / "checks.py").write_text(checks)
    [test] = [block for block in guide_blocks("python") if "def test_" in block]
    (exercise_folder / "test_checks.py").write_text(test)
    return exercise_folder / "test_checks.py"


def run_tests(path: Path) -> None:
    """Every test function of the file, as pytest would call them."""
    spec = importlib.util.spec_from_file_location(f"guide_tests_{id(path)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [value for name, value in vars(module).items() if name.startswith("test_")]
    assert len(tests) >= 2
    for test in tests:
        test()


def test_the_guide_s_unit_test_of_its_example_passes(tmp_path: Path) -> None:
    run_tests(guide_exercise(tmp_path, worked_example()))


def test_the_guide_s_unit_test_catches_an_empty_banner_passing(tmp_path: Path) -> None:
    guard = re.compile(r"    if not text:.*?\n(    [^\n]*\n)*?(?=    page = )", re.S)
    unguarded = guard.sub("", worked_example())
    assert "is empty" not in unguarded
    with pytest.raises(AssertionError):
        run_tests(guide_exercise(tmp_path, unguarded))
