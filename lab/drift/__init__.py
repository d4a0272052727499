"""What changed on each server since its image: files, packages, conffiles and holds.

findings: what drift reports. noise: the changes every server makes by itself. packages:
package findings. paths: probes and parsers for what a path is. sources: where drift looks.
baseline: what an image holds, cached. observe: looking at one server. files: file findings.
scan: every server compared with its image. current: the current exercise's, for callers
that do not name one yet.
"""

from __future__ import annotations

from lab.drift.findings import Finding, FleetDrift, Kind, PackageSpread, Server, ServerDrift
from lab.drift.scan import Running, drift_of, exercise_drift
from lab.drift.sources import Sources

__all__ = ["Finding", "FleetDrift", "Kind", "PackageSpread", "Running", "Server", "ServerDrift",
           "Sources", "drift_of", "exercise_drift"]
