"""lab.authoring.testing, what an exercise author unit-tests checks with: fake servers that
answer as Host reads them, a context over them as `lab check` gives it, and checks.py loaded
as the lab loads it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab.authoring import (
    Change,
    Deployment,
    Drift,
    Event,
    ExecResult,
    HttpResult,
    NotAvailable,
)
from lab.authoring.testing import FakeFleet, fake_context, load_checks
from tests.helpers import EXERCISES

START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def test_a_scripted_file_reads_as_host_file_reads_it() -> None:
    web1 = FakeFleet().file("web1", "/etc/my banner", "hello\n", mode="600").host("web1")
    banner = web1.file("/etc/my banner")
    assert (banner.exists, banner.is_file, banner.mode, banner.content) == (
        True, True, "0600", "hello\n")
    assert banner.sha256 == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    nothing = FakeFleet().file("web1", "/etc/banner", None).host("web1").file("/etc/banner")
    assert not nothing.exists


def test_scripted_packages_are_all_dpkg_knows() -> None:
    fleet = FakeFleet().package("web1", "webapp", "2.0").package("web1", "libwebapp", "1.0",
                                                                    status="hi")
    web1 = fleet.host("web1")
    assert (web1.package("webapp").version, web1.package("libwebapp").held) == ("2.0", True)
    assert not web1.package("tree").installed
    assert sorted(web1.packages()) == ["libwebapp", "webapp"]
    assert sorted(web1.packages("webapp", "tree")) == ["webapp"]


def test_scripted_processes_and_ports_are_what_runs_and_listens() -> None:
    web1 = FakeFleet().service("web1", "nginx", "webapp-server-long-name").listening(
        "web1", 80, 8080).host("web1")
    assert web1.service("nginx").running and web1.service("webapp-server-long-name").running
    assert not web1.service("apache2").running
    assert web1.listening(8080) and not web1.listening(443)


def test_servers_answer_their_own_commands_and_are_judged_in_the_exercise_s_order() -> None:
    ctx = fake_context({"web3": {"uptime": "up 1 day"}, "web1": {"uptime": ExecResult(1)}},
                       pages={"web1": {"/": "hi"}}, exercise=EXERCISES / "01-first-fleet")
    assert ctx.servers == ("web1", "web3")
    assert [host.run("uptime").ok for host in ctx.hosts()] == [False, True]
    assert ctx.host("web1").http("/") == HttpResult(200, "hi")
    assert ctx.exercise_id == "01-first-fleet"
    with pytest.raises(ValueError, match="01-first-fleet has no server web9"):
        fake_context(["web9"], exercise=EXERCISES / "01-first-fleet")


def test_records_are_given_as_values() -> None:
    deployment = Deployment(1, "deploy", "lab-learner/app:v1", "sha256:1", "one-at-a-time", START)
    kill = Event(START, "kill", "web2")
    scratch = FakeFleet().when("cat /etc/os-release", "ID=debian\n")
    edited = Drift("web2", (Change("file-changed", "/etc/motd"),))
    ctx = fake_context(["web1", "web2"], history=[deployment, kill], drift=[edited],
                       balancer=FakeFleet().host("lb"), scratch=scratch)
    assert (ctx.history().deployments, ctx.history().events) == ((deployment,), (kill,))
    assert [drift.identical for drift in ctx.drift()] == [True, False]
    assert ctx.balancer() is not None
    with ctx.scratch() as fresh:
        assert fresh.run("cat /etc/os-release").stdout == "ID=debian\n"


def test_a_source_not_given_says_what_the_check_asked_for() -> None:
    with pytest.raises(NotAvailable, match="the learner's images is not available"):
        fake_context().latest_build()


def test_every_exercise_may_name_its_module_checks(tmp_path: Path) -> None:
    for number in ("01", "02"):
        (tmp_path / number).mkdir()
        (tmp_path / number / "checks.py").write_text(f"NUMBER = {number!r}\n")
    assert [load_checks(tmp_path / number).NUMBER for number in ("01", "02")] == ["01", "02"]
