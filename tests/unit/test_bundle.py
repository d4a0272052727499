"""Bundles: a damaged or foreign file is refused before the engine sees it."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from lab.errors import BuildError, UsageError
from lab.images import bundle


def write_bundle(path: Path, payload: bytes, claimed: bytes) -> None:
    import hashlib

    images_tar = path.with_suffix(".images")
    images_tar.write_bytes(payload)
    manifest = bundle._manifest(
        ["immutable-lab/base:latest"], hashlib.sha256(claimed).hexdigest(), len(claimed)
    )
    bundle._write_bundle(path, manifest, images_tar)


def test_a_matching_checksum_verifies(tmp_path: Path) -> None:
    path = tmp_path / "ok.tar"
    write_bundle(path, b"layers", b"layers")
    bundle.verify(path, bundle.read_manifest(path))


def test_a_damaged_bundle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "damaged.tar"
    write_bundle(path, b"layers, cut short", b"layers")
    with pytest.raises(BuildError, match="is damaged"):
        bundle.verify(path, bundle.read_manifest(path))


def test_a_plain_tar_is_not_a_bundle(tmp_path: Path) -> None:
    path = tmp_path / "plain.tar"
    with tarfile.open(path, "w") as archive:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(UsageError, match="not a lab image bundle"):
        bundle.read_manifest(path)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        bundle.read_manifest(tmp_path / "absent.tar")
