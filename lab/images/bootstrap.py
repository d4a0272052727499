"""`lab images bootstrap`: a Debian root image made offline from packages, no registry.

debootstrap (minbase variant) installs Debian into a folder from the distribution's own
package mirror (its default one), the folder is tarred and `docker import`ed. Downloaded
packages are kept in the lab's cache, so a second bootstrap needs no network at all.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path

from lab import __version__
from lab.docker import images, labels
from lab.errors import BuildError
from lab.settings import IMAGE_PREFIX, Settings

SUITE = "bookworm"
BOOTSTRAPPED_REPOSITORY = f"{IMAGE_PREFIX}/debian"  # whatever LAB_IMAGE_PREFIX says
BOOTSTRAPPED = f"{BOOTSTRAPPED_REPOSITORY}:{SUITE}"

Report = Callable[[str], None]

# What an imported root file system lacks compared with an image built by a Dockerfile.
IMPORT_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["bash"]',
]
# Left out of the image: package lists and caches, rebuilt by any `apt-get update`.
SLIM_AWAY = ("var/lib/apt/lists", "var/cache/apt", "var/log", "var/cache/debconf")


def bootstrap_blocker() -> str | None:
    """Why debootstrap cannot run here, or None when it can."""
    if platform.system() != "Linux":
        return f"debootstrap needs Linux, this is {platform.system()}"
    if os.geteuid() != 0:
        return "debootstrap needs root (run `sudo lab images bootstrap`)"
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (`apt-get install debootstrap`)"
    return None


def bootstrap(report: Report, settings: Settings, tag: str = SUITE) -> str:
    """Bootstrap Debian and import it as immutable-lab/debian:TAG; returns the reference.

    The packages are kept in `settings.cache_dir`, for the next bootstrap."""
    blocker = bootstrap_blocker()
    if blocker:
        raise BuildError(f"cannot bootstrap: {blocker}",
                         "Use a Linux machine, or `lab images load FILE` with a bundle.")
    package_cache = settings.cache_dir / "debootstrap"
    package_cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bootstrap-", dir=settings.cache_dir) as work:
        rootfs = Path(work) / "rootfs"
        _debootstrap(rootfs, package_cache, report)
        _slim(rootfs)
        tarball = Path(work) / "rootfs.tar"
        _tar(rootfs, tarball)
        report(f"importing the root file system as {BOOTSTRAPPED_REPOSITORY}:{tag}")
        _import(tarball, tag)
    return f"{BOOTSTRAPPED_REPOSITORY}:{tag}"


def _debootstrap(rootfs: Path, package_cache: Path, report: Report) -> None:
    command = [
        "debootstrap", "--variant=minbase", f"--cache-dir={package_cache}", SUITE, str(rootfs),
    ]
    report(f"running {' '.join(command[:3])} {SUITE} (about half a minute)")
    _run(command, "debootstrap", report)


def _run(command: list[str], what: str, report: Report) -> None:
    """Run a command, reporting its progress lines; on failure, its last lines."""
    tail: deque[str] = deque(maxlen=8)
    seen: set[str] = set()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            phase = _phase(line)
            if phase and phase not in seen:
                seen.add(phase)
                report(f"debootstrap: {phase}")
    if process.returncode != 0:
        raise BuildError(
            f"{what} failed with exit code {process.returncode}: {' | '.join(tail)}",
            "Check that Debian's package mirror is reachable and the disk is not full.",
        )


PHASES = {
    "I: Retrieving": "downloading packages",
    "I: Validating": "checking packages",
    "I: Extracting": "unpacking",
    "I: Installing": "installing the core",
    "I: Unpacking": "installing the base system",
    "I: Configuring": "configuring",
    "I: Base system installed": "done",
}


def _phase(line: str) -> str:
    """debootstrap prints a line per package; the learner sees only its phases."""
    return next((phase for prefix, phase in PHASES.items() if line.startswith(prefix)), "")


def _slim(rootfs: Path) -> None:
    """Delete the files under SLIM_AWAY but keep the folders: apt and dpkg expect them."""
    for relative in SLIM_AWAY:
        for path in sorted((rootfs / relative).rglob("*"), reverse=True):
            if path.is_file() or path.is_symlink():
                path.unlink()


def _tar(rootfs: Path, tarball: Path) -> None:
    result = subprocess.run(
        ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(tarball), "."],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BuildError(f"tar of the bootstrapped file system failed: {result.stderr.strip()}")


def _import(tarball: Path, tag: str) -> None:
    image_labels = labels.managed(image="root", version=__version__)
    changes = [*IMPORT_CHANGES, *(f'LABEL {key}="{value}"' for key, value in image_labels.items())]
    images.import_rootfs(tarball, BOOTSTRAPPED_REPOSITORY, tag, changes)
