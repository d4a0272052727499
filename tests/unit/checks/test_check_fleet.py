"""The fleet check: the same probe output everywhere, and the odd server out named."""

from __future__ import annotations

from tests.unit.checks.fakes import FakeExecutor, make_check, reasons, verdicts

SERVERS = ["web1", "web2", "web3"]
SAME_MOTD = {"kind": "fleet", "command": "sha256sum /etc/motd"}


def digest(prefix: str) -> str:
    return f"{prefix * 32}  /etc/motd\n"


def test_identical_output_passes_on_every_server() -> None:
    fake = FakeExecutor().when("sha256sum", stdout=digest("ab"))
    results = verdicts(make_check(SAME_MOTD), fake, SERVERS)
    assert [result.ok for result in results] == [True, True, True]
    assert results[0].reason.startswith("web1: same output as web2, web3")


def test_the_server_that_differs_fails_and_shows_what_it_printed() -> None:
    fake = FakeExecutor().when("sha256sum", stdout=digest("ab"))
    fake.when("sha256sum", stdout=digest("cd"), server="web2")
    results = verdicts(make_check(SAME_MOTD), fake, SERVERS)
    assert [result.ok for result in results] == [True, False, True]
    assert results[1].reason == (
        "web2: `sha256sum /etc/motd` differs from web1, web3: "
        "expected 'abababababababababababababababababababa…', "
        "found 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdc…'"
    )


def test_when_all_differ_the_first_server_is_the_reference() -> None:
    fake = FakeExecutor()
    for server, prefix in zip(SERVERS, ["aa", "bb", "cc"], strict=True):
        fake.when("sha256sum", stdout=digest(prefix), server=server)
    results = verdicts(make_check(SAME_MOTD), fake, SERVERS)
    assert [result.ok for result in results] == [True, False, False]
    assert "differs from web1" in results[2].reason


def test_a_failing_probe_fails_that_server_only() -> None:
    fake = FakeExecutor().when("sha256sum", stdout=digest("ab"))
    fake.when(
        "sha256sum",
        exit_code=1,
        stderr="sha256sum: /etc/motd: No such file or directory",
        server="web3",
    )
    results = verdicts(make_check(SAME_MOTD), fake, SERVERS)
    assert [result.ok for result in results] == [True, True, False]
    assert reasons(results)[2] == (
        "web3: `sha256sum /etc/motd` failed (exit 1): sha256sum: /etc/motd: No such file or "
        "directory"
    )
