"""Custom checks of 06-provisioning-drift: the learner's report and package manifest, the
manifest tried on a fresh server, and the reference server left as it was."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from lab.authoring import CheckContext, Host, Package, Verdict, failed, passed

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
# NAME or NAME=VERSION, as apt-get takes a package to install.
REQUEST = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+.-]+)(=(?P<version>[0-9][A-Za-z0-9.+~:-]*))?$")
INSTALL = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
           "apt-get install -y -qq -o Dpkg::Use-Pty=0 {requests} >/dev/null")

Verdicts = list[Verdict]  # one line of `lab check` each; the goal holds when all do
Check = Callable[[CheckContext], Verdicts]


# --- the learner's files -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One meaningful line of a workspace file: its number and its text, comment removed."""

    number: int
    text: str


class MissingFile(Exception):
    """A file the check reads is not in the learner's workspace."""


def entries(ctx: CheckContext, name: str) -> list[Entry]:
    """The lines of a workspace file that are neither blank nor comments (`#`)."""
    path = ctx.workspace / name
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
    def checked(ctx: CheckContext) -> Verdicts:
        try:
            return check(ctx)
        except MissingFile as missing:
            return [failed(str(missing))]
    return checked


# --- report.txt --------------------------------------------------------------------------


@reading_workspace
def report_names_the_differences(ctx: CheckContext) -> Verdicts:
    """report.txt names exactly the packages that differed between the servers."""
    return [judge_report(reported_packages(entries(ctx, REPORT)))]


def reported_packages(found: Iterable[Entry]) -> set[str]:
    """The package each line names: its first word, as in `libwebapp: 1.0 on web1`."""
    names = (PACKAGE_NAME.match(entry.text.lower()) for entry in found)
    return {match.group(0).rstrip(".") for match in names if match}


def judge_report(named: set[str]) -> Verdict:
    """Compare the names with the truth, without giving away a name the learner missed."""
    if not named:
        return failed(f"{REPORT} names no package yet: write one package name a line")
    problems = [f"{name} did not differ between the servers"
                for name in sorted(named - DIFFERING)]
    missing = len(DIFFERING - named)
    if missing:
        problems.append(f"{missing} more package{'s' if missing > 1 else ''} differed "
                        "(`lab drift` lists them under 'packages that differ')")
    if problems:
        return failed(f"{REPORT} names {', '.join(sorted(named))}; " + "; ".join(problems))
    return passed(f"{REPORT} names {', '.join(sorted(named))}: every difference, and no other")


# --- manifest.txt ------------------------------------------------------------------------


@reading_workspace
def manifest_is_pinned(ctx: CheckContext) -> Verdicts:
    """Every line of manifest.txt is NAME=VERSION."""
    found = entries(ctx, MANIFEST)
    if not found:
        return [failed(f"{MANIFEST} lists no package yet: write one NAME=VERSION a line")]
    wrong = [problem for entry in found if (problem := pin_problem(entry))]
    if wrong:
        return [failed(f"{MANIFEST}, {problem}") for problem in wrong]
    return [passed(f"{MANIFEST} pins all {len(found)} of its packages to an exact version")]


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
def manifest_reproduces_web1(ctx: CheckContext) -> Verdicts:
    """manifest.txt, installed on a fresh server made from the reference server's image,
    gives exactly the reference server's packages and versions."""
    reference = only_server(ctx)
    found = entries(ctx, MANIFEST)
    if not found:
        return [failed(f"{MANIFEST} lists no package yet: write one NAME=VERSION a line")]
    invalid = [entry for entry in found if REQUEST.match(entry.text) is None]
    if invalid:
        return [failed(f"{MANIFEST}, {pin_problem(entry)}") for entry in invalid]
    wanted = installed(reference.packages())
    built = build_fresh(ctx, reference.info.image_id, [entry.text for entry in found])
    if isinstance(built, str):
        return [failed(built)]
    differences = compare(reference.name, wanted, built)
    if differences:
        return [failed(difference) for difference in differences]
    return [passed(f"a fresh server built from {MANIFEST} has {reference.name}'s "
                   f"{len(wanted)} packages, each at the same version")]


def only_server(ctx: CheckContext) -> Host:
    """The one server the check's `servers:` names: the server to reproduce."""
    if len(ctx.servers) != 1:
        raise ValueError(f"this check compares with one server; exercise.yaml gives "
                         f"{list(ctx.servers)}")
    return ctx.host(ctx.servers[0])


def build_fresh(ctx: CheckContext, image: str, requests: list[str]) -> dict[str, str] | str:
    """The packages of a throwaway server from `image` once `requests` are installed on it,
    or why installing them failed."""
    with ctx.scratch(image) as fresh:
        result = fresh.run(INSTALL.format(requests=shlex.join(requests)))
        if not result.ok:
            lines = (result.stderr or result.stdout).strip().splitlines()
            return (f"installing {MANIFEST} on a fresh server failed: "
                    f"{lines[-1] if lines else f'exit code {result.exit_code}'}")
        return installed(fresh.packages())


def installed(packages: Mapping[str, Package]) -> dict[str, str]:
    """The installed packages (not those removed but remembered) and their versions."""
    return {name: package.version for name, package in packages.items() if package.installed}


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


def web1_is_untouched(ctx: CheckContext) -> Verdicts:
    """The reference server still has the packages, versions and hold it started with."""
    reference = only_server(ctx)
    found = reference.packages(*sorted(AT_START))
    versions = installed(found)
    held = {name for name, package in found.items() if package.held}
    problems = [problem for name in sorted(AT_START)
                if (problem := change_of(name, versions.get(name), name in held))]
    if problems:
        return [failed(f"{reference.name}: {problem}; your job is to describe "
                       f"{reference.name}, not to change it") for problem in problems]
    return [passed(f"{reference.name} runs what it ran when you arrived")]


def change_of(name: str, version: str | None, held: bool) -> str | None:
    """How one package on the reference server differs from how the lab left it."""
    expected = AT_START[name]
    if version != expected:
        return (f"{name} is {version or 'not installed'}, "
                f"it was {expected or 'not installed'} when you arrived")
    if held and name not in HELD_AT_START:
        return f"{name} is held; it was not held when you arrived"
    if not held and name in HELD_AT_START:
        return f"{name} is no longer held; it was held when you arrived"
    return None
