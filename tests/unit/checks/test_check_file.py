"""The file check: missing files, wrong modes, different content, each said plainly."""

from __future__ import annotations

from lab.checks.file import octal_mode
from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts

MOTD = {"kind": "file", "path": "/etc/motd"}
DIGEST_AB = "ab12" + "0" * 60
DIGEST_CD = "cd34" + "0" * 60


def regular_file(mode: str = "644", content: str = "Managed by immutable-lab\n") -> FakeExecutor:
    fake = FakeExecutor().when("stat", stdout=f"{mode} regular file\n")
    return fake.when("cat", stdout=content).when("sha256sum", stdout=f"{DIGEST_AB}  /etc/motd\n")


def test_a_missing_file_says_so() -> None:
    fake = FakeExecutor().when(
        "stat", exit_code=1, stderr="stat: cannot statx '/etc/motd': No such file or directory"
    )
    [result] = verdicts(make_check(MOTD), fake)
    assert not result.ok
    assert result.reason == "web1: /etc/motd does not exist"


def test_a_file_expected_absent_passes_when_missing_and_fails_when_present() -> None:
    absent = make_check({**MOTD, "exists": False})
    missing = FakeExecutor().when("stat", exit_code=1, stderr="No such file or directory")
    assert verdicts(absent, missing)[0].ok
    [present] = verdicts(absent, regular_file())
    assert present.reason == "web1: /etc/motd exists, expected it to be absent"


def test_a_file_with_everything_expected_passes() -> None:
    check = make_check({**MOTD, "contains": "Managed by", "mode": "0644", "sha256": DIGEST_AB})
    [result] = verdicts(check, regular_file())
    assert result.ok
    assert result.reason.startswith("web1: /etc/motd exists, contains 'Managed by', has mode 0644")


def test_different_content_shows_both_digests() -> None:
    fake = regular_file().when("sha256sum", stdout=f"{DIGEST_CD}  /etc/motd\n", server="web3")
    results = verdicts(make_check({**MOTD, "sha256": DIGEST_AB}), fake, ["web1", "web3"])
    assert [result.ok for result in results] == [True, False]
    assert results[1].reason == (
        "web3: /etc/motd differs: expected sha256 ab1200000000…, found cd3400000000…"
    )


def test_every_problem_is_listed_not_just_the_first() -> None:
    check = make_check({**MOTD, "mode": "0644", "contains": "Managed by immutable-lab"})
    [result] = verdicts(check, regular_file(mode="600", content="hello\n"))
    assert result.reason == (
        "web1: /etc/motd has mode 0600, expected 0644; "
        "/etc/motd does not contain 'Managed by immutable-lab'"
    )


def test_a_directory_where_a_file_is_expected() -> None:
    fake = FakeExecutor().when("stat", stdout="755 directory\n")
    [result] = verdicts(make_check({**MOTD, "contains": "x"}), fake)
    assert result.reason == "web1: /etc/motd is a directory, expected a regular file"


def test_an_empty_file_is_still_a_regular_file() -> None:
    [result] = verdicts(
        make_check({**MOTD, "contains": ""}),
        FakeExecutor().when("stat", stdout="644 regular empty file").when("cat", stdout=""),
    )
    assert result.ok


def test_modes_compare_however_they_are_written() -> None:
    assert octal_mode("644") == octal_mode("0644") == "0644"
    assert octal_mode("4755") == "4755"
