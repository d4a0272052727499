"""lab.authoring, the API exercise authors write checks against: every exercise imports the lab
through it alone, its names stay as the instructor's guide documents them, and the guide's
worked example runs."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

import pytest
import yaml

import lab.authoring
from lab.authoring import File, History, Host, Service
from lab.checks.executor import HttpResult
from lab.checks.runner import run_checks
from lab.checks.specs import PythonSpec
from lab.exercises.loader import load_exercise
from tests.helpers import EXERCISES, load_exercise_checks
from tests.unit.checks.fakes import FakeExecutor, context, exercise

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "instructor" / "writing-exercises.md"
ALLOWED_FROM_THE_LAB = "lab.authoring"
# The frozen API: a name may be added here (and to the guide), never taken away or renamed.
FROZEN = {
    "lab.authoring": {
        "DRIFT_KINDS", "Change", "CheckContext", "CheckError", "Container", "Deployment",
        "Desired", "Drift", "Event", "ExecResult", "Executor", "File", "History", "Host",
        "HttpResult", "Image", "Mount", "NotAvailable", "Package", "ReportError", "Request",
        "ServerInfo", "Service", "Smoke", "Sources", "Verdict", "as_list", "failed", "passed",
        "read_report", "read_yaml", "short_id"},
    "CheckContext": {
        "exercise", "sources", "workspace", "student", "marks", "servers", "exercise_id",
        "folder", "spec", "started_at", "with_servers", "host", "hosts", "each", "containers",
        "balancer", "drift", "history", "images", "latest_build", "image", "smoke", "scratch",
        "deploy", "repository_log"},
    "Host": {"name", "run", "package", "packages", "file", "service", "listening", "http",
             "info"},
    "File": {"host", "path", "exists", "type", "is_file", "mode", "content", "sha256"},
    "Service": {"host", "name", "running"},
    "History": {"deployments", "events", "desired", "standby", "since", "find", "last_good"},
}
HOST = Host("web1", FakeExecutor())
SAMPLES = {"CheckContext": context(), "Host": HOST, "File": File(HOST, "/etc/motd"),
           "Service": Service(HOST, "nginx"), "History": History()}


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
    others = [name for name in lab_imports(path) if name != ALLOWED_FROM_THE_LAB]
    assert others == [], f"import these from {ALLOWED_FROM_THE_LAB} instead"


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
    for name, sample in SAMPLES.items():
        assert public(sample) >= FROZEN[name], f"{name} lost {FROZEN[name] - public(sample)}"


def test_every_name_of_the_api_is_in_the_guide() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    missing = sorted(name for name in FROZEN["lab.authoring"] if f"`{name}" not in guide)
    assert missing == []


def guide_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_the_guide_s_worked_example_runs_on_a_fleet(tmp_path: Path) -> None:
    [example] = guide_blocks("python")
    (tmp_path / "checks.py").write_text(example)
    [goal] = [block for block in guide_blocks("yaml") if "kind: python" in block]
    checks = yaml.safe_load(goal)
    fake = (FakeExecutor().when("stat", stdout="644 regular file\n")
            .when("cat --", stdout="Hello from the lab\n"))
    fake.pages = {("web1", 80, "/"): HttpResult(200, "<h1>Hello from the lab</h1>"),
                  ("web2", 80, "/"): HttpResult(200, "<h1>Welcome to nginx!</h1>")}
    fake.when("stat", exit_code=1, stderr="stat: No such file or directory", server="web3")
    ctx = context(fake, exercise(tmp_path, checks=checks))
    results = run_checks(ctx)
    assert [(result.ok, result.reason) for result in results] == [
        (True, "web1: the home page shows 'Hello from the lab'"),
        (False, "web2: the home page does not show 'Hello from the lab'"),
        (False, "web3: there is no /etc/banner: `lab put --all banner /etc/banner`"),
    ]
