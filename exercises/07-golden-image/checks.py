"""Custom checks of 07-golden-image: the image the learner built, judged from outside (its
labels) and from inside (a throwaway container of it, as `lab build` smoke-tests it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from lab.checks.base import CheckContext
from lab.checks.executor import Executor

if TYPE_CHECKING:
    from lab.docker.images import ImageInfo
    from lab.settings import Settings

EXERCISE_ID = Path(__file__).resolve().parent.name  # the folder's name is the exercise's id
PACKAGE = "webapp"
VERSION = "2.0"  # the release the image is to hold, and its `version` label
LABEL = "version"
DPKG_PROBE = f"dpkg-query -W -f='${{db:Status-Abbrev}} ${{Version}}' {PACKAGE}"
BUILD = "`lab build v2`"

Verdict = tuple[bool, str]


# --- which image ---------------------------------------------------------------------------


def settings_of(context: CheckContext) -> Settings:
    from lab.environment import current_settings

    return context.settings or current_settings()


def the_image(context: CheckContext) -> ImageInfo | str:
    """The newest image built in this exercise since it was (re)started, or why there is
    none: an image from an earlier attempt does not count after `lab reset`."""
    from lab.deploy import builds

    settings = settings_of(context)
    image = builds.latest_build(settings, EXERCISE_ID)
    if image is None:
        return (f"you have not built an image in this exercise yet: write your Dockerfile, "
                f"then {BUILD}")
    started, built = context.marks.get("start"), built_at(image)
    if started is not None and built is not None and built < aware(started).replace(
            microsecond=0):
        return (f"your newest image, {name_of(image, settings)}, was built at {clock(built)}, "
                f"before the exercise was started again at {clock(started)}: run {BUILD} "
                "again (docker's cache makes it quick)")
    return image


def built_at(image: ImageInfo) -> datetime | None:
    from lab.deploy.builds import BUILT_AT_LABEL

    try:
        return aware(datetime.fromisoformat(image.labels.get(BUILT_AT_LABEL, "")))
    except ValueError:
        return None


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clock(moment: datetime) -> str:
    return aware(moment).astimezone().strftime("%H:%M:%S")


def name_of(image: ImageInfo, settings: Settings) -> str:
    from lab.deploy.builds import display_name

    return f"{display_name(image, settings)} ({image.short_id})"


# --- the checks ----------------------------------------------------------------------------


def image_was_built(executor: Executor, servers: Sequence[str],
                    context: CheckContext) -> Verdict:
    """An image was built from the workspace in this exercise."""
    image = the_image(context)
    if isinstance(image, str):
        return False, image
    built = built_at(image)
    when = f", built at {clock(built)}" if built else ""
    return True, f"{name_of(image, settings_of(context))}{when}"


def image_holds_webapp(executor: Executor, servers: Sequence[str],
                       context: CheckContext) -> Verdict:
    """A container of the image has webapp 2.0 installed and configured: dpkg says `ii`."""
    from lab.deploy import smoke

    image = the_image(context)
    if isinstance(image, str):
        return False, image
    settings = settings_of(context)
    name = name_of(image, settings)
    tried = smoke.run(settings, EXERCISE_ID, image.id, probes=[DPKG_PROBE])
    words = tried.outputs.get(DPKG_PROBE, "").split()
    if not words:
        if not tried.healthy and "exited" in tried.detail:
            return False, f"{name}: a container of it did not stay up ({tried.detail})"
        return False, (f"{name}: {PACKAGE} is not installed in the image: install it in a "
                       f"RUN step of your Dockerfile, then {BUILD}")
    state, version = words[0], words[-1] if len(words) > 1 else "?"
    if state != "ii":
        return False, (f"{name}: {PACKAGE} {version} is in dpkg state {state}, not ii "
                       "(installed and configured): its installation did not finish")
    if version != VERSION:
        return False, (f"{name}: {PACKAGE} {version} is installed, not {VERSION}: name the "
                       f"version in the install command ({PACKAGE}={VERSION}), so the "
                       "image holds the release that was tested whatever else the "
                       "repository serves")
    return True, f"{name}: {PACKAGE} {VERSION} is installed and configured (ii)"


def image_is_labelled(executor: Executor, servers: Sequence[str],
                      context: CheckContext) -> Verdict:
    """The image says what it holds: a `version` label of 2.0."""
    image = the_image(context)
    if isinstance(image, str):
        return False, image
    name = name_of(image, settings_of(context))
    label = image.labels.get(LABEL)
    if label is None:
        return False, (f"{name} has no `{LABEL}` label: add `LABEL {LABEL}=\"{VERSION}\"` to "
                       f"your Dockerfile, then {BUILD}")
    if label != VERSION:
        return False, (f"{name} is labelled {LABEL}={label}, but it is meant to hold "
                       f"{PACKAGE} {VERSION}: a label that does not match the software "
                       "misleads everyone who reads it")
    return True, f"{name} is labelled {LABEL}={label}"


def image_is_healthy(executor: Executor, servers: Sequence[str],
                     context: CheckContext) -> Verdict:
    """A throwaway container of the image answers `ok` on /health."""
    from lab.deploy import smoke

    image = the_image(context)
    if isinstance(image, str):
        return False, image
    settings = settings_of(context)
    name = name_of(image, settings)
    tried = smoke.run(settings, EXERCISE_ID, image.id)
    if tried.healthy:
        return True, f"a new container of {name} {tried.detail} on /health"
    return False, f"a new container of {name}: {tried.detail}"
