"""The Debian root's resolution order: local, then a pull, then debootstrap, else a remedy.

The engine is replaced by a small fake here; tests/docker/test_images.py does it for real.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lab.docker import images
from lab.errors import BuildError
from lab.images import root
from lab.settings import Settings

ONLINE = Settings(home=Path("/nonexistent"), student="ann")
OFFLINE = replace(ONLINE, offline=True)  # LAB_OFFLINE=1


class FakeEngine:
    def __init__(self, present: set[str], registry: bool) -> None:
        self.present = present
        self.registry = registry
        self.calls: list[str] = []

    def inspect(self, ref: str) -> object | None:
        self.calls.append(f"inspect {ref}")
        return object() if ref in self.present else None

    def pull(self, repository: str, tag: str) -> None:
        self.calls.append(f"pull {repository}:{tag}")
        if not self.registry:
            raise BuildError("could not pull: no such host")
        self.present.add(f"{repository}:{tag}")


@pytest.fixture
def notes() -> list[str]:
    return []


def install(monkeypatch: pytest.MonkeyPatch, engine: FakeEngine, can_bootstrap: bool) -> None:
    monkeypatch.setattr(images, "inspect", engine.inspect)
    monkeypatch.setattr(images, "pull", engine.pull)
    monkeypatch.setattr(
        root, "bootstrap_blocker", lambda: None if can_bootstrap else "debootstrap needs Linux"
    )

    def fake_bootstrap(report: object, settings: Settings, tag: str = "bookworm") -> str:
        engine.calls.append("bootstrap")
        return root.BOOTSTRAPPED

    monkeypatch.setattr(root, "bootstrap", fake_bootstrap)


def test_local_image_wins_without_touching_the_registry(
    monkeypatch: pytest.MonkeyPatch, notes: list[str]
) -> None:
    engine = FakeEngine({root.OFFICIAL}, registry=True)
    install(monkeypatch, engine, can_bootstrap=True)
    assert root.resolve(notes.append, ONLINE) == root.OFFICIAL
    assert not [call for call in engine.calls if call.startswith(("pull", "bootstrap"))]


def test_the_lab_bootstrap_is_preferred_over_the_official(
    monkeypatch: pytest.MonkeyPatch, notes: list[str]
) -> None:
    engine = FakeEngine({root.OFFICIAL, root.BOOTSTRAPPED}, registry=True)
    install(monkeypatch, engine, can_bootstrap=True)
    assert root.resolve(notes.append, ONLINE) == root.BOOTSTRAPPED


def test_pull_comes_before_bootstrap(monkeypatch: pytest.MonkeyPatch, notes: list[str]) -> None:
    engine = FakeEngine(set(), registry=True)
    install(monkeypatch, engine, can_bootstrap=True)
    assert root.resolve(notes.append, ONLINE) == root.OFFICIAL
    assert "bootstrap" not in engine.calls


def test_failed_pull_falls_back_to_bootstrap_and_says_so(
    monkeypatch: pytest.MonkeyPatch, notes: list[str]
) -> None:
    engine = FakeEngine(set(), registry=False)
    install(monkeypatch, engine, can_bootstrap=True)
    assert root.resolve(notes.append, ONLINE) == root.BOOTSTRAPPED
    order = [call.split()[0] for call in engine.calls if not call.startswith("inspect")]
    assert order == ["pull", "bootstrap"]
    assert any("lab images bootstrap" in note for note in notes)


def test_offline_skips_the_pull(monkeypatch: pytest.MonkeyPatch, notes: list[str]) -> None:
    engine = FakeEngine(set(), registry=True)
    install(monkeypatch, engine, can_bootstrap=True)
    assert root.resolve(notes.append, OFFLINE) == root.BOOTSTRAPPED
    assert not any(call.startswith("pull") for call in engine.calls)


def test_nothing_works_names_both_remedies(
    monkeypatch: pytest.MonkeyPatch, notes: list[str]
) -> None:
    engine = FakeEngine(set(), registry=False)
    install(monkeypatch, engine, can_bootstrap=False)
    with pytest.raises(BuildError) as raised:
        root.resolve(notes.append, ONLINE)
    line = raised.value.line()
    assert "lab images bootstrap" in line and "lab images load" in line
    assert "debootstrap needs Linux" in line
