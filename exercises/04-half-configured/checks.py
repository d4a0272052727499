"""04-half-configured's own checks: the version each server's page serves is the version dpkg
says is installed, and the learner's why.txt names the servers last night's rollout left
half-configured and what stopped their postinst, as apt's log on each server records it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.authoring import CheckContext, Host, Verdict, failed, passed

PACKAGE = "webapp"
PORT = 80
REPORT = "why.txt"
TERM_LOG = "/var/log/apt/term.log"  # what dpkg printed during each apt-get run
# In apt's log, a failed configuration is dpkg's "Setting up" line, what the postinst
# printed, then dpkg's error: the postinst's own lines are the reason it gave.
SETTING_UP = f"Setting up {PACKAGE} ("
CONFIGURE_FAILED = f"dpkg: error processing package {PACKAGE} (--configure):"
PATH = re.compile(r"/[\w.+-]+(?:/[\w.+-]+)+")


# --- the page --------------------------------------------------------------------------


def page_matches_package(ctx: CheckContext) -> list[Verdict]:
    """Each server serves, at /version, the webapp version dpkg has installed and configured."""
    return ctx.each(_judge)


def _judge(host: Host) -> Verdict:
    package = host.package(PACKAGE)
    if not package.installed:
        return failed(f"{host.name}: {PACKAGE} is not installed")
    page = host.http("/version", PORT)
    if not page.answered:
        return failed(f"{host.name}: nothing answers GET /version on port {PORT} ({page.error})")
    served = page.body.strip()
    if served != package.version:
        return failed(f"{host.name}: the page serves version {served or 'nothing'}, but dpkg "
                      f"has {PACKAGE} {package.version}, {package.describe()}")
    return passed(f"{host.name}: serves {PACKAGE} {served}, the version dpkg has installed")


# --- why.txt ---------------------------------------------------------------------------


class ReportProblem(Exception):
    """why.txt cannot be judged: missing, or a line not shaped `SERVER: why`."""


@dataclass(frozen=True)
class Finding:
    """One line of why.txt: a server the learner says was left half-configured, and why."""

    server: str
    why: str


def report_explains_the_failure(ctx: CheckContext) -> list[Verdict]:
    """why.txt names exactly the servers whose postinst failed last night, each with what
    its postinst said stopped it (the file it names), as apt's log records it."""
    try:
        findings = read_findings(ctx.workspace / REPORT, ctx.servers)
    except ReportProblem as problem:
        return [failed(str(problem))]
    logs = ctx.each(lambda host: host.run(f"cat {TERM_LOG} 2>/dev/null").stdout)
    evidence = {}
    for server, log in zip(ctx.servers, logs, strict=True):
        reason = postinst_refusal(log)
        if reason is not None:
            evidence[server] = reason
    return judge_findings(findings, evidence)


def read_findings(path: Path, servers: Sequence[str]) -> list[Finding]:
    """The report's `SERVER: why` lines; blank lines and `#` comments are skipped."""
    if not path.is_file():
        raise ReportProblem(f"there is no {REPORT} in your workspace {path.parent}: "
                            "`lab start 04` puts the starter file back, servers untouched")
    findings = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        server, colon, why = text.partition(":")
        if not colon or server.strip() not in servers:
            raise ReportProblem(f"{REPORT}, line {number}: {text!r} is not `SERVER: why`, "
                                f"with SERVER one of {', '.join(servers)}")
        findings.append(Finding(server.strip(), why.strip()))
    return findings


def postinst_refusal(log: str) -> str | None:
    """What webapp's postinst printed the last time it failed, from apt's log; None when it
    never failed there."""
    reason = None
    said: list[str] = []
    for line in log.splitlines():
        if line.startswith(SETTING_UP):
            said = []
        elif line.startswith(CONFIGURE_FAILED):
            reason = " ".join(said).strip() or "its postinst failed without a word"
            said = []
        elif line.strip() and not line.startswith(("Log ", "dpkg:", " ")):
            said.append(line.strip())
    return reason


def judge_findings(findings: list[Finding], evidence: dict[str, str]) -> list[Verdict]:
    """The findings against each server's apt log, without naming a server the learner
    missed."""
    if not findings:
        return [failed(f"{REPORT} names no server yet: write a line `SERVER: why` for each "
                       "server the rollout left half-configured")]
    problems = [f"{finding.server}: apt's log shows no failed postinst there, so the "
                f"rollout finished on it (`lab run -s {finding.server} -- tail {TERM_LOG}`)"
                for finding in findings if finding.server not in evidence]
    named = {finding.server for finding in findings}
    missing = len(set(evidence) - named)
    if missing:
        problems.append(f"{missing} more server{'s were' if missing > 1 else ' was'} left "
                        "half-configured: apt's log shows the postinst failing there too "
                        f"(`lab run --all -- tail -n 6 {TERM_LOG}`)")
    problems += [wrong_reason(finding, evidence[finding.server])
                 for finding in findings if finding.server in evidence
                 and not names_the_reason(finding.why, evidence[finding.server])]
    if problems:
        return [failed(f"{REPORT}, {problem}") for problem in problems]
    return [passed(f"{REPORT}: {', '.join(sorted(named))} were left half-configured, and why, "
                   "as their apt logs say")]


def names_the_reason(why: str, reason: str) -> bool:
    """The learner's words name what the postinst's message names: its file paths, or the
    message itself when it names none."""
    paths = PATH.findall(reason)
    words = why.lower()
    if paths:
        return all(path.lower() in words for path in paths)
    return reason.lower() in words


def wrong_reason(finding: Finding, reason: str) -> str:
    """Why a finding's reason is not the one apt's log gives, and where to read it."""
    said = f"{finding.why!r}" if finding.why else "nothing"
    return (f"{finding.server}: you wrote {said}, which does not name what stopped its "
            "postinst; the line it printed just before `dpkg: error processing package "
            f"{PACKAGE}` does (`lab run -s {finding.server} -- tail -n 6 {TERM_LOG}`)")
