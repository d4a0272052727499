"""The Debian root every lab image starts from: found locally, pulled, or bootstrapped."""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Callable

from lab.errors import BuildError
from lab.settings import IMAGE_PREFIX

SUITE = "bookworm"
OFFICIAL_REPOSITORY = "debian"
OFFICIAL_TAG = f"{SUITE}-slim"
OFFICIAL = f"{OFFICIAL_REPOSITORY}:{OFFICIAL_TAG}"
BOOTSTRAPPED_REPOSITORY = f"{IMAGE_PREFIX}/debian"
BOOTSTRAPPED = f"{BOOTSTRAPPED_REPOSITORY}:{SUITE}"

Report = Callable[[str], None]


def local_root() -> str | None:
    """A Debian root image the engine already has, the lab's own bootstrap first."""
    from lab.docker import images

    for ref in (BOOTSTRAPPED, OFFICIAL):
        if images.inspect(ref) is not None:
            return ref
    return None


def offline() -> bool:
    """LAB_OFFLINE=1 skips the registry entirely (classrooms that know they have none)."""
    from lab.environment import current_settings

    return current_settings().offline


def bootstrap_blocker() -> str | None:
    """Why debootstrap cannot run here, or None when it can."""
    if platform.system() != "Linux":
        return f"debootstrap needs Linux, this is {platform.system()}"
    if os.geteuid() != 0:
        return "debootstrap needs root (run `sudo lab images bootstrap`)"
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (`apt-get install debootstrap`)"
    return None


def resolve(report: Report) -> str:
    """The root image reference, obtaining it if needed, in the documented order:
    present locally; pulled from a registry; bootstrapped with debootstrap; else an error."""
    found = local_root()
    if found:
        return found
    pull_failure = "skipped (LAB_OFFLINE is set)" if offline() else _try_pull(report)
    if pull_failure is None:
        return OFFICIAL
    blocker = bootstrap_blocker()
    if blocker is None:
        report(f"{OFFICIAL} is not here and the registry failed ({pull_failure}); "
               "building it offline with `lab images bootstrap` (debootstrap)")
        from lab.images.bootstrap import bootstrap

        return bootstrap(report)
    raise BuildError(
        f"no Debian base image: none on this engine, pull {pull_failure}, and {blocker}",
        "Run `lab images bootstrap` on a Linux machine with debootstrap, or load a classroom "
        "bundle with `lab images load FILE`.",
    )


def _try_pull(report: Report) -> str | None:
    """Pull the official image; None on success, else the reason it failed."""
    from lab.docker import images

    report(f"pulling {OFFICIAL}")
    try:
        images.pull(OFFICIAL_REPOSITORY, OFFICIAL_TAG)
    except BuildError as failure:
        return f"failed: {failure.message}"
    return None
