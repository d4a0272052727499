"""The current exercise's drift, for the callers that do not yet say which exercise they mean
(lab.deploy.reconcile, exercise checks); it goes when they call `exercise_drift`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from lab import learner
from lab.drift.findings import FleetDrift
from lab.drift.scan import exercise_drift
from lab.settings import Settings


def fleet_drift(settings: Settings, servers: Sequence[str] | None = None) -> FleetDrift:
    """What changed on the current exercise's servers (or those named) since their image."""
    return exercise_drift(settings, partial(learner.running, settings), servers)
