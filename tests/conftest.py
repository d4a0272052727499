"""Shared test set-up: the `docker` and `browser` markers' skip-or-fail rule, and the lab's
environment.

Locally a docker test skips when no engine answers, and a browser test when Debian's
chromium (or Playwright) is missing. In CI (CI=true, which .ci/run exports) such a test that
did not run is a failure: the run must prove the real thing. LAB_REQUIRE_DOCKER and
LAB_REQUIRE_BROWSER say it for one kind explicitly, either way (1 requires, 0 allows a skip),
whatever CI says.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import pytest

from lab.docker import engine


def required(kind: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a skipped test of this kind ("docker", "browser") fails the run."""
    explicit = environ.get(f"LAB_REQUIRE_{kind.upper()}", "")
    if explicit:
        return explicit == "1"
    return environ.get("CI", "").lower() == "true"


REQUIRE_DOCKER = required("docker")
REQUIRE_BROWSER = required("browser")
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; the tests never download a browser


@lru_cache(maxsize=1)
def engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"no {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is not None:
        _browser_setup()
    if item.get_closest_marker("docker") is None or engine_answers():
        return
    if REQUIRE_DOCKER:
        pytest.fail("no Docker engine answers, and CI (or LAB_REQUIRE_DOCKER=1) forbids skipping")
    pytest.skip("no Docker engine answers (docker tests run in CI)")


def _browser_setup() -> None:
    missing = browser_missing()
    if missing is None:
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"{missing}, and CI (or LAB_REQUIRE_BROWSER=1) forbids skipping")
    pytest.skip(f"{missing} (browser tests run in CI)")


def _required_markers() -> list[str]:
    return [marker for marker, required in (("docker", REQUIRE_DOCKER),
                                            ("browser", REQUIRE_BROWSER)) if required]


def _forbidden_skips(stats: dict[str, list[object]], marker: str) -> list[object]:
    return [report for report in stats.get("skipped", [])
            if marker in getattr(report, "keywords", {})]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when a docker or browser test was skipped where that is not allowed."""
    for marker in _required_markers():
        skipped = _forbidden_skips(terminalreporter.stats, marker)
        if skipped:
            terminalreporter.write_line(
                f"error: {len(skipped)} {marker} tests were skipped; CI requires them to run",
                red=True,
            )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    if any(_forbidden_skips(reporter.stats, marker) for marker in _required_markers()):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def lab_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with its own LAB_HOME (keys, progress, caches), never the user's."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path_factory.mktemp("lab-home")))
    # A developer's own settings must not leak into the tests.
    for variable in ("LAB_STUDENT", "LAB_WORKSPACE", "LAB_IMAGES", "LAB_IMAGE_PREFIX",
                     "LAB_EXERCISES", "LAB_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(autouse=True)
def fresh_engine() -> Iterator[None]:
    """Each test's engine is made from its own environment on first use (DOCKER_HOST as the
    test set it), as a new `lab` process's would be, never one an earlier test made."""
    with engine.using(None):
        yield
