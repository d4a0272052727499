"""The package check: what a learner reads when a package is missing, broken or outdated."""

from __future__ import annotations

from lab.checks.package import describe_state
from tests.unit.checks.fakes import FakeExecutor, make_check, reasons, verdicts

TREE = {"kind": "package", "name": "tree"}
NOT_FOUND = "dpkg-query: no packages found matching tree\n"


def test_installed_everywhere_passes_and_names_the_version() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="ii |tree|2.1.0-1\n")
    results = verdicts(make_check(TREE), fake, ["web1", "web2"])
    assert all(result.ok for result in results)
    assert reasons(results) == [
        "web1: tree 2.1.0-1 is installed",
        "web2: tree 2.1.0-1 is installed",
    ]


def test_missing_package_names_the_server_and_what_dpkg_said() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="ii |tree|2.1.0-1\n")
    fake.when("dpkg-query", exit_code=1, stderr=NOT_FOUND, server="web2")
    web1, web2 = verdicts(make_check(TREE), fake, ["web1", "web2"])
    assert web1.ok
    assert not web2.ok
    assert web2.server == "web2"
    assert web2.reason == "web2: tree is not installed (dpkg: no such package)"


def test_a_package_with_an_architecture_is_found_under_its_name() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="ii |libc6|2.36-9\n")
    [result] = verdicts(make_check({"kind": "package", "name": "libc6:amd64"}), fake)
    assert result.reason == "web1: libc6:amd64 2.36-9 is installed"
    assert fake.calls[0][1].endswith(" libc6:amd64")


def test_a_name_that_is_not_a_word_is_shell_quoted() -> None:
    fake = FakeExecutor().when("dpkg-query", exit_code=1, stderr=NOT_FOUND)
    [result] = verdicts(make_check({"kind": "package", "name": "tree; reboot"}), fake)
    assert not result.ok
    assert fake.calls[0][1].endswith(" 'tree; reboot'")


def test_half_configured_package_says_its_postinst_failed() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="iF |webapp|1.0-1\n")
    [result] = verdicts(make_check({"kind": "package", "name": "webapp"}), fake)
    assert not result.ok
    assert result.reason == (
        "web1: webapp is half-configured (its postinst failed) (dpkg state iF), "
        "expected installed (ii)"
    )
    assert result.found == "iF 1.0-1"


def test_wrong_version_shows_found_and_expected() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="ii |tree|1.0-1\n")
    [result] = verdicts(make_check({**TREE, "version": "2.0-1"}), fake)
    assert not result.ok
    assert result.reason == "web1: tree 1.0-1 is there, expected version 2.0-1"


def test_absent_accepts_a_removed_package_and_rejects_an_installed_one() -> None:
    absent = make_check({**TREE, "state": "absent"})
    removed = FakeExecutor().when("dpkg-query", stdout="rc |tree|2.1.0-1\n")
    installed = FakeExecutor().when("dpkg-query", stdout="ii |tree|2.1.0-1\n")
    assert verdicts(absent, removed)[0].ok
    [result] = verdicts(absent, installed)
    assert not result.ok
    assert result.reason == "web1: tree 2.1.0-1 is installed, expected it not installed"


def test_a_failing_dpkg_query_is_reported_not_mistaken_for_absence() -> None:
    fake = FakeExecutor().when("dpkg-query", exit_code=127, stderr="sh: dpkg-query: not found")
    [result] = verdicts(make_check({**TREE, "state": "absent"}), fake)
    assert not result.ok
    assert result.reason == "web1: dpkg-query failed (exit 127): sh: dpkg-query: not found"


def test_a_status_is_described_in_words() -> None:
    assert describe_state("iHR") == "half-installed (unpacking failed), reinstall required"


def test_a_reinstall_required_flag_fails_an_installed_check() -> None:
    fake = FakeExecutor().when("dpkg-query", stdout="iiR|webapp|2.0\n")
    [result] = verdicts(make_check({"kind": "package", "name": "webapp"}), fake)
    assert not result.ok
    assert result.reason == ("web1: webapp is installed, reinstall required (dpkg state iiR), "
                             "expected installed (ii)")
