"""02-snowflakes' own checks: the learner's report against the hand edits exercise.yaml
declares (the truth), and `lab drift` finding that every server changed in the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

from lab import drift
from lab.checks.base import CheckContext
from lab.checks.executor import Executor
from lab.checks.report import ReportError, as_list, read_report
from lab.environment import current_settings
from lab.exercises.loader import load_exercise
from lab.repo.specs import HandEditSpec, HoldSpec

REPORT = "report.yaml"
KINDS = [kind.value for kind in drift.Kind]
Difference = tuple[str, str]  # (kind, subject) as `lab drift` names them
Verdict = tuple[bool, str]


# --- the report ----------------------------------------------------------------------------


def report_names_every_drift(executor: Executor, servers: Sequence[str],
                             context: CheckContext) -> list[Verdict]:
    """Each server's lines in report.yaml are exactly the changes made there by hand."""
    truth = hand_made_changes(context.exercise_folder)
    try:
        report = read_report(_workspace(context) / REPORT, servers)
    except ReportError as problem:
        return [(False, str(problem))]
    return [_verdict(server, truth.get(server, set()), report) for server in servers]


def hand_made_changes(exercise_folder: Path) -> dict[str, set[Difference]]:
    """Per server, what the lab changed by hand at start, from exercise.yaml's faults: a
    hand edit's `describe` starts with the kind and subject `lab drift` shows; a hold is
    `held PACKAGE`."""
    spec = load_exercise(exercise_folder).spec
    truth: dict[str, set[Difference]] = {}
    for fault in spec.faults:
        if isinstance(fault, HandEditSpec):
            change = _difference(fault.describe)
        elif isinstance(fault, HoldSpec):
            change = (drift.Kind.HELD.value, fault.package)
        else:
            continue
        for server in spec.expand(fault.servers):
            truth.setdefault(server, set()).add(change)
    return truth


def _difference(describe: str) -> Difference:
    words = describe.split()
    if len(words) < 2 or words[0] not in KINDS:
        raise ValueError(f"02-snowflakes: a hand edit's describe must start with a drift kind "
                         f"and its subject, like 'file-added /etc/x'; found {describe!r}")
    return words[0], words[1]


def _verdict(server: str, truth: set[Difference], report: dict[str, object]) -> Verdict:
    try:
        return _judge(server, truth, _reported(report, server))
    except ReportError as problem:
        return False, f"{server}: {problem}"


def _reported(report: dict[str, object], server: str) -> set[Difference]:
    """The (kind, subject) of each of the server's lines; words after them are notes."""
    lines = as_list(report.get(server))
    if lines is None:
        raise ReportError(f"in {REPORT}, give it a list of lines, like "
                          f"'{server}: [file-added /etc/example]'")
    found = set()
    for line in lines:
        words = line.split()
        if len(words) < 2 or words[0] not in KINDS:
            raise ReportError(f"in {REPORT}, {line!r} is not 'KIND WHAT' with a kind "
                              f"`lab drift` shows ({', '.join(KINDS)})")
        found.add((words[0], words[1]))
    return found


def _judge(server: str, truth: set[Difference], reported: set[Difference]) -> Verdict:
    named = truth & reported
    extra = sorted(f"{kind} {subject}" for kind, subject in reported - truth)
    if not extra and named == truth:
        return True, f"{server}: your report names the {_count(truth)} made by hand here"
    problems = []
    if named != truth:
        problems.append(f"your report names {len(named)} of the {_count(truth)} made by hand "
                        f"here (`lab drift {server}` shows them until you undo them)")
    if extra:
        problems.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not made by "
                        f"hand on {server} (on every server alike? then it is no difference)")
    return False, f"{server}: {'; '.join(problems)}"


def _count(changes: Collection[object]) -> str:
    return f"{len(changes)} change{'' if len(changes) == 1 else 's'}"


def _workspace(context: CheckContext) -> Path:
    if context.workspace is None:
        raise ReportError("the lab did not say where your workspace is")
    return context.workspace


# --- the fleet -----------------------------------------------------------------------------


def every_server_changed_alike(executor: Executor, servers: Sequence[str],
                               context: CheckContext) -> list[Verdict]:
    """`lab drift` finds the same changes on every server: those most servers share are
    the lab's provisioning; anything else makes a server a snowflake."""
    fleet = drift.fleet_drift(context.settings or current_settings(), servers)
    changes = {server.name: set(server.findings) for server in fleet.servers}
    shared = {finding for finding, count in Counter(
        finding for found in changes.values() for finding in found).items()
        if count > len(changes) / 2}
    return [_alike(name, found, shared) for name, found in changes.items()]


def _alike(server: str, found: set[drift.Finding], shared: set[drift.Finding]) -> Verdict:
    extra, missing = found - shared, shared - found
    if not extra and not missing:
        return True, f"{server}: changed since its image exactly as the other servers"
    problems = []
    if extra:
        problems.append(f"{_count(extra)} the other servers do not have")
    if missing:
        problems.append(f"lacks {_count(missing)} the other servers have")
    return False, f"{server}: {' and '.join(problems)} (see `lab drift`)"
