"""Exercise 12's check: the learner's table against their own recorded deployments."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest

from lab.checks.base import CheckContext
from lab.deploy.state import Deployment, FleetState

FOLDER = Path(__file__).resolve().parents[3] / "exercises" / "12-deployment-strategies"
NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def checks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("checks_12", FOLDER / "checks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def deployment(number: int, strategy: str, result: str, failed: int = 0, mixed: float = 0.0,
               fewest: int = 4, replaced: tuple[str, ...] = ()) -> Deployment:
    return Deployment(number=number, image="lab-x/app:v2", image_id="sha256:ab",
                      strategy=strategy, started_at=NOW, finished_at=NOW, result=result,
                      replaced=replaced,
                      summary={"failed": failed, "mixed_seconds": mixed, "min_backends": fewest})


STATE = FleetState(deployments=(
    deployment(1, "rolling", "succeeded", mixed=4.5, fewest=3,
               replaced=("web1", "web2", "web3", "web4")),
    deployment(2, "rolling", "failed", replaced=("web1",)),
    deployment(3, "immutable", "succeeded", mixed=1.0, replaced=("web1", "web2")),
))


def verdicts(table: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, str]]:
    module = checks()
    monkeypatch.setattr(module, "history", lambda context: STATE)
    (tmp_path / "strategies.yaml").write_text(table)
    context = CheckContext(FOLDER, workspace=tmp_path)
    return list(module.table_matches_history(None, [], context))


def test_a_row_that_says_what_the_history_says_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = ("rolling: {zero_downtime: yes, failed_release_kept_old_servers: no, "
             "two_versions_served: yes, fewest_backends: 3}\n")
    found = dict((text.split(":")[0], (ok, text))
                 for ok, text in verdicts(table, tmp_path, monkeypatch))
    assert found["rolling"][0], found["rolling"]
    assert not found["all-at-once"][0]
    assert "not filled in yet" in found["all-at-once"][1]


def test_a_wrong_cell_is_named_with_the_deployments_that_say_otherwise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = ("rolling: {zero_downtime: yes, failed_release_kept_old_servers: yes, "
             "two_versions_served: yes, fewest_backends: 3}\n")
    rolling = verdicts(table, tmp_path, monkeypatch)[1]
    assert rolling == (False, "rolling: failed_release_kept_old_servers is yes, but "
                              "deployments #1 and #2 say no")


def test_a_strategy_not_deployed_both_ways_fails_even_when_filled_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = ("immutable: {zero_downtime: yes, failed_release_kept_old_servers: yes, "
             "two_versions_served: yes, fewest_backends: 4}\n")
    immutable = verdicts(table, tmp_path, monkeypatch)[3]
    assert not immutable[0]
    assert "no measured deployment of a bad release that failed" in immutable[1]


def test_a_name_that_is_no_strategy_is_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert verdicts("canary: {}\n", tmp_path, monkeypatch) == [
        (False, "strategies.yaml names canary, which is not a strategy: use all-at-once, "
                "rolling, rolling-batch, immutable, traffic-split, blue-green")]


def test_the_starter_table_is_all_unfilled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = (FOLDER / "workspace" / "strategies.yaml").read_text()
    found = verdicts(table, tmp_path, monkeypatch)
    assert len(found) == 6 and all(not ok and "not filled in yet" in text for ok, text in found)
