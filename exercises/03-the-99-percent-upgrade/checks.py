"""03-the-99-percent-upgrade's own check: the learner's report of where the rollout left each
server, against what the repository saw (its access log): who got the new webapp before the
outage, who asked for it during the outage and was refused, and who never asked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lab.authoring import (
    CheckContext,
    ReportError,
    Request,
    Verdict,
    failed,
    passed,
    read_report,
)

REPORT = "report.yaml"
REFUSED = 444  # nginx closed the connection: the repository was down for that request
UPGRADED, FAILED, UNTOUCHED = "upgraded", "failed", "untouched"
OUTCOMES = (UPGRADED, FAILED, UNTOUCHED)
EVIDENCE = {
    UPGRADED: "the repository sent it {package} before the outage",
    FAILED: "it asked for {package} during the outage and the repository refused it",
    UNTOUCHED: "it never asked for {package} before the repository came back",
}
Package = tuple[str, str]  # (name, version), like ('webapp', '2.0')


def report_matches_the_rollout(ctx: CheckContext) -> list[Verdict]:
    """Each server's word in report.yaml is what the repository's log says happened to it."""
    package = watched_package(ctx)
    outcomes = rollout_outcomes(ctx.repository_log(), ctx.servers, package)
    if outcomes is None:
        return [failed("the repository has not dropped out yet, so there is no rollout to "
                       "report on: run `python fabfile.py` first (after `lab repo heal`, "
                       "`lab reset` starts the exercise over)")]
    try:
        report = read_report(ctx.workspace / REPORT, ctx.servers)
    except ReportError as problem:
        return [failed(str(problem))]
    return [_judge(server, report.get(server), outcomes[server], package)
            for server in ctx.servers]


def watched_package(ctx: CheckContext) -> Package:
    """The package whose download makes the repository drop out: the rollout's package."""
    for fault in ctx.spec.faults:
        if fault.kind == "repo-down" and fault.after is not None:
            return fault.after.fetched.name, fault.after.fetched.version
    raise ValueError("03: exercise.yaml must have a repo-down fault with `after`")


def rollout_outcomes(requests: Iterable[Request], servers: Sequence[str],
                     package: Package) -> dict[str, str] | None:
    """What the rollout did to each server, read in the order the repository answered:
    `upgraded` if it got the package before the first refused request, `failed` if its
    download of the package was refused, else `untouched`. None if nothing was ever refused
    (the outage has not happened)."""
    outcomes = dict.fromkeys(servers, UNTOUCHED)
    outage = False
    for request in requests:
        outage = outage or request.status == REFUSED
        if request.server not in outcomes or outcomes[request.server] != UNTOUCHED:
            continue
        if not request.is_deb_of(*package):
            continue
        if request.status == REFUSED:
            outcomes[request.server] = FAILED
        elif request.delivered and not outage:
            outcomes[request.server] = UPGRADED
    return outcomes if outage else None


def _judge(server: str, said: object, truth: str, package: Package) -> Verdict:
    evidence = EVIDENCE[truth].format(package=" ".join(package))
    if said == truth:
        return passed(f"{server}: {truth}: {evidence}")
    if said is None:
        return failed(f"{server}: your report says nothing; write one of {', '.join(OUTCOMES)}")
    if said not in OUTCOMES:
        return failed(f"{server}: your report says {said!r}; write one of {', '.join(OUTCOMES)}")
    return failed(f"{server}: your report says {said}, but {evidence}")
