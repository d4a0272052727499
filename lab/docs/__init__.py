"""The tutorial site: where `lab docs` serves it, and the address of each of its pages."""

from __future__ import annotations

from pathlib import PurePosixPath

HOST = "127.0.0.1"  # loopback only: the site is the learner's own, never the network's
DEFAULT_PORT = 8000
WRAP_UP_PAGE = "wrap-up.md"  # where `lab check` sends a learner who passed the last exercise


def site_url(port: int = DEFAULT_PORT) -> str:
    """The home page's address while `lab docs --port PORT` runs."""
    return f"http://{HOST}:{port}/"


def page_url(exercise_id: str, port: int = DEFAULT_PORT) -> str:
    """An exercise's page, e.g. http://127.0.0.1:8000/exercises/01-first-fleet/."""
    return doc_url(f"exercises/{exercise_id}.md", port)


def doc_url(page: str, port: int = DEFAULT_PORT) -> str:
    """Where the site serves one of its pages, named as in the docs folder:
    concepts/golden-images.md -> http://127.0.0.1:8000/concepts/golden-images/ (mkdocs
    serves each page as a folder's index; an index.md is its folder's own address)."""
    path = PurePosixPath(page)
    folder = path.parent if path.stem == "index" else path.with_suffix("")
    return site_url(port) + ("" if str(folder) == "." else f"{folder.as_posix()}/")
