"""Shared test set-up: the `docker` marker's skip-or-fail rule and the lab's environment.

Locally a docker test skips when no engine answers. With LAB_REQUIRE_DOCKER=1 (set by
.ci/run) a docker test that did not run is a failure: the run must prove the real thing.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache

import pytest

REQUIRE_DOCKER = os.environ.get("LAB_REQUIRE_DOCKER") == "1"


@lru_cache(maxsize=1)
def engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None or engine_answers():
        return
    if REQUIRE_DOCKER:
        pytest.fail("no Docker engine answers, and LAB_REQUIRE_DOCKER=1 forbids skipping")
    pytest.skip("no Docker engine answers (docker tests run in CI)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when a docker test was skipped where that is not allowed."""
    if not REQUIRE_DOCKER:
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "docker" in getattr(report, "keywords", {})
    ]
    if skipped:
        terminalreporter.write_line(
            f"error: {len(skipped)} docker tests were skipped; CI requires them to run",
            red=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not REQUIRE_DOCKER or reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if "docker" in r.keywords]
    if skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def lab_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with its own LAB_HOME (keys, progress, caches), never the user's."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path_factory.mktemp("lab-home")))
    monkeypatch.delenv("LAB_STUDENT", raising=False)
