"""What an image holds (its packages, and the facts of the paths asked about), asked of a
throwaway container once and cached on disk by image id: images never change."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab import dpkg
from lab.dpkg import Package
from lab.drift.packages import PACKAGES_QUERY
from lab.drift.paths import (
    ABSENT,
    BATCH_CHARS,
    IMAGE_FACTS_SCRIPT,
    Fingerprint,
    PathFacts,
    batches,
    by_path,
    dpkg_names,
    parse_image_facts,
)
from lab.errors import BuildError, StateError
from lab.files import write_atomically

if TYPE_CHECKING:
    from lab.docker.containers import ExecResult
    from lab.drift.sources import Sources


class ImageBaseline:
    """What one image holds, cached on disk by image id."""

    def __init__(self, image_id: str, cache_dir: Path, sources: Sources) -> None:
        self.image_id = image_id
        name = f"{image_id.removeprefix('sha256:')}.json"
        self._packages_file = cache_dir / "image-packages" / name
        self._paths_file = cache_dir / "image-paths" / name
        self._sources = sources
        self._lock = threading.Lock()

    def packages(self) -> dict[str, Package]:
        cached = _read_json(self._packages_file)
        if cached.get("query") == PACKAGES_QUERY:
            return dpkg.parse(str(cached.get("output", "")))
        result = self._run(["sh", "-c", PACKAGES_QUERY])
        if result.exit_code == 0:
            _write_json(self._packages_file, {"query": PACKAGES_QUERY, "output": result.stdout})
        return dpkg.parse(result.stdout)

    def facts(self, paths: Iterable[str]) -> dict[str, PathFacts]:
        """Fingerprint and owners of each path in the image; asks a throwaway container
        about the paths never asked about before."""
        with self._lock:
            known = self._known_facts()
            missing = sorted(set(paths) - set(known))
            by_alias = {alias: path for path in missing for alias in dpkg_names(path)}
            found: dict[str, PathFacts] = {}
            for batch in batches(list(by_alias), limit=BATCH_CHARS * 10):
                argv = ["sh", "-c", IMAGE_FACTS_SCRIPT, "sh", *batch]
                found.update(parse_image_facts(self._run(argv).stdout))
            owners = by_path({alias: facts.owners for alias, facts in found.items()}, by_alias)
            known.update({path: PathFacts(found.get(path, ABSENT).fingerprint,
                                          owners.get(path, frozenset())) for path in missing})
            if missing:
                _write_json(self._paths_file, {"script": IMAGE_FACTS_SCRIPT, "paths": {
                    path: {"fingerprint": asdict(facts.fingerprint),
                           "owners": sorted(facts.owners)} for path, facts in known.items()}})
        return known

    def _run(self, argv: list[str]) -> ExecResult:
        try:
            return self._sources.run_in_image(self.image_id, argv)
        except BuildError as cause:  # the engine no longer has the image
            raise StateError(
                f"image {self.image_id.removeprefix('sha256:')[:12]} of these servers is gone, "
                "so there is nothing to compare them with",
                "Run `lab reset` to recreate the servers from the current image.") from cause

    def _known_facts(self) -> dict[str, PathFacts]:
        cached = _read_json(self._paths_file)
        if cached.get("script") != IMAGE_FACTS_SCRIPT:
            return {}
        return {path: PathFacts(Fingerprint(**entry["fingerprint"]), frozenset(entry["owners"]))
                for path, entry in dict(cached.get("paths", {})).items()}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically: a `lab drift` running beside this one reads the old file or the new."""
    write_atomically(path, json.dumps(data))
