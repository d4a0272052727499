"""The tutorial site as a learner sees it: `lab docs` serving it, Debian's chromium reading it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.docs.hooks import exercises
from lab.exercises.schema import Exercise

pytestmark = pytest.mark.browser

# Kept after the run (and ignored by git), so a person can look at what the test saw.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# As root in a closed network: no sandbox, and no background connections that would be
# refused (see the machine notes); a fresh profile every run.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVE_TIMEOUT = 120  # seconds for `lab docs` to build the site and answer
EXERCISES = exercises()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`lab docs --no-browser --port P` in its own lab home, as a learner would run it."""
    port = _free_port()
    home = tmp_path_factory.mktemp("docs-home")
    process = subprocess.Popen(
        [sys.executable, "-m", "lab", "docs", "--no-browser", "--port", str(port)],
        env={**os.environ, "LAB_HOME": str(home)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_served(process, url)
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: how a learner stops it
        output, _ = process.communicate(timeout=30)
    assert "Stopped serving the tutorial." in output, output


def _wait_until_served(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while not _answers(url):
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"`lab docs` exited with {process.returncode}: {output}")
        if time.monotonic() > deadline:
            pytest.fail(f"`lab docs` did not answer on {url} within {SERVE_TIMEOUT} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        page.close()


def _screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _title(exercise: Exercise) -> str:
    return exercise.readme.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()


def test_the_home_page_shows_the_lab_and_its_first_command(site: str, page: Any) -> None:
    page.goto(site)
    assert page.title() == "immutable-lab"
    assert page.locator("article h1").inner_text().rstrip("¶") == "immutable-lab"
    code = page.locator("pre code").all_inner_texts()
    assert any("lab start" in block for block in code), code
    assert page.locator(".md-tabs__link", has_text="Exercises").count() == 1
    _screenshot(page, "home")


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.id for e in EXERCISES])
def test_an_exercise_page_renders_with_folded_hints(
    site: str, page: Any, exercise: Exercise
) -> None:
    page.goto(f"{site}exercises/{exercise.id}/")
    assert page.title() == f"{_title(exercise)} - immutable-lab"
    code = page.locator("article pre code").all_text_contents()
    assert any(line.startswith("lab ") or "$ lab " in line
               for block in code for line in block.splitlines()), code
    hints = page.locator("article details.tip")
    assert hints.count() == len(exercise.spec.hints)
    if exercise.spec.hints:
        assert hints.first.get_attribute("open") is None  # folded until asked
        assert not hints.first.locator("p").first.is_visible()
        hints.first.locator("summary").click()
        assert hints.first.locator("p").first.is_visible()
    if exercise.spec.solution:
        spoiler = page.locator("article details.success", has_text="reference solution")
        assert spoiler.get_attribute("open") is None
        first_line = exercise.spec.solution_lines()[0].splitlines()[0]
        assert first_line in (spoiler.locator("pre code").text_content() or "")
    _screenshot(page, f"exercise-{exercise.id}")


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.id for e in EXERCISES])
def test_search_finds_an_exercise_by_a_word_of_its_text(
    site: str, page: Any, exercise: Exercise
) -> None:
    word = _title(exercise).split()[-1]  # "01 · Your first fleet" -> "fleet"
    page.goto(site)
    page.locator("input.md-search__input").click()
    page.keyboard.type(word, delay=30)  # Material searches on key presses, as a person types
    results = ".md-search-result__item > a.md-search-result__link"
    page.locator(results).first.wait_for()
    # Material re-renders the list while it searches: read every link in one step, until
    # the exercise shows up or the results stop changing for good.
    links: list[str] = []
    for _ in range(50):
        links = page.eval_on_selector_all(results, "links => links.map(a => a.href)")
        if any(f"exercises/{exercise.id}/" in link for link in links):
            break
        page.wait_for_timeout(200)
    assert any(f"exercises/{exercise.id}/" in link for link in links), links
    _screenshot(page, f"search-{exercise.id}")


def test_the_dark_palette_follows_the_system(site: str, chromium: Any) -> None:
    page = chromium.new_page()
    try:
        # Material remembers the palette a page last used; forget it before its scripts run.
        page.add_init_script("localStorage.clear()")
        page.emulate_media(color_scheme="dark")
        page.goto(site + "concepts/deployment-strategies/")
        scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert scheme == "slate"
        assert page.locator(".tabbed-labels label").count() == 6  # one content tab each
        _screenshot(page, "deployment-strategies-dark")
    finally:
        page.evaluate("localStorage.clear()")
        page.close()
