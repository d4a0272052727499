"""What a path is, on a server or in its image: probe scripts for fingerprints and owners,
their parsers, and batches of paths that fit one command line."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from lab import dpkg

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


def parse_image_facts(stdout: str) -> dict[str, PathFacts]:
    fingerprints_part, _, owners_part = f"\n{stdout}".partition(f"\n{OWNERS_MARK}\n")
    owners = dpkg.parse_owners(owners_part)
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


def by_path(found: Mapping[str, frozenset[str]],
            by_alias: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Owners found under any name of a path, gathered under the path `docker diff` gave."""
    owners: dict[str, frozenset[str]] = {}
    for alias, names in found.items():
        if alias in by_alias:
            path = by_alias[alias]
            owners[path] = owners.get(path, frozenset()) | names
    return owners


def parents(path: str) -> Iterator[str]:
    """'/etc/nginx/nginx.conf' -> '/etc/nginx', '/etc', '/'."""
    while "/" in path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0] or "/"
        yield path
        if path == "/":
            return


def quoted(words: Iterable[str]) -> str:
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
