"""The Debian root every lab image starts from: found locally, pulled, or bootstrapped."""

from __future__ import annotations

from lab.docker import images
from lab.errors import BuildError
from lab.images.bootstrap import BOOTSTRAPPED, SUITE, Report, bootstrap, bootstrap_blocker
from lab.settings import Settings

OFFICIAL_REPOSITORY = "debian"
OFFICIAL_TAG = f"{SUITE}-slim"
OFFICIAL = f"{OFFICIAL_REPOSITORY}:{OFFICIAL_TAG}"

# The bootstrap's image and blocker are also this module's answers (`lab doctor` asks here).
__all__ = ["BOOTSTRAPPED", "OFFICIAL", "bootstrap_blocker", "local_root", "resolve"]


def local_root() -> str | None:
    """A Debian root image the engine already has, the lab's own bootstrap first."""
    for ref in (BOOTSTRAPPED, OFFICIAL):
        if images.inspect(ref) is not None:
            return ref
    return None


def resolve(report: Report, settings: Settings) -> str:
    """The root image reference, obtaining it if needed, in the documented order:
    present locally; pulled from a registry (never when `settings.offline`, LAB_OFFLINE=1:
    classrooms that know they have none); bootstrapped with debootstrap; else an error."""
    found = local_root()
    if found:
        return found
    pull_failure = "skipped (LAB_OFFLINE is set)" if settings.offline else _try_pull(report)
    if pull_failure is None:
        return OFFICIAL
    blocker = bootstrap_blocker()
    if blocker is None:
        report(f"{OFFICIAL} is not here and the registry failed ({pull_failure}); "
               "building it offline with `lab images bootstrap` (debootstrap)")
        return bootstrap(report, settings)
    raise BuildError(
        f"no Debian base image: none on this engine, pull {pull_failure}, and {blocker}",
        "Run `lab images bootstrap` on a Linux machine with debootstrap, or load a classroom "
        "bundle with `lab images load FILE`.",
    )


def _try_pull(report: Report) -> str | None:
    """Pull the official image; None on success, else the reason it failed."""
    report(f"pulling {OFFICIAL}")
    try:
        images.pull(OFFICIAL_REPOSITORY, OFFICIAL_TAG)
    except BuildError as failure:
        return f"failed: {failure.message}"
    return None
