"""A learner's report file: read as server -> answer, with one-sentence errors a learner can act
on when it is missing, not YAML, or not shaped as the tutorial says."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.checks.report import ReportError, as_list, read_report

SERVERS = ["web1", "web2", "web3"]


def report(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.yaml"
    path.write_text(text)
    return path


def test_entries_come_by_server_and_a_server_left_out_is_absent(tmp_path: Path) -> None:
    path = report(tmp_path, "# notes\nweb1: upgraded\nweb3: [a, b]\n")
    assert read_report(path, SERVERS) == {"web1": "upgraded", "web3": ["a", "b"]}


def test_an_empty_report_has_no_entries(tmp_path: Path) -> None:
    assert read_report(report(tmp_path, "# nothing yet\n"), SERVERS) == {}


@pytest.mark.parametrize(("text", "message"), [
    ("web1: - x\n  y: [\n", "report.yaml is not valid YAML: line 1: "),
    ("- web1\n", "report.yaml must map each server to what you found, one server a line, "
                 "like 'web1: ...'"),
    ("web1: ok\nweb9: ok\ndb: ok\n", "report.yaml names web9, db, which this exercise does "
                                     "not have; its servers are web1, web2, web3"),
])
def test_a_malformed_report_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        read_report(report(tmp_path, text), SERVERS)
    assert str(caught.value).startswith(message)


def test_a_missing_report_says_where_it_is_expected(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"there is no report\.yaml in your workspace"):
        read_report(tmp_path / "report.yaml", SERVERS)


@pytest.mark.parametrize(("value", "lines"), [
    (None, []), ([], []), ("held tree", ["held tree"]), (["a", "b"], ["a", "b"]),
    ({"a": "b"}, None), ([1, 2], None),
])
def test_an_entry_as_lines(value: object, lines: list[str] | None) -> None:
    assert as_list(value) == lines
