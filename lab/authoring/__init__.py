"""The API exercise authors write custom checks against: the one lab package an exercise's
checks.py imports (besides the standard library), and lab.authoring.testing for its unit
tests. Documented, with a worked example, in docs/instructor/writing-exercises.md.

Frozen: every name in `__all__` (here and in lab.authoring.testing) keeps its meaning, its
signature and its keyword names; a new name may be added, but none is renamed or removed
without a new `format_version` of exercise.yaml.

A check is a function `name(ctx: CheckContext) -> Verdict | list[Verdict]`, named in
exercise.yaml as `kind: python, function: checks:name`. A Verdict is `(ok, reason)`:
`passed(reason)` or `failed(reason)`, the reason one sentence a learner acts on.

- ctx: exercise_id, folder, spec (exercise.yaml: its faults, server_names, expand(names)),
  workspace, student, marks, started_at, servers (those the check judges), host(name),
  hosts(), each(fn), containers(), balancer(), drift(servers), history(), images(),
  latest_build(), image(image), smoke(image, probes), scratch(image), deploy(image),
  repository_log().
- Host (testinfra's host and modules): name, run(command), package(name), packages(*names),
  file(path), service(name), listening(port), http(path, port, method=, body=), info.
"""

from __future__ import annotations

from lab import drift
from lab.checks.context import CheckContext, NotAvailable, Verdict
from lab.checks.executor import ExecResult, HttpResult, Mount, ServerInfo
from lab.checks.host import CheckError, File, Host, Service
from lab.checks.records import Deployment, Desired, Event, History, short_id
from lab.checks.report import ReportError, as_list, read_report, read_yaml
from lab.checks.views import Change, Container, Drift, Image, Request, Smoke
from lab.dpkg import Package

DRIFT_KINDS: tuple[str, ...] = tuple(kind.value for kind in drift.Kind)  # as `lab drift` says


def passed(reason: str) -> Verdict:
    """The goal holds; `reason` says what was seen, e.g. 'web1: serves webapp 2.0'."""
    return True, reason


def failed(reason: str) -> Verdict:
    """The goal does not hold; `reason` says what is wrong and, if it can, what to do."""
    return False, reason


__all__ = [
    "DRIFT_KINDS",
    "Change",
    "CheckContext",
    "CheckError",
    "Container",
    "Deployment",
    "Desired",
    "Drift",
    "Event",
    "ExecResult",
    "File",
    "History",
    "Host",
    "HttpResult",
    "Image",
    "Mount",
    "NotAvailable",
    "Package",
    "ReportError",
    "Request",
    "ServerInfo",
    "Service",
    "Smoke",
    "Verdict",
    "as_list",
    "failed",
    "passed",
    "read_report",
    "read_yaml",
    "short_id",
]
