"""What changed on each server since its image: files, packages, conffiles and holds."""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lab.errors import BuildError, LabError, StateError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.docker.containers import ContainerInfo, ExecResult
    from lab.docker.diffs import Change

PARALLEL = 16

# --- what drift reports -----------------------------------------------------------------


class Kind(str, Enum):
    """What kind of change a finding is; declared in the order findings are listed."""

    PACKAGE_STATE = "package-state"  # a package is not cleanly installed (iF, iU, ...)
    PACKAGE_VERSION = "package-version"
    PACKAGE_ADDED = "package-added"
    PACKAGE_REMOVED = "package-removed"
    HELD = "held"  # apt-mark hold: apt keeps the package back
    CONFFILE_CHANGED = "conffile-changed"  # a package's conffile differs from the package's
    FILE_MODIFIED = "file-modified"  # a package's other file differs from the package's
    FILE_CHANGED = "file-changed"  # content, mode, owner or type differs from the image's
    FILE_ADDED = "file-added"
    FILE_REMOVED = "file-removed"


PHRASES = {
    Kind.PACKAGE_STATE: "{subject} {detail}",
    Kind.PACKAGE_VERSION: "{subject} {detail}",
    Kind.PACKAGE_ADDED: "{subject} installed",
    Kind.PACKAGE_REMOVED: "{subject} removed",
    Kind.HELD: "{subject} held",
    Kind.CONFFILE_CHANGED: "conffile {subject} changed",
    Kind.FILE_MODIFIED: "package file {subject} modified",
    Kind.FILE_CHANGED: "{subject} {detail}",
    Kind.FILE_ADDED: "{subject} added",
    Kind.FILE_REMOVED: "{subject} removed",
}


@dataclass(frozen=True)
class Finding:
    """One change since the image: its kind, the path or package it is about, and how."""

    kind: Kind
    subject: str
    detail: str

    @property
    def summary(self) -> str:
        """A short phrase for a verdict, e.g. 'conffile /etc/nginx/nginx.conf changed'."""
        return PHRASES[self.kind].format(subject=self.subject, detail=self.detail)

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "subject": self.subject, "detail": self.detail}


@dataclass(frozen=True)
class Server:
    """A server to look at: its name, its container and the image it was created from."""

    name: str
    container_id: str
    image: str
    image_id: str


@dataclass(frozen=True)
class ServerDrift:
    """Everything one server changed since its image; no findings means identical."""

    server: Server
    findings: tuple[Finding, ...]

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def identical(self) -> bool:
        return not self.findings

    def of_kind(self, *kinds: Kind) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind in kinds]

    @property
    def count_text(self) -> str:
        count = len(self.findings)
        return f"{count} change{'' if count == 1 else 's'}"

    @property
    def how(self) -> str:
        """e.g. 'conffile /etc/nginx/nginx.conf changed, tree held'."""
        return ", ".join(finding.summary for finding in self.findings)

    def as_json(self) -> dict[str, Any]:
        return {
            "server": self.name, "container": self.server.container_id,
            "image": self.server.image, "image_id": self.server.image_id,
            "identical": self.identical,
            "findings": [finding.as_json() for finding in self.findings],
        }


@dataclass(frozen=True)
class PackageSpread:
    """A package whose installed version is not the same on every server (None: absent)."""

    package: str
    versions: dict[str, str | None]

    @property
    def summary(self) -> str:
        """e.g. 'tree: 2.1.0-1 on web1; absent on web2, web3'."""
        by_version: dict[str | None, list[str]] = {}
        for server, version in self.versions.items():
            by_version.setdefault(version, []).append(server)
        parts = [f"{version or 'absent'} on {', '.join(servers)}"
                 for version, servers in by_version.items()]
        return f"{self.package}: {'; '.join(parts)}"


@dataclass(frozen=True)
class FleetDrift:
    """The drift of every server looked at, and the packages on which servers disagree."""

    exercise_id: str
    servers: tuple[ServerDrift, ...]
    spread: tuple[PackageSpread, ...] = ()

    @property
    def identical(self) -> bool:
        """True when no server has any finding: every one matches its image."""
        return all(server.identical for server in self.servers)

    @property
    def drifted(self) -> list[ServerDrift]:
        return [server for server in self.servers if not server.identical]

    def server(self, name: str) -> ServerDrift:
        for drift in self.servers:
            if drift.name == name:
                return drift
        raise KeyError(name)

    @property
    def verdict(self) -> str:
        """'identical: web1, web2 match their image' or 'drifted: web2 (2 changes), ...'."""
        if self.identical:
            names = ", ".join(server.name for server in self.servers)
            return f"identical: {names} " \
                   f"{'matches its' if len(self.servers) == 1 else 'match their'} image"
        return "drifted: " + ", ".join(f"{server.name} ({server.count_text})"
                                       for server in self.drifted)

    @property
    def how(self) -> str:
        """'web2: conffile /etc/webapp/webapp.conf changed; web3: libwebapp held'."""
        return "; ".join(f"{server.name}: {server.how}" for server in self.drifted)

    def as_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise_id, "identical": self.identical,
            "verdict": self.verdict, "how": self.how,
            "servers": [server.as_json() for server in self.servers],
            "package_spread": [asdict(spread) for spread in self.spread],
        }


# --- noise: changes every server makes by itself -----------------------------------------

# `docker diff` paths that are not drift. `*` matches within one name, `**` across names;
# a pattern ending in `/**` also matches the directory itself. docs/drift.md explains each.
NOISE = (
    "/var/log/**",  # logs: nginx, apt, dpkg and every SSH login append to them
    "/run/**",  # pid files, sockets, sshd's privilege-separation dir: this boot's state
    "/var/run/**",  # the same place as /run under its older name
    "/tmp/**",  # scratch space, for anyone
    "/var/tmp/**",  # scratch space that survives a reboot on real servers
    "/etc/ssh/ssh_host_ed25519_key",  # lab-init makes a fresh host key for each server
    "/etc/ssh/ssh_host_ed25519_key.pub",  # ... and its public half
    "/root/.ssh",  # lab-init creates root's SSH folder at start ...
    "/root/.ssh/authorized_keys",  # ... and writes the lab's key into it
    "/var/www/html/index.html",  # lab-version-page writes the page nginx serves at start
    "/var/www/html/version.txt",  # ... the version it names
    "/var/www/html/health.txt",  # ... and the health answer
    "/var/www/html/.from-package",  # webapp's marker that its own page replaced lab-init's
    "/var/lib/nginx/**",  # nginx makes its temporary folders (request bodies, proxy) at start
    "/var/lib/apt/lists/**",  # apt's copy of the repository index: apt-get update rewrites it
    "/var/cache/apt/**",  # downloaded .debs and apt's binary caches: rebuilt at will
    "/var/cache/debconf/*-old",  # debconf's backups of its databases
    "/var/cache/debconf/templates.dat",  # question texts that packages ship; config.dat
    #                                      (the answers) is NOT noise: it is configuration
    "/var/cache/ldconfig/**",  # ldconfig's cache, derived from the installed libraries
    "/etc/ld.so.cache",  # ... rebuilt by ldconfig whenever a package adds a library
    "/var/lib/dpkg/**",  # dpkg's database: reported as package findings instead
    "/var/lib/apt/extended_states",  # apt's auto-installed marks, part of the same database
    "/var/lib/ucf/**",  # ucf's record of the config files it manages, a package database
    "/var/lib/systemd/deb-systemd-helper-enabled/**",  # maintainer scripts' unit records
    "/etc/passwd-",  # the account tools' backup copies: the real files report the change
    "/etc/group-",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/subuid-",
    "/etc/subgid-",
    "/etc/.pwd.lock",  # the account tools' lock file
    "/root/.bash_history",  # traces of an interactive session (`lab ssh`), not configuration
    "/root/.lesshst",
    "/root/.viminfo",
    "/root/.selected_editor",
    "**/__pycache__/**",  # Python byte code, compiled on the fly from installed sources
)


def _glob_regex(pattern: str) -> str:
    tail = "(/.*)?" if pattern.endswith("/**") else ""
    body = pattern.removesuffix("/**") if tail else pattern
    words = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return "".join(words.get(part, re.escape(part))
                   for part in re.split(r"(\*\*|\*|\?)", body) if part) + tail


_NOISE = re.compile("|".join(f"(?:{_glob_regex(pattern)})" for pattern in NOISE))


def is_noise(path: str) -> bool:
    return _NOISE.fullmatch(path) is not None


def relevant_changes(changes: Iterable[Change]) -> list[Change]:
    """The changes that may be drift: not noise, and not a directory marked changed (C)
    only because something below it changed."""
    changes = list(changes)
    ancestors = {parent for change in changes for parent in _parents(change.path)}
    return [change for change in changes
            if not is_noise(change.path)
            and not (change.kind == "C" and change.path in ancestors)]


def _parents(path: str) -> Iterator[str]:
    while "/" in path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0] or "/"
        yield path
        if path == "/":
            return


# --- packages ----------------------------------------------------------------------------

PACKAGES_QUERY = "dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Version}\\n'"
# apt-mark would otherwise write its binary caches to /var/cache/apt: looking leaves no trace.
HOLDS_QUERY = "apt-mark -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= showhold"
DPKG_DATABASE = "/var/lib/dpkg/"  # status (states, selections, holds) and its journal


@dataclass(frozen=True)
class Package:
    """A package as dpkg-query lists it; `status` is its abbreviated dpkg status, e.g. 'ii'."""

    name: str
    version: str
    status: str

    @property
    def installed(self) -> bool:
        """Its files are on disk, whatever its state (not 'n'ot installed, not 'c'onfig only)."""
        return len(self.status) >= 2 and self.status[1] not in "nc"

    @property
    def healthy(self) -> bool:
        """Installed and configured, with no reinstall-required flag."""
        return self.status[1:] == "i"

    @property
    def held(self) -> bool:
        return self.status.startswith("h")


def parse_packages(stdout: str) -> dict[str, Package]:
    """dpkg-query's 'ii |tree|2.1.0-1' lines, by package name."""
    packages = {}
    for line in stdout.splitlines():
        status, _, rest = line.partition("|")
        name, separator, version = rest.partition("|")
        if separator and name:
            packages[name] = Package(name, version, status.strip())
    return packages


def parse_holds(stdout: str) -> frozenset[str]:
    """`apt-mark showhold`: one package a line, perhaps with an architecture."""
    return frozenset(line.strip().split(":")[0] for line in stdout.splitlines() if line.strip())


def package_findings(image: Mapping[str, Package], server: Mapping[str, Package]) -> list[Finding]:
    """Packages installed, removed, at another version or in a bad state since the image."""
    found: list[Finding] = []
    for name in sorted(set(image) | set(server)):
        found += _package_changes(name, image.get(name), server.get(name))
    return found


def _package_changes(name: str, before: Package | None, after: Package | None) -> list[Finding]:
    was = before if before is not None and before.installed else None
    now = after if after is not None and after.installed else None
    found = []
    if now and not was:
        found.append(Finding(Kind.PACKAGE_ADDED, name, f"{now.version}, not in the image"))
    elif was and not now:
        remains = ", its config files remain" if after and after.status[1:2] == "c" else ""
        found.append(Finding(Kind.PACKAGE_REMOVED, name, f"{was.version} in the image{remains}"))
    elif was and now and was.version != now.version:
        found.append(Finding(Kind.PACKAGE_VERSION, name, f"{was.version} → {now.version}"))
    if now and not now.healthy and not (was and was.status[1:] == now.status[1:]):
        found.append(Finding(Kind.PACKAGE_STATE, name, _describe_state(now.status)))
    return found


def _describe_state(status: str) -> str:
    from lab.checks.package import describe_state

    return f"{describe_state(status)} (dpkg {status})"


def repackaged(image: Mapping[str, Package], server: Mapping[str, Package]) -> frozenset[str]:
    """Packages installed, removed or at another version: the package findings already
    account for the files they brought, took away or replaced."""
    kinds = {Kind.PACKAGE_ADDED, Kind.PACKAGE_REMOVED, Kind.PACKAGE_VERSION}
    return frozenset(finding.subject for finding in package_findings(image, server)
                     if finding.kind in kinds)


def held_findings(holds: Iterable[str], image: Mapping[str, Package],
                  server: Mapping[str, Package]) -> list[Finding]:
    """Packages on hold that were not on hold in the image."""
    found = []
    for name in sorted(set(holds)):
        if name in image and image[name].held:
            continue
        version = server[name].version if name in server else ""
        at = f" at {version}" if version else ""
        found.append(Finding(Kind.HELD, name, f"on hold{at}: apt will not upgrade it"))
    return found


# --- files: owners, dpkg --verify, fingerprints ----------------------------------------

# For each path: its type, mode, owner and a digest (a file's sha256, a link's target).
FINGERPRINT_SCRIPT = r"""
for p do
  if [ -L "$p" ]; then d=$(readlink -- "$p")
  elif [ -f "$p" ]; then d=$(sha256sum < "$p"); d=${d%% *}
  elif [ -e "$p" ]; then d=-
  else printf 'F\t%s\tabsent\n' "$p"; continue
  fi
  printf 'F\t%s\t%s\t%s\n' "$p" "$(stat --printf '%F\t%a\t%u\t%g' -- "$p")" "$d"
done
"""
OWNERS_MARK = "@@owners"
# The image side: fingerprints, then which packages owned each path.
IMAGE_FACTS_SCRIPT = FINGERPRINT_SCRIPT + f'echo {OWNERS_MARK}\ndpkg -S -- "$@" 2>/dev/null\n'
MERGED_USR = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/libo32/")
VERIFY_LINE = re.compile(r"^(?P<checks>.{9}) (?P<attribute>[ c]) (?P<path>/.*)$")
# A probe's command line is one argument of `sh -c`, which Linux limits to 128 KiB.
BATCH_CHARS = 60_000


@dataclass(frozen=True)
class Fingerprint:
    """What makes a path the same as another: type, mode, owner and content."""

    type: str  # "regular file", "directory", "symbolic link", ... or "absent"
    mode: str = ""
    uid: str = ""
    gid: str = ""
    digest: str = ""  # a regular file's sha256, a symbolic link's target

    def same_content(self, other: Fingerprint) -> bool:
        return (self.type, self.digest) == (other.type, other.digest)

    def differences(self, after: Fingerprint) -> str:
        """How `after` differs, e.g. 'mode 644 → 600' or 'content changed'."""
        if self.type != after.type:
            return f"was a {self.type}, now {'absent' if after.type == 'absent' else after.type}"
        parts = []
        if self.digest != after.digest:
            parts.append(f"now points to {after.digest}" if self.type == "symbolic link"
                         else "content changed")
        if self.mode != after.mode:
            parts.append(f"mode {self.mode} → {after.mode}")
        if (self.uid, self.gid) != (after.uid, after.gid):
            parts.append(f"owner {self.uid}:{self.gid} → {after.uid}:{after.gid}")
        return ", ".join(parts)


@dataclass(frozen=True)
class PathFacts:
    """What an image holds at one path: its fingerprint and the packages owning it."""

    fingerprint: Fingerprint
    owners: frozenset[str] = frozenset()


ABSENT = PathFacts(Fingerprint("absent"))


def parse_fingerprints(stdout: str) -> dict[str, Fingerprint]:
    found = {}
    for line in stdout.splitlines():
        fields = line.split("\t")
        if fields[0] == "F" and len(fields) >= 3:
            found[fields[1]] = Fingerprint(*fields[2:7])
    return found


def parse_owners(stdout: str) -> dict[str, frozenset[str]]:
    """`dpkg -S`'s 'pkg1, pkg2:amd64: /path' lines, by path (diversions skipped)."""
    owners = {}
    for line in stdout.splitlines():
        names, separator, path = line.partition(": ")
        if separator and path.startswith("/") and not names.startswith(("diversion ", "local ")):
            owners[path] = frozenset(name.strip().split(":")[0] for name in names.split(","))
    return owners


def parse_verify(stdout: str) -> dict[str, bool]:
    """Paths whose content differs from their package's (`??5??????`), each with whether
    it is a conffile (`c`). Missing files are left out: `docker diff` reports them."""
    modified = {}
    for line in stdout.splitlines():
        match = VERIFY_LINE.match(line)
        if match and match["checks"][2] == "5":
            modified[match["path"]] = match["attribute"] == "c"
    return modified


def parse_image_facts(stdout: str) -> dict[str, PathFacts]:
    fingerprints_part, _, owners_part = f"\n{stdout}".partition(f"\n{OWNERS_MARK}\n")
    owners = parse_owners(owners_part)
    return {path: PathFacts(fingerprint, owners.get(path, frozenset()))
            for path, fingerprint in parse_fingerprints(fingerprints_part).items()}


def dpkg_names(path: str) -> tuple[str, ...]:
    """The path and, under Debian's merged /usr, the other name dpkg may know it by:
    /bin is a link to /usr/bin there, `docker diff` names the real file (/usr/bin/ps) and
    dpkg's database may still name the old one (/bin/ps)."""
    for old in MERGED_USR:
        if path.startswith(f"/usr{old}"):
            return path, path.removeprefix("/usr")
        if path.startswith(old):
            return path, f"/usr{path}"
    return (path,)


def _by_path(found: Mapping[str, frozenset[str]],
             by_alias: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Owners found under any name of a path, gathered under the path `docker diff` gave."""
    owners: dict[str, frozenset[str]] = {}
    for alias, names in found.items():
        if alias in by_alias:
            path = by_alias[alias]
            owners[path] = owners.get(path, frozenset()) | names
    return owners


def _quoted(words: Iterable[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def batches(words: Sequence[str], limit: int = BATCH_CHARS) -> Iterator[list[str]]:
    """`words` in runs whose quoted length stays under `limit`."""
    batch: list[str] = []
    size = 0
    for word in words:
        length = len(shlex.quote(word)) + 1
        if batch and size + length > limit:
            yield batch
            batch, size = [], 0
        batch.append(word)
        size += length
    if batch:
        yield batch


# --- where drift looks -------------------------------------------------------------------


class Sources(Protocol):
    """Where drift looks: a shell in each server, its `docker diff`, and its image."""

    def run(self, container_id: str, command: str) -> ExecResult: ...

    def changes(self, container_id: str) -> list[Change]: ...

    def run_in_image(self, image_id: str, argv: list[str]) -> ExecResult: ...


class DockerSources:
    """The real engine: probe shells, the diff API and throwaway containers of images.

    Diffs can be started early, in the background, while the caller still works out which
    servers to look at; the first `changes` of a container then takes its answer.
    """

    def __init__(self, settings: Settings) -> None:
        from lab.docker import labels
        from lab.docker.probes import Prober

        self._prober = Prober()
        self._labels = labels.managed(student=settings.student, role="drift")
        self._early: dict[str, Future[list[Change]]] = {}
        self._taken: set[str] = set()
        self._early_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="early")

    def prefetch(self, find: Callable[[], Iterable[str]]) -> None:
        """Start the diffs of the containers `find` names, all in the background: finding
        them asks the engine, and a caller's own mistakes should be reported first."""
        self._pool.submit(self._prefetch, find)

    def _prefetch(self, find: Callable[[], Iterable[str]]) -> None:
        with suppress(LabError):  # only a head start: the real call meets the same error
            for container_id in find():
                with self._early_lock:
                    if container_id not in self._taken:
                        self._early[container_id] = self._pool.submit(self._diff, container_id)

    def changes(self, container_id: str) -> list[Change]:
        with self._early_lock:
            self._taken.add(container_id)
            early = self._early.pop(container_id, None)
        return early.result() if early else self._diff(container_id)

    def _diff(self, container_id: str) -> list[Change]:
        from lab.docker.diffs import changes

        return changes(container_id)

    def run(self, container_id: str, command: str) -> ExecResult:
        return self._prober.run(container_id, command)

    def run_in_image(self, image_id: str, argv: list[str]) -> ExecResult:
        from lab.docker.diffs import run_in_image

        return run_in_image(image_id, argv, self._labels)

    def __enter__(self) -> DockerSources:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._prober.close()


class ImageBaseline:
    """What one image holds, cached on disk by image id: images never change."""

    def __init__(self, image_id: str, cache_dir: Path, sources: Sources) -> None:
        self.image_id = image_id
        name = f"{image_id.removeprefix('sha256:')}.json"
        self._packages_file = cache_dir / "image-packages" / name
        self._paths_file = cache_dir / "image-paths" / name
        self._sources = sources
        self._lock = threading.Lock()

    def packages(self) -> dict[str, Package]:
        cached = _read_json(self._packages_file)
        if cached.get("query") == PACKAGES_QUERY:
            return parse_packages(str(cached.get("output", "")))
        result = self._run(["sh", "-c", PACKAGES_QUERY])
        if result.exit_code == 0:
            _write_json(self._packages_file, {"query": PACKAGES_QUERY, "output": result.stdout})
        return parse_packages(result.stdout)

    def facts(self, paths: Iterable[str]) -> dict[str, PathFacts]:
        """Fingerprint and owners of each path in the image; asks a throwaway container
        about the paths never asked about before."""
        with self._lock:
            known = self._known_facts()
            missing = sorted(set(paths) - set(known))
            by_alias = {alias: path for path in missing for alias in dpkg_names(path)}
            found: dict[str, PathFacts] = {}
            for batch in batches(list(by_alias), limit=BATCH_CHARS * 10):
                argv = ["sh", "-c", IMAGE_FACTS_SCRIPT, "sh", *batch]
                found.update(parse_image_facts(self._run(argv).stdout))
            owners = _by_path({alias: facts.owners for alias, facts in found.items()}, by_alias)
            known.update({path: PathFacts(found.get(path, ABSENT).fingerprint,
                                          owners.get(path, frozenset())) for path in missing})
            if missing:
                _write_json(self._paths_file, {"script": IMAGE_FACTS_SCRIPT, "paths": {
                    path: {"fingerprint": asdict(facts.fingerprint),
                           "owners": sorted(facts.owners)} for path, facts in known.items()}})
        return known

    def _run(self, argv: list[str]) -> ExecResult:
        try:
            return self._sources.run_in_image(self.image_id, argv)
        except BuildError as cause:  # the engine no longer has the image
            raise StateError(
                f"image {self.image_id.removeprefix('sha256:')[:12]} of these servers is gone, "
                "so there is nothing to compare them with",
                "Run `lab reset` to recreate the servers from the current image.") from cause

    def _known_facts(self) -> dict[str, PathFacts]:
        cached = _read_json(self._paths_file)
        if cached.get("script") != IMAGE_FACTS_SCRIPT:
            return {}
        return {path: PathFacts(Fingerprint(**entry["fingerprint"]), frozenset(entry["owners"]))
                for path, entry in dict(cached.get("paths", {})).items()}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically: a `lab drift` running beside this one reads the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream)
    os.replace(temporary, path)


# --- looking at servers ------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """What one server shows, before comparing with its image."""

    server: Server
    packages: dict[str, Package]
    holds: frozenset[str]
    changes: tuple[Change, ...]  # relevant ones only
    owners: dict[str, frozenset[str]]  # of the added and changed paths, on the server
    modified: dict[str, bool]  # changed paths that dpkg --verify flags -> is a conffile
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)


def dpkg_touched(changes: Iterable[Change]) -> bool:
    """Whether dpkg's database changed at all: when it did not, the server's packages,
    their states and holds are the image's, and nobody needs to ask dpkg about them."""
    return any(change.path.startswith(DPKG_DATABASE) for change in changes)


def observe(sources: Sources, server: Server, image: Mapping[str, Package]) -> Observation:
    """The server's relevant file changes, packages and holds, with the dpkg owners of the
    changed paths and what `dpkg --verify` says about them."""
    changes = sources.changes(server.container_id)
    relevant = tuple(relevant_changes(changes))
    packages, holds = dict(image), frozenset(name for name in image if image[name].held)
    if dpkg_touched(changes):
        packages = parse_packages(sources.run(server.container_id, PACKAGES_QUERY).stdout)
        holds = parse_holds(sources.run(server.container_id, HOLDS_QUERY).stdout)
    owners = _owners(sources, server, [change.path for change in relevant if change.kind != "D"])
    return Observation(server, packages, holds, relevant, owners,
                       modified=_modified(sources, server, owners))


def _owners(sources: Sources, server: Server, paths: Sequence[str]) -> dict[str, frozenset[str]]:
    by_alias = {alias: path for path in paths for alias in dpkg_names(path)}
    found: dict[str, frozenset[str]] = {}
    for batch in batches(list(by_alias)):
        command = f"dpkg -S -- {_quoted(batch)} 2>/dev/null"
        found.update(parse_owners(sources.run(server.container_id, command).stdout))
    return _by_path(found, by_alias)


def _modified(sources: Sources, server: Server,
              owners: Mapping[str, frozenset[str]]) -> dict[str, bool]:
    """Which of the owned paths `dpkg --verify` flags, each with whether it is a conffile."""
    by_alias = {alias: path for path in owners for alias in dpkg_names(path)}
    modified: dict[str, bool] = {}
    for batch in batches(sorted(set().union(*owners.values()))):
        command = f"dpkg --verify -- {_quoted(batch)} 2>/dev/null"
        found = parse_verify(sources.run(server.container_id, command).stdout)
        modified.update({by_alias[path]: conffile for path, conffile in found.items()
                         if path in by_alias})
    return modified


def fingerprinted(sources: Sources, observation: Observation,
                  paths: Sequence[str]) -> Observation:
    """The observation with the server-side fingerprints of `paths`."""
    found: dict[str, Fingerprint] = {}
    for batch in batches(paths):  # none: no probe at all
        command = f"set -- {_quoted(batch)}\n{FINGERPRINT_SCRIPT}"
        found.update(parse_fingerprints(sources.run(observation.server.container_id,
                                                    command).stdout))
    return replace(observation, fingerprints=found)


def to_compare(observation: Observation, moved: frozenset[str]) -> list[str]:
    """Changed paths whose content, mode and owner must be compared with the image's:
    those no package change accounts for."""
    return [change.path for change in observation.changes if change.kind == "C"
            and (change.path in observation.modified
                 or not observation.owners.get(change.path, frozenset()) & moved)]


def file_findings(observation: Observation, moved: frozenset[str],
                  image: Mapping[str, PathFacts]) -> list[Finding]:
    found = [_file_finding(change, observation, moved, image) for change in observation.changes]
    return fold_subtrees([finding for finding in found if finding is not None])


def _file_finding(change: Change, seen: Observation, moved: frozenset[str],
                  image: Mapping[str, PathFacts]) -> Finding | None:
    path = change.path
    before = image.get(path, ABSENT)
    if change.kind == "D":
        if before.owners & moved:
            return None
        return Finding(Kind.FILE_REMOVED, path, "deleted" + _of_packages(before.owners))
    owners = seen.owners.get(path, frozenset())
    after = seen.fingerprints.get(path)
    if after is not None and after == before.fingerprint:
        return None  # changed back, or only its times changed
    how = before.fingerprint.differences(after) if after else ""
    if path in seen.modified and (after is None or not after.same_content(before.fingerprint)):
        kind = Kind.CONFFILE_CHANGED if seen.modified[path] else Kind.FILE_MODIFIED
        return Finding(kind, path, (how or "differs from its package's copy")
                       + _of_packages(owners))
    if owners & moved:
        return None
    if change.kind == "A":
        return Finding(Kind.FILE_ADDED, path, "not in the image")
    return Finding(Kind.FILE_CHANGED, path, (how or "changed") + _of_packages(owners))


def _of_packages(owners: frozenset[str]) -> str:
    return f" ({', '.join(sorted(owners))})" if owners else ""


def fold_subtrees(findings: Sequence[Finding]) -> list[Finding]:
    """An added (or removed) folder stands for everything added (or removed) below it."""
    tops: dict[tuple[Kind, str], int] = {}
    subjects = {(finding.kind, finding.subject) for finding in findings}
    for finding in findings:
        top = next((parent for parent in reversed(list(_parents(finding.subject)))
                    if (finding.kind, parent) in subjects), None)
        if top is not None:
            tops[finding.kind, top] = tops.get((finding.kind, top), 0) + 1
    return [_with_count(finding, tops.get((finding.kind, finding.subject), 0))
            for finding in findings
            if not any((finding.kind, parent) in subjects for parent in _parents(finding.subject))]


def _with_count(finding: Finding, below: int) -> Finding:
    if not below:
        return finding
    entries = f"{below} entr{'y' if below == 1 else 'ies'}"
    return Finding(finding.kind, finding.subject, f"{finding.detail}, with {entries} below it")


def findings_of(observation: Observation, image_packages: Mapping[str, Package],
                image_paths: Mapping[str, PathFacts]) -> tuple[Finding, ...]:
    """Every finding of one server, packages first, in a stable order."""
    moved = repackaged(image_packages, observation.packages)
    found = [
        *package_findings(image_packages, observation.packages),
        *held_findings(observation.holds, image_packages, observation.packages),
        *file_findings(observation, moved, image_paths),
    ]
    order = list(Kind)
    return tuple(sorted(found, key=lambda finding: (order.index(finding.kind), finding.subject)))


def package_spread(packages: Mapping[str, Mapping[str, Package]]) -> list[PackageSpread]:
    """Packages installed at different versions, or not at all, on different servers."""
    if len(packages) < 2:
        return []
    names = sorted({name for installed in packages.values()
                    for name, package in installed.items() if package.installed})
    spread = []
    for name in names:
        versions = {server: (installed[name].version if name in installed
                             and installed[name].installed else None)
                    for server, installed in packages.items()}
        if len(set(versions.values())) > 1:
            spread.append(PackageSpread(name, versions))
    return spread


def drift_of(servers: Sequence[Server], sources: Sources, cache_dir: Path,
             exercise_id: str = "") -> FleetDrift:
    """Compare each server with its image, all servers and images in parallel.

    Two rounds: each server's diff, packages and dpkg's word on its changed files; then,
    for the changed files no package change explains, their fingerprints on the server
    and in the image.
    """
    baselines = {server.image_id: ImageBaseline(server.image_id, cache_dir, sources)
                 for server in servers}
    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="drift") as pool:
        packages = {image_id: pool.submit(baseline.packages)
                    for image_id, baseline in baselines.items()}
        image_packages = {image_id: future.result() for image_id, future in packages.items()}
        seen = [pool.submit(observe, sources, server, image_packages[server.image_id])
                for server in servers]
        observed = [future.result() for future in seen]
        compared = [to_compare(observation, repackaged(
            image_packages[observation.server.image_id], observation.packages))
            for observation in observed]
        seen = [pool.submit(fingerprinted, sources, observation, paths)
                for observation, paths in zip(observed, compared, strict=True)]
        facts = {image_id: pool.submit(baselines[image_id].facts, paths)
                 for image_id, paths in _image_paths_to_ask(observed, compared).items()}
        observed = [future.result() for future in seen]
        image_paths = {image_id: future.result() for image_id, future in facts.items()}
    drifts = tuple(
        ServerDrift(observation.server, findings_of(
            observation, image_packages[observation.server.image_id],
            image_paths[observation.server.image_id]))
        for observation in observed)
    spread = package_spread({observation.server.name: observation.packages
                             for observation in observed})
    return FleetDrift(exercise_id, drifts, tuple(spread))


def _image_paths_to_ask(observed: Sequence[Observation],
                        compared: Sequence[Sequence[str]]) -> dict[str, set[str]]:
    """Per image: the changed paths to compare, and the deleted ones to find owners for."""
    asked: dict[str, set[str]] = {}
    for observation, paths in zip(observed, compared, strict=True):
        deleted = {change.path for change in observation.changes if change.kind == "D"}
        asked.setdefault(observation.server.image_id, set()).update(paths, deleted)
    return asked


def as_server(info: ContainerInfo) -> Server:
    """The server a running lab container is; StateError when it is not running."""
    from lab import fleet

    name = fleet.server_name(info)
    if not info.running:
        raise StateError(f"server {name} is {info.state}", "Run `lab start` to bring it back.")
    return Server(name, info.id, info.image, info.image_id)


def fleet_drift(settings: Settings, servers: Sequence[str] | None = None) -> FleetDrift:
    """What changed on the current exercise's servers (or those named) since their image."""
    from lab import fleet, learner

    with DockerSources(settings) as sources:
        # Loading the current exercise takes about as long as the engine needs for a diff.
        sources.prefetch(partial(_running_servers, settings, servers))
        exercise, infos = learner.running(settings)
        chosen = [as_server(info) for info in fleet.pick(infos, servers)]
        return drift_of(chosen, sources, settings.cache_dir, exercise.id)


def _running_servers(settings: Settings, names: Sequence[str] | None) -> list[str]:
    """Container ids of the student's running servers (of any exercise: normally one)."""
    from lab import fleet
    from lab.docker import containers

    return [info.id for info in containers.find(student=settings.student, role=fleet.SERVER_ROLE)
            if info.running and (not names or fleet.server_name(info) in names)]
