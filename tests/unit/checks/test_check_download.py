"""The `download` check: what each server downloaded from the repository, read from its access
log; `downloaded` says which way the goal points, and exercise.yaml must say it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.checks.views import Request
from lab.errors import LabError
from lab.exercises.loader import load_exercise
from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts

LOG = [Request("web1", 200, "/pool/webapp_2.0_all.deb"),
       Request("web2", 444, "/pool/webapp_2.0_all.deb"),
       Request("web2", 200, "/pool/libwebapp_1.0_all.deb"),
       Request("web3", 304, "/Release")]


def downloads(fields: dict[str, Any]) -> list[tuple[bool, str]]:
    check = make_check({"kind": "download", "package": "webapp", **fields},
                       repository_log=lambda: LOG)
    return [(result.ok, result.reason)
            for result in verdicts(check, FakeExecutor(), ["web1", "web2", "web3"])]


def test_no_server_downloaded_a_package_unless_the_repository_delivered_it() -> None:
    assert downloads({"downloaded": False,
                      "remedy": "replace it instead: `lab deploy v2`"}) == [
        (False, "web1: downloaded webapp_2.0_all.deb from the repository: replace it "
                "instead: `lab deploy v2`"),
        (True, "web2: never downloaded webapp from the repository"),
        (True, "web3: never downloaded webapp from the repository"),
    ]


def test_each_server_downloaded_one_version() -> None:
    assert downloads({"version": "2.0", "downloaded": True}) == [
        (True, "web1: downloaded webapp_2.0_all.deb from the repository"),
        (False, "web2: never downloaded webapp 2.0 from the repository"),
        (False, "web3: never downloaded webapp 2.0 from the repository"),
    ]


def test_an_exercise_must_say_whether_the_package_was_to_be_downloaded(tmp_path: Path) -> None:
    folder = tmp_path / "07-my-exercise"
    folder.mkdir()
    (folder / "exercise.yaml").write_text(
        "format_version: 1\nid: 07-my-exercise\ntitle: t\nsummary: s\n"
        "servers:\n  - name: web\n    count: 2\n"
        "checks:\n  - kind: download\n    goal: no server downloaded webapp\n"
        "    package: webapp\n")
    with pytest.raises(LabError) as raised:
        load_exercise(folder)
    assert raised.value.line().endswith(
        "exercise.yaml:9: checks[0].downloaded: required field is missing")
