"""`ctx.each(fn)`: every server at once, and a server that cannot be asked fails its own line
rather than hiding every other server's verdict."""

from __future__ import annotations

import pytest

from lab.authoring import CheckError, Host, Verdict, failed, passed
from lab.authoring.testing import FakeFleet, fake_context
from lab.errors import EngineError

WEBS = {"web1": {}, "web2": {}, "web3": {}}


def uptime(host: Host) -> Verdict:
    result = host.run("uptime")
    return passed(f"{host.name}: up") if result.ok else failed(f"{host.name}: down")


def stopped(server: str) -> FakeFleet:
    def refuse() -> None:
        raise EngineError(f"container of {server} is not running", "`lab start` restarts it")
    return FakeFleet().when("uptime").when_called("uptime", refuse, server=server)


def test_a_server_that_cannot_be_asked_fails_its_line_and_the_others_are_judged() -> None:
    ctx = fake_context(WEBS, fleet=stopped("web2").when("uptime", exit_code=1, server="web3"))
    assert ctx.each(uptime) == [
        (True, "web1: up"),
        (False, "web2: could not check: container of web2 is not running. `lab start` "
                "restarts it"),
        (False, "web3: down"),
    ]


def test_when_every_server_raises_the_annotation_says_the_function_gives_verdicts() -> None:
    def broken(host: Host) -> Verdict:
        raise CheckError(f"cannot read /proc on {host.name}")

    assert fake_context(WEBS).each(broken)[1] == (
        False, "web2: could not check: cannot read /proc on web2")


def test_values_other_than_verdicts_raise_once_every_server_was_asked() -> None:
    fleet = stopped("web1")
    with pytest.raises(EngineError, match="container of web1 is not running"):
        fake_context(WEBS, fleet=fleet).each(lambda host: host.run("uptime").stdout)
    assert sorted(server for server, _ in fleet.calls) == ["web1", "web2", "web3"]
