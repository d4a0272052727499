"""The registry: every kind exercise.yaml accepts has a class, loaded only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lab.checks.base import AllServersCheck, ServerCheck
from lab.checks.registry import KINDS, check_class
from lab.checks.specs import spec_models


def test_every_kind_in_the_schema_has_a_check_class_and_no_more() -> None:
    assert list(KINDS) == list(spec_models())
    for kind in KINDS:
        assert issubclass(check_class(kind), (ServerCheck, AllServersCheck))


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown check kind 'pkg'; known kinds: command, file"):
        check_class("pkg")


def test_loading_an_exercise_imports_no_check_module_but_the_one_it_needs() -> None:
    code = (
        "import sys, lab.exercises, lab.checks.runner; "
        "print(sorted(m for m in sys.modules if m.startswith('lab.checks.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    for lazy in ("lab.checks.package", "lab.checks.http", "lab.checks.fleet"):
        assert lazy not in loaded.stdout
