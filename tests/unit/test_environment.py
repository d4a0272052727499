"""The process environment read in one place, and the environment a child `lab` gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.environment import child_environment, current_settings


def test_a_child_works_in_its_own_settings_workspace_not_the_callers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_WORKSPACE", str(tmp_path / "mine"))
    monkeypatch.setenv("LAB_OFFLINE", "1")
    dev = current_settings({"LAB_HOME": str(tmp_path)}, student="dev-check")
    child = child_environment(dev)
    assert "LAB_WORKSPACE" not in child and "LAB_OFFLINE" not in child
    assert current_settings(child).workspace_root == tmp_path / "students/dev-check/workspace"
    assert current_settings(child).student == "dev-check"


def test_a_child_keeps_what_its_settings_say(tmp_path: Path) -> None:
    settings = current_settings({"LAB_HOME": str(tmp_path), "LAB_OFFLINE": "yes",
                                 "LAB_WORKSPACE": str(tmp_path / "ws"),
                                 "LAB_IMAGE_PREFIX": "my-test"}, student="ann")
    again = current_settings(child_environment(settings))
    assert again == settings
