"""02-snowflakes' own checks: the learner's report against the hand edits exercise.yaml
declares (the truth), and `lab drift` finding every server back at its baseline: the image
plus what the lab's provisioning installed, and nothing else."""

from __future__ import annotations

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


def every_server_at_its_baseline(ctx: CheckContext) -> list[Verdict]:
    """`lab drift` finds on every server only what the lab's provisioning changed since the
    image. Servers made alike by spreading a hand change to all of them fail: they agree
    with each other, not with their baseline."""
    baseline = provisioned(ctx)
    drifts = ctx.drift()
    beyond = {drift.server: [change for change in drift.changes
                             if (change.kind, change.subject) not in baseline]
              for drift in drifts}
    everywhere = _on_every_server(beyond)
    verdicts = [failed(_agreed_on(list(beyond), everywhere, beyond))] if everywhere else []
    for drift in drifts:
        own = [change for change in beyond[drift.server]
               if (change.kind, change.subject) not in everywhere]
        missing = baseline - {(change.kind, change.subject) for change in drift.changes}
        if own or missing or not everywhere:
            verdicts.append(_at_baseline(drift.server, own, missing))
    return verdicts


def provisioned(ctx: CheckContext) -> set[Difference]:
    """What the lab's provisioning changed on every server since the image: it installed
    webapp 1.0 from the lab's repository, which publishes it and the library it needs."""
    return {("package-added", ref.name) for ref in ctx.spec.publish}


def _on_every_server(beyond: dict[str, list[Change]]) -> dict[Difference, Change]:
    """The changes beyond the baseline that every server has (none with a single server)."""
    if len(beyond) < 2:
        return {}
    found = [{(change.kind, change.subject): change for change in changes}
             for changes in beyond.values()]
    return {key: change for key, change in found[0].items()
            if all(key in others for others in found[1:])}


def _agreed_on(servers: list[str], everywhere: dict[Difference, Change],
               beyond: dict[str, list[Change]]) -> str:
    """Why servers that agree can still be wrong: they agree on hand changes."""
    alike = all(len(changes) == len(everywhere) for changes in beyond.values())
    what = ", ".join(change.summary or f"{change.kind} {change.subject}"
                     for change in everywhere.values())
    one = len(everywhere) == 1
    return (f"{', '.join(servers)} {'are alike, but every one has' if alike else 'all have'} "
            f"{_count(everywhere)} that neither the image nor the lab's provisioning made "
            f"({what}): the servers agree on {'a hand change' if one else 'hand changes'} "
            f"instead of on their baseline. Undo {'it' if one else 'them'} on every server; "
            f"`lab drift` compares each server with its image, not with the others")


def _at_baseline(server: str, own: list[Change], missing: set[Difference]) -> Verdict:
    if not own and not missing:
        return passed(f"{server}: back at its baseline, the image plus the lab's provisioning")
    problems = []
    if own:
        problems.append(f"{_count(own)} beyond its baseline (the image plus the lab's "
                        f"provisioning): still a snowflake")
    if missing:
        problems.append(f"lacks {_count(missing)} the lab's provisioning made "
                        f"({', '.join(f'{kind} {subject}' for kind, subject in sorted(missing))})")
    return failed(f"{server}: {'; '.join(problems)} (see `lab drift {server}`)")
