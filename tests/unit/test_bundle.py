"""Bundles: a damaged or foreign file is refused before the engine sees it."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from lab.errors import BuildError, UsageError
from lab.images import bundle
from lab.settings import Settings


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


def test_a_bundle_holds_the_lab_s_images_and_root_never_a_learner_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lab.docker import images
    from lab.docker.images import ImageInfo
    from lab.images import root

    def image(tags: tuple[str, ...], **labels: str) -> ImageInfo:
        return ImageInfo(id=f"sha256:{len(tags)}", tags=tags, created="", size=0,
                         labels={"lab.managed": "true", "lab.image": "server", **labels})

    engine = [
        image(("immutable-lab/server:latest",)),
        image(("immutable-lab/base:latest", "other-set/base:latest")),
        # a learner's image inherits lab.image=server; even one they tagged like the lab's
        image(("lab-ann/app:v2", "immutable-lab/server:mine"), **{"lab.role": "app",
                                                                 "lab.student": "ann"}),
    ]
    monkeypatch.setattr(images, "list_lab_images", lambda **_: engine)
    monkeypatch.setattr(root, "local_root", lambda: "debian:bookworm-slim")
    settings = Settings(home=Path("/nonexistent"), student="ann")
    assert bundle.bundle_refs(settings) == ["debian:bookworm-slim", "immutable-lab/base:latest",
                                    "immutable-lab/server:latest"]
