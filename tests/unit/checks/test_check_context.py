"""The CheckContext a custom check gets: its servers as hosts, side by side; the learner's
images and history through the sources the lab gives it; a clear error for one not given."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from lab.checks.context import NotAvailable
from lab.checks.executor import ExecResult
from lab.checks.records import Deployment, History
from lab.checks.views import Image
from tests.unit.checks.fakes import FakeExecutor, context

START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def test_each_asks_every_server_at_once_and_answers_in_server_order() -> None:
    everyone_there = threading.Barrier(3, timeout=5)

    def meet() -> ExecResult:
        everyone_there.wait()
        return ExecResult(0, "up")

    fake = FakeExecutor().when_called("uptime", meet)
    names = context(fake).each(lambda host: f"{host.name} {host.run('uptime').stdout}")
    assert names == ["web1 up", "web2 up", "web3 up"]


def test_the_newest_build_of_this_exercise_is_the_latest() -> None:
    images = [Image("sha256:3", "lab-learner/app:v3", exercise="02-other"),
              Image("sha256:2", "lab-learner/app:v2", exercise="01-test"),
              Image("sha256:1", "lab-learner/app:v1", exercise="01-test")]
    ctx = context(images=lambda: images)
    latest = ctx.latest_build()
    assert latest is not None and latest.id == "sha256:2"
    assert latest.named == "lab-learner/app:v2 (2)"
    assert context(images=lambda: []).latest_build() is None


def test_a_source_the_context_was_not_given_is_named() -> None:
    with pytest.raises(NotAvailable, match="the deployment history is not available"):
        context().history()


def test_the_start_mark_is_when_the_servers_were_brought_up() -> None:
    assert context(marks={"start": START}).started_at == START
    assert context().started_at is None


def deployment(number: int, kind: str = "deploy", result: str = "succeeded",
               strategy: str = "one-at-a-time") -> Deployment:
    return Deployment(number, kind, f"lab-learner/app:v{number}", f"sha256:{number:064d}",
                      strategy, START + timedelta(minutes=number), result=result)


def test_a_history_is_read_since_a_moment_and_searched() -> None:
    history = History((deployment(1), deployment(2, result="failed"),
                       deployment(3, kind="rollback")))
    assert [item.number for item in history.since(START + timedelta(minutes=2)).deployments] \
        == [2, 3]
    assert [item.number for item in history.find(kind="deploy")] == [1, 2]
    assert history.last_good(before=3) == history.deployments[0]
    assert history.deployments[1].named == "#2 (lab-learner/app:v2, 000000000000)"
