"""Deployments under the probe on a fake engine and a scripted probe (exercise 12: four servers
behind the balancer), through `roll_out` as `lab deploy` and `lab rollback` run them: what the
record, the measurement shown to the learner (its --json and a drawing's title) and the
history call a blue/green switch back, how many servers each strategy ran at once, and the
fingerprint of the learner's predictions taken when a measured deployment begins."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab.cli.deploy_views import measured_json
from lab.deploy import strategies, under_traffic
from lab.deploy.rollout import PREDICTIONS, roll_out
from lab.deploy.state import StateStore
from lab.deploy.strategies import Options
from lab.deploy.traffic import ProbeRecord, Sample
from lab.deploy.under_traffic import Measured
from lab.settings import Settings
from tests.unit.deploy.fake_engine import FakeEngine, start

EXERCISE = "12-deployment-strategies"
OLD, GOOD = "immutable-lab/server:latest", "sha256:good"


class ScriptedProbe:
    """The probe's clock and record without HTTP: every request answered 200 by "1.0"."""

    def __init__(self, url: str, rate: float = 50.0) -> None:
        self.rate, self.clock = rate, 0.0

    def start(self) -> None:
        pass

    def now(self) -> float:
        self.clock += 0.01
        return self.clock

    def stop(self) -> ProbeRecord:
        samples = tuple(Sample(at / 10, at / 10, 0.001, 200, "1.0") for at in range(10))
        return ProbeRecord(self.rate, datetime.now(timezone.utc), self.clock, samples)


@pytest.fixture(autouse=True)
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strategies, "DRAIN_SECONDS", 0)
    monkeypatch.setattr(under_traffic, "LEAD_SECONDS", 0)
    monkeypatch.setattr(under_traffic, "TAIL_SECONDS", 0)
    monkeypatch.setattr(under_traffic, "Probe", ScriptedProbe)
    monkeypatch.setattr(under_traffic.balancer, "url", lambda info: "http://127.0.0.1:9")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "home", "learner")


@pytest.fixture
def engine(settings: Settings) -> FakeEngine:
    made = FakeEngine()
    start(settings, EXERCISE, made)
    return made


def deploy(settings: Settings, engine: FakeEngine, strategy: str,
           shown: list[Measured]) -> None:
    roll_out(settings, GOOD, "lab-learner/app:v2", lambda _: None,
             options=Options(strategy), on_measured=shown.append, engine=engine)


def test_a_switch_back_is_recorded_shown_and_titled_as_one_not_as_rolling(
        settings: Settings, engine: FakeEngine) -> None:
    shown: list[Measured] = []
    deploy(settings, engine, "blue-green", shown)

    back = roll_out(settings, OLD, "lab-learner/app:v1", lambda _: None, kind="rollback",
                    switch_back=True, on_measured=shown.append, engine=engine)

    assert (back.kind, back.strategy) == ("rollback", "switch back")
    measured = shown[-1]
    assert (measured.kind, measured.strategy) == ("rollback", "switch back")
    assert measured.title == "switch back to blue"
    document = measured_json(measured)
    assert (document["kind"], document["strategy"]) == ("rollback", "switch back")
    assert "rolling" not in (measured.title, document["strategy"])
    assert measured.summary.rollback_seconds is not None
    assert shown[0].title == "blue-green" and shown[0].kind == "deploy"


def test_the_most_servers_at_once_is_what_the_strategy_made_beside_the_fleet(
        settings: Settings, engine: FakeEngine) -> None:
    for strategy in ("rolling", "rolling-batch", "immutable", "blue-green"):
        deploy(settings, engine, strategy, [])
    roll_out(settings, OLD, "lab-learner/app:v1", lambda _: None, kind="rollback",
             switch_back=True, engine=engine)

    history = StateStore.of(settings, EXERCISE).load().deployments
    assert [(item.strategy, (item.summary or {})["max_servers"]) for item in history] == [
        ("rolling", 4), ("rolling-batch", 5), ("immutable", 8), ("blue-green", 8),
        ("switch back", 8)]  # blue on standby and green, until green goes


def test_the_predictions_fingerprint_is_taken_as_a_measured_deployment_begins(
        settings: Settings, engine: FakeEngine) -> None:
    deploy(settings, engine, "rolling", [])  # no predictions yet: nothing to fingerprint
    predictions = settings.workspace_root / EXERCISE / PREDICTIONS
    predictions.parent.mkdir(parents=True, exist_ok=True)
    predictions.write_text("rolling: {zero_downtime: yes}\n")
    deploy(settings, engine, "immutable", [])

    first, second = StateStore.of(settings, EXERCISE).load().deployments
    assert "predictions_sha256" not in (first.summary or {})
    assert (second.summary or {})["predictions_sha256"] == hashlib.sha256(
        predictions.read_bytes()).hexdigest()
