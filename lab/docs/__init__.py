"""The tutorial site: where `lab docs` serves it, and the address of each exercise's page."""

from __future__ import annotations

HOST = "127.0.0.1"  # loopback only: the site is the learner's own, never the network's
DEFAULT_PORT = 8000


def site_url(port: int = DEFAULT_PORT) -> str:
    """The home page's address while `lab docs --port PORT` runs."""
    return f"http://{HOST}:{port}/"


def page_url(exercise_id: str, port: int = DEFAULT_PORT) -> str:
    """An exercise's page, e.g. http://127.0.0.1:8000/exercises/01-first-fleet/."""
    return f"{site_url(port)}exercises/{exercise_id}/"
