"""Host and its modules: a server's packages, files, services and pages, as a custom check
reads them, over a scripted executor."""

from __future__ import annotations

import pytest

from lab.checks.executor import HttpResult
from lab.checks.host import CheckError, Host
from tests.unit.checks.fakes import FakeExecutor, context, server_info
from tests.unit.checks.test_check_service import COMM, PROC_NET_TCP

NOT_FOUND = "dpkg-query: no packages found matching tree\n"


def host(fake: FakeExecutor) -> Host:
    return Host("web1", fake)


def test_a_package_reads_state_version_and_hold() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="hi |libwebapp|1.0\n")
    package = host(fake).package("libwebapp")
    assert (package.installed, package.healthy, package.held, package.version) == (
        True, True, True, "1.0")
    assert package.describe() == "installed, on hold"
    assert "libwebapp" in fake.calls[0][1]


def test_a_package_dpkg_never_heard_of_is_not_installed() -> None:
    fake = FakeExecutor().when("dpkg-query", exit_code=1, stderr=NOT_FOUND)
    package = host(fake).package("tree")
    assert not package.installed
    assert (package.version, package.describe()) == ("", "not installed")


def test_packages_leaves_out_the_names_dpkg_does_not_know() -> None:
    fake = FakeExecutor().when("dpkg-query", exit_code=1, stderr=NOT_FOUND,
                               stdout="ii |webapp|2.0\niF |libwebapp|1.1\n")
    found = host(fake).packages("webapp", "libwebapp", "tree")
    assert sorted(found) == ["libwebapp", "webapp"]
    assert found["libwebapp"].describe() == "half-configured (its postinst failed)"


def test_dpkg_failing_otherwise_is_an_error_naming_the_server() -> None:
    fake = FakeExecutor().when("dpkg-query", exit_code=2, stderr="dpkg: database locked\n")
    with pytest.raises(CheckError, match=r"web1: dpkg-query failed \(dpkg: database locked\)"):
        host(fake).package("webapp")


def test_a_file_exists_with_its_mode_content_and_digest() -> None:
    fake = (FakeExecutor().when("stat", stdout="644 regular file\n")
            .when("cat --", stdout="hello\n").when("sha256sum", stdout="\\ab12  /etc/motd\n"))
    motd = host(fake).file("/etc/motd")
    assert (motd.exists, motd.is_file, motd.mode) == (True, True, "0644")
    assert (motd.content, motd.sha256) == ("hello\n", "ab12")


def test_a_missing_file_does_not_exist_and_has_no_mode() -> None:
    fake = FakeExecutor().when("stat", exit_code=1, stderr="stat: No such file or directory")
    missing = host(fake).file("/etc/nope")
    assert not missing.exists
    assert missing.type == ""
    with pytest.raises(CheckError, match="web1: /etc/nope does not exist"):
        _ = missing.mode


def test_an_unreadable_file_is_an_error_with_the_reason() -> None:
    fake = FakeExecutor().when("cat --", exit_code=1, stderr="cat: /etc/shadow: Permission denied")
    with pytest.raises(CheckError, match="cannot read /etc/shadow: cat: /etc/shadow: Permission"):
        _ = host(fake).file("/etc/shadow").content


def test_a_service_runs_and_ports_listen() -> None:
    fake = FakeExecutor().when("comm", stdout=COMM).when("/proc/net/tcp", stdout=PROC_NET_TCP)
    web1 = host(fake)
    assert web1.service("nginx").running
    assert not web1.service("apache2").running
    assert web1.listening(80) and not web1.listening(8080)


def test_a_page_that_does_not_answer_has_status_0_and_says_why() -> None:
    fake = FakeExecutor(pages={("web1", 80, "/"): HttpResult(200, "hi")})
    assert host(fake).http("/").body == "hi"
    nothing = host(fake).http("/health", 8080)
    assert (nothing.status, nothing.answered) == (0, False)
    assert nothing.error == "nothing scripted for /health"


def test_a_request_may_carry_a_method_and_a_body() -> None:
    fake = FakeExecutor(pages={("web1", 80, "/entries/x"): HttpResult(201)})
    assert host(fake).http("/entries/x", method="PUT", body=b"hello").status == 201
    assert fake.requests == [("web1", "PUT", "/entries/x", b"hello")]


def test_info_is_asked_once_per_read_so_a_redeployed_server_shows_its_new_container() -> None:
    fake = FakeExecutor(infos={name: server_info(name, container_id=f"{name}-old")
                               for name in ("web1", "web2", "web3")})
    ctx = context(fake)
    assert [info.container_id for info in ctx.each(lambda host: host.info)] == [
        "web1-old", "web2-old", "web3-old"]
    assert sorted(fake.asked) == ["web1", "web2", "web3"]
    web1 = ctx.host("web1")
    fake.infos["web1"] = server_info("web1", container_id="web1-new")  # `lab deploy` ran
    assert web1.info.container_id == "web1-new"
