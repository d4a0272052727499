"""Changes every server makes by itself (logs, pid files, fresh host keys): not drift."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lab.drift.paths import parents

if TYPE_CHECKING:
    from lab.docker.diffs import Change

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
    ancestors = {parent for change in changes for parent in parents(change.path)}
    return [change for change in changes
            if not is_noise(change.path)
            and not (change.kind == "C" and change.path in ancestors)]
