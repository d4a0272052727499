"""Which images a build selects, and when a build context counts as changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.environment import current_settings
from lab.errors import UsageError
from lab.images import definitions
from lab.images.definitions import context_hash


def make_context(folder: Path) -> Path:
    (folder / "rootfs").mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM scratch\n")
    (folder / "rootfs" / "init").write_text("#!/bin/sh\n")
    return folder


def test_same_files_same_hash(tmp_path: Path) -> None:
    first = make_context(tmp_path / "a")
    second = make_context(tmp_path / "b")
    assert context_hash(first, "sha256:1") == context_hash(second, "sha256:1")


def test_changed_file_changes_hash(tmp_path: Path) -> None:
    context = make_context(tmp_path / "a")
    before = context_hash(context, "sha256:1")
    (context / "rootfs" / "init").write_text("#!/bin/sh\necho changed\n")
    assert context_hash(context, "sha256:1") != before


def test_exec_bit_and_new_file_change_hash(tmp_path: Path) -> None:
    context = make_context(tmp_path / "a")
    before = context_hash(context, "sha256:1")
    (context / "rootfs" / "init").chmod(0o755)
    after_chmod = context_hash(context, "sha256:1")
    (context / "rootfs" / "extra").write_text("")
    assert len({before, after_chmod, context_hash(context, "sha256:1")}) == 3


def test_rebuilt_parent_changes_hash(tmp_path: Path) -> None:
    context = make_context(tmp_path / "a")
    assert context_hash(context, "sha256:1") != context_hash(context, "sha256:2")


def test_select_adds_parents_in_build_order() -> None:
    assert [spec.name for spec in definitions.select(["repo"])] == ["base", "repo"]
    assert [spec.name for spec in definitions.select(["lb"])] == ["base", "lb"]
    assert [spec.name for spec in definitions.select(None)] == ["base", "server", "repo", "lb"]


def test_select_unknown_lists_known() -> None:
    with pytest.raises(UsageError, match="unknown image web") as raised:
        definitions.select(["web"])
    assert "base, server, repo, lb" in raised.value.remedy


def test_every_image_has_a_dockerfile() -> None:
    for spec in definitions.SPECS:
        assert (spec.context_for(current_settings()) / "Dockerfile").is_file(), spec.name


def test_servers_keep_downloaded_packages_whichever_debian_root_the_base_came_from() -> None:
    # The registry's debian image ships apt.conf.d/docker-clean (it deletes every downloaded
    # .deb after an install); the lab's debootstrap root has none. Exercise 04's rollback
    # reuses the cached .deb, so the server image removes it, and no lab apt setting
    # deletes the cache instead.
    settings = current_settings()
    server = definitions.BY_NAME["server"].context_for(settings)
    steps = (server / "Dockerfile").read_text().replace("\\\n", " ")
    run = next(line for line in steps.splitlines() if line.startswith("RUN "))
    assert "rm -f /etc/apt/apt.conf.d/docker-clean" in run
    lab_apt = [path for name in ("base", "server")
               for path in definitions.BY_NAME[name].context_for(settings).rglob("*")
               if path.is_file() and "apt" in path.parts]
    assert lab_apt, "the base's apt settings are read"
    for path in lab_apt:
        text = path.read_text()
        assert "Keep-Downloaded-Packages" not in text and "archives" not in text, path
