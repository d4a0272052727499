"""Build the tutorial site into the lab's data folder, only when its sources changed."""

from __future__ import annotations

import importlib
import importlib.util
import io
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path

from lab.docs.sources import SiteSources, site_sources
from lab.errors import BuildError
from lab.settings import Settings

SITE_DIR = "site"
DIGEST_FILE = "site.sha256"


@dataclass(frozen=True)
class Site:
    """A built site: its folder, and whether this call (re)built it."""

    folder: Path
    built: bool


def ensure_site(settings: Settings) -> Site:
    """The site under LAB_HOME, rebuilt first if any of its sources changed since last time."""
    sources = site_sources(settings.exercises_dir)
    folder = settings.home / SITE_DIR
    stamp = settings.home / DIGEST_FILE
    digest = sources.digest()
    if (folder / "index.html").is_file() and _read(stamp) == digest:
        return Site(folder, built=False)
    build_site(sources, folder)
    stamp.write_text(digest + "\n", encoding="utf-8")
    return Site(folder, built=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def build_site(sources: SiteSources, folder: Path) -> None:
    """mkdocs build into a fresh folder beside `folder`, then swap it in: a build that fails
    or is interrupted leaves the previous site as it was."""
    if not sources.config_file.is_file():
        raise BuildError(f"the tutorial site's sources are missing: no {sources.config_file}",
                         "Reinstall the lab (`pip install --force-reinstall immutable-lab`).")
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.with_name(f"{folder.name}.new-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        _mkdocs_build(sources.config_file, fresh)
        _swap(fresh, folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _mkdocs_build(config_file: Path, site_dir: Path) -> None:
    if importlib.util.find_spec("material") is None or importlib.util.find_spec("mkdocs") is None:
        raise BuildError("the tutorial site needs mkdocs-material, which is not installed",
                         "Run `pip install mkdocs-material`, or reinstall the lab.")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    _quiet_material_banner()
    try:
        with _quiet_mkdocs():
            config = load_config(str(config_file), site_dir=str(site_dir))
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build(config)
            finally:
                config.plugins.on_shutdown()
    except MkDocsException as failure:
        raise BuildError(f"building the tutorial site failed: {failure}",
                         "Run `mkdocs build --strict` in the lab's folder to see why.") from None


def _quiet_material_banner() -> None:
    """Some versions of Material print a banner about MkDocs 2 on stderr when first imported:
    noise for a learner. Imported here with stderr set aside (the banner's print takes
    sys.stderr as it is at import), later imports are silent."""
    with redirect_stderr(io.StringIO()):
        importlib.import_module("material.templates")


@contextmanager
def _quiet_mkdocs() -> Iterator[None]:
    """mkdocs logs every step at INFO; a learner needs only the warnings."""
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _swap(fresh: Path, folder: Path) -> None:
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
