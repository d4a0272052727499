"""03-the-99-percent-upgrade's own check: the learner's report of where the rollout left each
server, against what the repository saw (its access log): who got the new webapp before the
outage, who asked for it during the outage and was refused, and who never asked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.checks.base import CheckContext
from lab.checks.executor import Executor
from lab.checks.report import ReportError, read_report
from lab.environment import current_settings
from lab.exercises.loader import load_exercise
from lab.repo.specs import PackageRef, RepoDownSpec
from lab.settings import Settings

REPORT = "report.yaml"
ACCESS_LOG = "/var/log/nginx/repo-access.log"
REFUSED = "444"  # nginx closed the connection: the repository was down for that request
DELIVERED = ("200", "206")
UPGRADED, FAILED, UNTOUCHED = "upgraded", "failed", "untouched"
OUTCOMES = (UPGRADED, FAILED, UNTOUCHED)
EVIDENCE = {
    UPGRADED: "the repository sent it {package} before the outage",
    FAILED: "it asked for {package} during the outage and the repository refused it",
    UNTOUCHED: "it never asked for {package} before the repository came back",
}
Verdict = tuple[bool, str]


@dataclass(frozen=True)
class Request:
    """One line of the repository's access log: who asked for what, and the answer."""

    server: str
    status: str
    path: str


def report_matches_the_rollout(executor: Executor, servers: Sequence[str],
                               context: CheckContext) -> list[Verdict]:
    """Each server's word in report.yaml is what the repository's log says happened to it."""
    package = watched_package(context.exercise_folder)
    requests = access_log(context.settings or current_settings())
    outcomes = rollout_outcomes(requests, servers, package)
    if outcomes is None:
        return [(False, "the repository has not dropped out yet, so there is no rollout to "
                        "report on: run `python fabfile.py` first (after `lab repo heal`, "
                        "`lab reset` starts the exercise over)")]
    if context.workspace is None:
        return [(False, "the lab did not say where your workspace is")]
    try:
        report = read_report(context.workspace / REPORT, servers)
    except ReportError as problem:
        return [(False, str(problem))]
    return [_judge(server, report.get(server), outcomes[server], package) for server in servers]


def watched_package(exercise_folder: Path) -> PackageRef:
    """The package whose download makes the repository drop out: the rollout's package."""
    for fault in load_exercise(exercise_folder).spec.faults:
        if isinstance(fault, RepoDownSpec) and fault.after is not None:
            return fault.after.fetched
    raise ValueError("03: exercise.yaml must have a repo-down fault with `after`")


def access_log(settings: Settings) -> list[Request]:
    """Every request the exercise's repository answered since the faults were armed."""
    from lab.docker.containers import exec_run
    from lab.repo.prepare import running_repository

    _, repo_id = running_repository(settings)
    return parse_access_log(exec_run(repo_id, f"cat {ACCESS_LOG}").stdout)


def parse_access_log(text: str) -> list[Request]:
    """nginx's 'ADDRESS SERVER STATUS PATH TIME' lines (images/repo's `lab` log format)."""
    return [Request(fields[1], fields[2], fields[3])
            for fields in (line.split() for line in text.splitlines()) if len(fields) >= 4]


def rollout_outcomes(requests: Iterable[Request], servers: Sequence[str],
                     package: PackageRef) -> dict[str, str] | None:
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
        if not is_deb_of(request.path, package):
            continue
        if request.status == REFUSED:
            outcomes[request.server] = FAILED
        elif request.status in DELIVERED and not outage:
            outcomes[request.server] = UPGRADED
    return outcomes if outage else None


def is_deb_of(path: str, package: PackageRef) -> bool:
    """'/pool/webapp_2.0_all.deb' is webapp 2.0's .deb, whatever its architecture."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith(f"{package.name}_{package.version}_") and name.endswith(".deb")


def _judge(server: str, said: object, truth: str, package: PackageRef) -> Verdict:
    evidence = EVIDENCE[truth].format(package=package)
    if said == truth:
        return True, f"{server}: {truth}: {evidence}"
    if said is None:
        return False, f"{server}: your report says nothing; write one of {', '.join(OUTCOMES)}"
    if said not in OUTCOMES:
        return False, f"{server}: your report says {said!r}; write one of {', '.join(OUTCOMES)}"
    return False, f"{server}: your report says {said}, but {evidence}"
