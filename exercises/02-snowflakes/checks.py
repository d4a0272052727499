"""02-snowflakes' own checks: the learner's report against the hand edits exercise.yaml
declares (the truth), and `lab drift` finding that every server changed in the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from lab.authoring import (
    DRIFT_KINDS,
    Change,
    CheckContext,
    ReportError,
    Verdict,
    as_list,
    failed,
    passed,
    read_report,
)

REPORT = "report.yaml"
KINDS = list(DRIFT_KINDS)
Difference = tuple[str, str]  # (kind, subject) as `lab drift` names them


# --- the report ----------------------------------------------------------------------------


def report_names_every_drift(ctx: CheckContext) -> list[Verdict]:
    """Each server's lines in report.yaml are exactly the changes made there by hand."""
    truth = hand_made_changes(ctx)
    try:
        report = read_report(ctx.workspace / REPORT, ctx.servers)
    except ReportError as problem:
        return [failed(str(problem))]
    return [_verdict(server, truth.get(server, set()), report) for server in ctx.servers]


def hand_made_changes(ctx: CheckContext) -> dict[str, set[Difference]]:
    """Per server, what the lab changed by hand at start, from exercise.yaml's faults: a
    hand edit's `describe` starts with the kind and subject `lab drift` shows; a hold is
    `held PACKAGE`."""
    truth: dict[str, set[Difference]] = {}
    for fault in ctx.spec.faults:
        if fault.kind == "hand-edit":
            change = _difference(fault.describe)
        elif fault.kind == "hold":
            change = ("held", fault.package)
        else:
            continue
        for server in ctx.spec.expand(fault.servers):
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
        return failed(f"{server}: {problem}")


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
        return passed(f"{server}: your report names the {_count(truth)} made by hand here")
    problems = []
    if named != truth:
        problems.append(f"your report names {len(named)} of the {_count(truth)} made by hand "
                        f"here (`lab drift {server}` shows them until you undo them)")
    if extra:
        problems.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not made by "
                        f"hand on {server} (on every server alike? then it is no difference)")
    return failed(f"{server}: {'; '.join(problems)}")


def _count(changes: Collection[object]) -> str:
    return f"{len(changes)} change{'' if len(changes) == 1 else 's'}"


# --- the fleet -----------------------------------------------------------------------------


def every_server_changed_alike(ctx: CheckContext) -> list[Verdict]:
    """`lab drift` finds the same changes on every server: those most servers share are
    the lab's provisioning; anything else makes a server a snowflake."""
    changes = {drift.server: set(drift.changes) for drift in ctx.drift()}
    counted = Counter(change for found in changes.values() for change in found)
    shared = {change for change, count in counted.items() if count > len(changes) / 2}
    return [_alike(name, found, shared) for name, found in changes.items()]


def _alike(server: str, found: set[Change], shared: set[Change]) -> Verdict:
    extra, missing = found - shared, shared - found
    if not extra and not missing:
        return passed(f"{server}: changed since its image exactly as the other servers")
    problems = []
    if extra:
        problems.append(f"{_count(extra)} the other servers do not have")
    if missing:
        problems.append(f"lacks {_count(missing)} the other servers have")
    return failed(f"{server}: {' and '.join(problems)} (see `lab drift`)")
