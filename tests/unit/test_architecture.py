"""The shape of the code, as CONTRIBUTING.md describes it: layers, no import cycles, one
importer per heavy library, the environment read only at the edge, modules that fit a screen
or a few. import-linter checks the layers in CI too (`lint-imports`); these tests say what is
wrong in words a contributor can act on."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "lab"
MAX_LINES = 400
# Each third-party library is imported by one module (or package) of the lab, never more.
ONE_IMPORTER = {
    "docker": "lab.docker.sdk",
    "rich": "lab.console",
}
ONE_IMPORTER_OF_SSH = {"fabric", "paramiko", "invoke"}  # all three: lab.sshlib


def layers() -> list[list[str]]:
    """The layers contract of pyproject.toml, top first, each a list of module names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    return [[name.strip() for name in layer.replace("|", ":").split(":")]
            for layer in contract["layers"]]


def infra_modules() -> list[str]:
    return next(layer for layer in layers() if "lab.docker" in layer)


def within(module: str, roots: list[str]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def sources() -> Iterator[tuple[str, Path]]:
    for path in sorted(LAB.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("lab", cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(
                        child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_module_takes_part_in_an_import_cycle(graph: grimp.ImportGraph) -> None:
    assert cycles(graph) == [], "these modules import each other, directly or in a ring"


def test_every_module_of_the_lab_has_a_layer(graph: grimp.ImportGraph) -> None:
    placed = [name for layer in layers() for name in layer]
    # A package whose __init__ imports nothing is only a folder: its modules have layers.
    folders = {module for module in graph.modules
               if graph.find_children(module) and not graph.find_modules_directly_imported_by(
                   module)}
    unplaced = sorted(module for module in graph.modules
                      if module != "lab" and module not in folders and not within(module, placed))
    assert unplaced == [], "add these to a layer in pyproject.toml [tool.importlinter]"


def test_no_lab_module_is_longer_than_a_few_screens() -> None:
    long = {name: lines for name, path in sources()
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these along their sections (at most {MAX_LINES} lines)"


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_each_heavy_library_has_one_importer() -> None:
    importers: dict[str, set[str]] = {}
    for name, path in sources():
        for root in imported_roots(path):
            key = "fabric/paramiko" if root in ONE_IMPORTER_OF_SSH else root
            importers.setdefault(key, set()).add(name)
    for library, module in ONE_IMPORTER.items():
        assert importers.get(library, set()) <= {module}, f"only {module} may import {library}"
    assert importers.get("fabric/paramiko", set()) <= {"lab.sshlib"}, "only lab.sshlib may"


def reads_the_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "putenv"} and (
                isinstance(node.value, ast.Name) and node.value.id == "os"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in {"environ", "getenv"} for alias in node.names):
            return True
    return False


def test_only_the_infra_layer_reads_the_environment() -> None:
    infra = infra_modules()
    readers = sorted(name for name, path in sources()
                     if not within(name, infra) and reads_the_environment(path))
    assert readers == [], ("take a Settings (lab.environment.current_settings() at the CLI) "
                           "instead of reading os.environ here")
