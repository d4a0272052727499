"""Classroom bundles: every lab image in one tarball with a checksum, for offline machines.

A bundle is a plain tar holding `bundle.json` (format, lab version, image names, sha256 and
size of the images) and `images.tar` (one `docker save` of all the images, so layers the
images share are stored once). `load` checks the checksum before the engine sees a byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lab import __version__
from lab.docker import images
from lab.errors import BuildError, UsageError
from lab.images import inventory, root
from lab.settings import Settings

FORMAT = 1
MANIFEST = "bundle.json"
IMAGES = "images.tar"
CHUNK = 1 << 20


@dataclass(frozen=True)
class BundleInfo:
    path: Path
    images: list[str]
    size: int
    sha256: str


class _HashingWriter(io.RawIOBase):
    """A write-only file that hashes and counts what passes through it."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.digest.update(data)
        self.size += len(data)
        return self.sink.write(data)


def bundle_refs(settings: Settings) -> list[str]:
    """Every tagged lab image under the settings' prefix (not another set's: LAB_IMAGE_PREFIX,
    tests), plus the Debian root the lab's images were built from; never a learner's own
    image (those are theirs, and `lab build` remakes them)."""
    prefix = f"{settings.image_prefix}/"
    refs = {tag for info in inventory.lab_images() for tag in info.tags
            if tag.startswith(prefix)}
    found_root = root.local_root()
    if found_root:
        refs.add(found_root)
    return sorted(refs)


def save(path: Path, settings: Settings) -> BundleInfo:
    """Save the lab's images (those under `settings.image_prefix`) into the bundle `path`."""
    refs = bundle_refs(settings)
    if not refs:
        raise UsageError("there are no lab images to save", "Run `lab images build` first.")
    partial_images = path.with_name(path.name + ".images.partial")
    partial_bundle = path.with_name(path.name + ".partial")
    try:
        with partial_images.open("wb") as raw:
            writer = _HashingWriter(raw)
            images.save(refs, writer)
        manifest = _manifest(refs, writer.digest.hexdigest(), writer.size)
        _write_bundle(partial_bundle, manifest, partial_images)
        os.replace(partial_bundle, path)
    finally:
        partial_images.unlink(missing_ok=True)
        partial_bundle.unlink(missing_ok=True)
    return BundleInfo(path, refs, writer.size, writer.digest.hexdigest())


def _manifest(refs: list[str], sha256: str, size: int) -> dict[str, object]:
    return {
        "format": FORMAT,
        "lab_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "images": refs,
        "sha256": sha256,
        "size": size,
    }


def _write_bundle(path: Path, manifest: dict[str, object], images_tar: Path) -> None:
    encoded = json.dumps(manifest, indent=2).encode()
    with tarfile.open(path, "w") as bundle:
        entry = tarfile.TarInfo(MANIFEST)
        entry.size, entry.mtime, entry.mode = len(encoded), int(time.time()), 0o644
        bundle.addfile(entry, io.BytesIO(encoded))
        bundle.add(images_tar, arcname=IMAGES)


def read_manifest(path: Path) -> dict[str, object]:
    """The bundle's manifest; a UsageError for anything that is not a lab bundle."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}", "Give the path of a `lab images save` bundle.")
    try:
        with tarfile.open(path, "r") as bundle:
            member = bundle.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
    except (tarfile.TarError, KeyError, ValueError) as cause:
        reason = str(cause).splitlines()[0].rstrip(":")
        raise UsageError(
            f"{path} is not a lab image bundle ({reason})",
            "Make one with `lab images save FILE` on a machine that has the images.",
        ) from cause
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UsageError(f"{path} has an unknown bundle format",
                         "Save it again with this version of the lab.")
    return manifest


def verify(path: Path, manifest: dict[str, object]) -> None:
    digest = hashlib.sha256()
    with tarfile.open(path, "r") as bundle:
        member = bundle.extractfile(IMAGES)
        if member is None:
            raise BuildError(f"{path} holds no {IMAGES}", "Save the bundle again.")
        while chunk := member.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != manifest.get("sha256"):
        raise BuildError(
            f"{path} is damaged: its images do not match the checksum in {MANIFEST}",
            "Copy the bundle again (the copy was cut short or changed) or save a new one.",
        )


def load(path: Path, report: Callable[[str], None] = lambda _: None) -> BundleInfo:
    manifest = read_manifest(path)
    report(f"checking the checksum of {path}")
    verify(path, manifest)
    report(f"checksum ok; loading {len(manifest.get('images') or [])} images")  # type: ignore[arg-type]
    with tarfile.open(path, "r") as bundle:
        member = bundle.extractfile(IMAGES)
        assert member is not None  # verify() proved it is there
        images.load(member)
    refs = [str(ref) for ref in manifest.get("images", []) or []]  # type: ignore[attr-defined]
    return BundleInfo(path, refs, int(str(manifest.get("size", 0))), str(manifest["sha256"]))
