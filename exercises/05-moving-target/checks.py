"""Custom check of 05-moving-target: would the next unpinned install leave webapp alone,
with apt still reading the lab's repository?"""

from __future__ import annotations

import re

from lab.authoring import CheckContext, ExecResult, Verdict, failed, passed

PACKAGE = "webapp"
PINNED = "2.0"  # the release that was tested: the one the fleet should stay on

# What `apt-get update && apt-get install webapp` would do now, without doing it: apt reads
# the repository as it is now into a throwaway lists folder (the server's own index and
# caches are left as they are), says where each version comes from (`apt-cache policy`: a
# server whose sources are gone "keeps" 2.0 only because it sees no repository at all),
# then only simulates the install.
SIMULATE = f"""
lists=$(mktemp -d) && chmod 755 "$lists" || exit 1
options="-o Dir::State::Lists=$lists -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache="
apt-get -qq $options update && apt-cache $options policy {PACKAGE} &&
  apt-get $options install --simulate {PACKAGE}
status=$?
rm -rf "$lists"
exit $status
"""
KEPT = re.compile(rf"^{PACKAGE} is already the newest version \((?P<version>[^)]+)\)", re.M)
CHANGED = re.compile(rf"^Inst {PACKAGE} (\[(?P<old>[^\]]+)\] )?\((?P<new>\S+)", re.M)
HELD = "The following held packages will be changed"
# `apt-cache policy`'s version table: a version's row, then one row per place it comes from.
VERSION_ROW = re.compile(r"^ (?:\*\*\*|   ) (?P<version>\S+) -?\d+$")
SOURCE_ROW = re.compile(r"^ {6,}(?P<priority>-?\d+) (?P<source>\S.*)$")
INSTALLED_RECORD = "/var/lib/dpkg/status"  # dpkg's own record of what is installed
NO_REPOSITORY = (f"apt sees no repository (`apt-cache policy {PACKAGE}` lists only "
                 f"{INSTALLED_RECORD}): with its sources gone nothing can move {PACKAGE}, but "
                 "nothing can be installed or fixed either; put /etc/apt/sources.list.d/lab.list "
                 f"back (copy it from another server) and pin {PINNED} instead")


def next_install_keeps_the_pin(ctx: CheckContext) -> list[Verdict]:
    """Every server keeps webapp 2.0 through an unpinned `apt-get install webapp`: one
    verdict per problem, naming the servers that have it."""
    results = ctx.each(lambda host: host.run(SIMULATE))
    problems: dict[str, list[str]] = {}  # the same problem on several servers is told once
    for server, result in zip(ctx.servers, results, strict=True):
        problem = next_install_problem(result)
        if problem:
            problems.setdefault(problem, []).append(server)
    if problems:
        return [failed(f"{', '.join(names)}: {problem}") for problem, names in problems.items()]
    return [passed(f"{', '.join(ctx.servers)}: `apt-get install {PACKAGE}` keeps {PINNED}, "
                   "even with newer releases in the repository")]


def next_install_problem(result: ExecResult) -> str | None:
    """Why the next install would not keep webapp at the pinned version, from what the
    simulation printed on one server; None when it would."""
    kept = KEPT.search(result.stdout)
    if result.ok and not repository_versions(result.stdout):
        return NO_REPOSITORY
    if result.ok and kept and kept.group("version") == PINNED:
        return None
    if result.ok and kept:
        return f"the next install keeps {PACKAGE} {kept.group('version')}, expected {PINNED}"
    changed = CHANGED.search(result.stdout)
    if result.ok and changed:
        return would_change(changed.group("old"), changed.group("new")) + (
            "; it is held, so `apt-get install -y` would stop with an error instead: "
            "a hold is not a pin" if HELD in result.stdout else "")
    lines = (result.stderr or result.stdout).strip().splitlines()
    return ("cannot ask apt what it would install "
            f"(exit {result.exit_code}: {lines[-1] if lines else 'no output'})")


def repository_versions(policy: str) -> set[str]:
    """The versions `apt-cache policy` says a repository offers (a source other than dpkg's
    record of what is installed)."""
    offered: set[str] = set()
    version = None
    for line in policy.splitlines():
        row = VERSION_ROW.match(line)
        if row:
            version = row.group("version")
            continue
        source = SOURCE_ROW.match(line)
        if version and source and source.group("source") != INSTALLED_RECORD:
            offered.add(version)
    return offered


def would_change(old: str | None, new: str) -> str:
    """What the next install would do, in words, from apt's `Inst webapp [OLD] (NEW ...)`."""
    command = f"the next `apt-get install {PACKAGE}`"
    if old is None:
        return f"{PACKAGE} is not installed; {command} would install {new}"
    if old == PINNED:
        return f"{command} would move {PACKAGE} from {old} to {new}: nothing pins {PINNED}"
    if new == PINNED:
        return f"{PACKAGE} {old} is installed, not {PINNED} ({command} would install {PINNED})"
    return f"{command} would move {PACKAGE} from {old} to {new}, not to {PINNED}"
