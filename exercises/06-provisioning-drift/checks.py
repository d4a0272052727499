"""Custom checks of 06-provisioning-drift: the learner's report and package manifest, the
manifest tried on a fresh server, and the reference server left as it was."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from lab.checks.base import CheckContext
from lab.checks.executor import Executor
from lab.repo.specs import APT_REQUEST as REQUEST  # NAME or NAME=VERSION, as apt-get takes it

EXERCISE_ID = Path(__file__).resolve().parent.name  # the folder's name is the exercise's id
REPORT = "report.txt"
MANIFEST = "manifest.txt"

# The packages whose versions differed between web1, web2 and web3 when the exercise
# started (tests/docker/test_exercises_05_06.py proves that exercise.yaml makes it so).
DIFFERING = frozenset({"libwebapp", "tree"})
# The reference server as the lab leaves it: version (None: not installed), and holds.
AT_START = {"webapp": "1.0", "libwebapp": "1.0", "tree": None}
HELD_AT_START = frozenset({"libwebapp"})

PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")
QUERY = "dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Version}\\n'"
INSTALL = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
           "apt-get install -y -qq -o Dpkg::Use-Pty=0 {requests} >/dev/null")

Verdict = tuple[bool, str]
Verdicts = list[Verdict]  # one line of `lab check` each; the goal holds when all do
Check = Callable[[Executor, Sequence[str], CheckContext], Verdicts]


# --- the learner's files -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One meaningful line of a workspace file: its number and its text, comment removed."""

    number: int
    text: str


class MissingFile(Exception):
    """A file the check reads is not in the learner's workspace."""


def entries(context: CheckContext, name: str) -> list[Entry]:
    """The lines of a workspace file that are neither blank nor comments (`#`)."""
    if context.workspace is None:
        raise ValueError("this check reads the learner's workspace, and none was given")
    path = context.workspace / name
    if not path.is_file():
        raise MissingFile(f"there is no {name} in your workspace {path.parent}: "
                          f"`lab start {EXERCISE_ID[:2]}` puts the starter file back, "
                          "and leaves the servers as they are")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = [Entry(number, line.split("#", 1)[0].strip())
             for number, line in enumerate(lines, start=1)]
    return [entry for entry in found if entry.text]


def reading_workspace(check: Check) -> Check:
    """A check whose missing workspace file is a failed goal, not a broken check."""
    @wraps(check)
    def checked(executor: Executor, servers: Sequence[str],
                context: CheckContext) -> Verdicts:
        try:
            return check(executor, servers, context)
        except MissingFile as missing:
            return [(False, str(missing))]
    return checked


# --- report.txt --------------------------------------------------------------------------


@reading_workspace
def report_names_the_differences(executor: Executor, servers: Sequence[str],
                                 context: CheckContext) -> Verdicts:
    """report.txt names exactly the packages that differed between the servers."""
    return [judge_report(reported_packages(entries(context, REPORT)))]


def reported_packages(found: Iterable[Entry]) -> set[str]:
    """The package each line names: its first word, as in `libwebapp: 1.0 on web1`."""
    names = (PACKAGE_NAME.match(entry.text.lower()) for entry in found)
    return {match.group(0).rstrip(".") for match in names if match}


def judge_report(named: set[str]) -> Verdict:
    """Compare the names with the truth, without giving away a name the learner missed."""
    if not named:
        return False, f"{REPORT} names no package yet: write one package name a line"
    problems = [f"{name} did not differ between the servers"
                for name in sorted(named - DIFFERING)]
    missing = len(DIFFERING - named)
    if missing:
        problems.append(f"{missing} more package{'s' if missing > 1 else ''} differed "
                        "(`lab drift` lists them under 'packages that differ')")
    if problems:
        return False, f"{REPORT} names {', '.join(sorted(named))}; " + "; ".join(problems)
    return True, f"{REPORT} names {', '.join(sorted(named))}: every difference, and no other"


# --- manifest.txt ------------------------------------------------------------------------


@reading_workspace
def manifest_is_pinned(executor: Executor, servers: Sequence[str],
                       context: CheckContext) -> Verdicts:
    """Every line of manifest.txt is NAME=VERSION."""
    found = entries(context, MANIFEST)
    if not found:
        return [(False, f"{MANIFEST} lists no package yet: write one NAME=VERSION a line")]
    wrong = [problem for entry in found if (problem := pin_problem(entry))]
    if wrong:
        return [(False, f"{MANIFEST}, {problem}") for problem in wrong]
    return [(True, f"{MANIFEST} pins all {len(found)} of its packages to an exact version")]


def pin_problem(entry: Entry) -> str | None:
    """Why a manifest line is not an exact pin, like `webapp=1.0`; None when it is."""
    match = REQUEST.match(entry.text)
    if match is None:
        return (f"line {entry.number}: {entry.text!r} is not NAME=VERSION, "
                "like webapp=1.0")
    if match.group("version") is None:
        return (f"line {entry.number}: {entry.text} has no version, so apt picks the newest "
                f"it knows; write {entry.text}=VERSION")
    return None


@reading_workspace
def manifest_reproduces_web1(executor: Executor, servers: Sequence[str],
                             context: CheckContext) -> Verdicts:
    """manifest.txt, installed on a fresh server made from the reference server's image,
    gives exactly the reference server's packages and versions."""
    reference = only_server(servers)
    found = entries(context, MANIFEST)
    if not found:
        return [(False, f"{MANIFEST} lists no package yet: write one NAME=VERSION a line")]
    invalid = [entry for entry in found if REQUEST.match(entry.text) is None]
    if invalid:
        return [(False, f"{MANIFEST}, {pin_problem(entry)}") for entry in invalid]
    wanted = installed(executor.run(reference, QUERY).stdout)
    built = build_fresh(context, executor.info(reference).image_id,
                        [entry.text for entry in found])
    if isinstance(built, str):
        return [(False, built)]
    differences = compare(reference, wanted, built)
    if differences:
        return [(False, difference) for difference in differences]
    return [(True, f"a fresh server built from {MANIFEST} has {reference}'s {len(wanted)} "
                   "packages, each at the same version")]


def only_server(servers: Sequence[str]) -> str:
    """The one server the check's `servers:` names: the server to reproduce."""
    if len(servers) != 1:
        raise ValueError(f"this check compares with one server; exercise.yaml gives {servers}")
    return servers[0]


def build_fresh(context: CheckContext, image: str,
                requests: Sequence[str]) -> dict[str, str] | str:
    """The packages of a throwaway server from `image` once `requests` are installed on it,
    or why installing them failed."""
    from lab.environment import current_settings
    from lab.scratch import scratch_server

    with scratch_server(context.settings or current_settings(), EXERCISE_ID, image=image) as fresh:
        result = fresh.run(INSTALL.format(requests=shlex.join(requests)))
        if not result.ok:
            lines = (result.stderr or result.stdout).strip().splitlines()
            return (f"installing {MANIFEST} on a fresh server failed: "
                    f"{lines[-1] if lines else f'exit code {result.exit_code}'}")
        return installed(fresh.run(QUERY).stdout)


def installed(stdout: str) -> dict[str, str]:
    """Installed packages and their versions, from QUERY's `ii |name|version` lines."""
    packages = {}
    for line in stdout.splitlines():
        status, _, rest = line.partition("|")
        name, _, version = rest.partition("|")
        if name and status[1:2] not in ("n", "c", ""):
            packages[name] = version
    return packages


def compare(reference: str, wanted: Mapping[str, str], got: Mapping[str, str]) -> list[str]:
    """Each package at another version, missing or extra on the fresh server."""
    fresh = f"a fresh server from {MANIFEST}"
    found = []
    for name in sorted(set(wanted) | set(got)):
        have, made = wanted.get(name), got.get(name)
        if have == made:
            continue
        if made is None:
            found.append(f"{name}: {reference} has {have}, {fresh} does not")
        elif have is None:
            found.append(f"{name}: {fresh} gets {made}, {reference} does not have it")
        else:
            found.append(f"{name}: {reference} has {have}, {fresh} gets {made}")
    return found


# --- the reference server ----------------------------------------------------------------


def web1_is_untouched(executor: Executor, servers: Sequence[str]) -> Verdicts:
    """The reference server still has the packages, versions and hold it started with."""
    reference = only_server(servers)
    names = shlex.join(sorted(AT_START))
    result = executor.run(reference, f"{QUERY} {names} 2>/dev/null; true")
    states = {name: status for status, name, _ in
              (line.split("|", 2) for line in result.stdout.splitlines() if line.count("|") == 2)}
    versions = installed(result.stdout)
    problems = [problem for name in sorted(AT_START)
                if (problem := change_of(name, versions.get(name), states.get(name, "")))]
    if problems:
        return [(False, f"{reference}: {problem}; your job is to describe {reference}, "
                        "not to change it") for problem in problems]
    return [(True, f"{reference} runs what it ran when you arrived")]


def change_of(name: str, version: str | None, status: str) -> str | None:
    """How one package on the reference server differs from how the lab left it."""
    expected = AT_START[name]
    if version != expected:
        return (f"{name} is {version or 'not installed'}, "
                f"it was {expected or 'not installed'} when you arrived")
    held = status.startswith("h")
    if held and name not in HELD_AT_START:
        return f"{name} is held; it was not held when you arrived"
    if not held and name in HELD_AT_START:
        return f"{name} is no longer held; it was held when you arrived"
    return None
