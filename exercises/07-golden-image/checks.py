"""Custom checks of 07-golden-image: the image the learner built, judged from outside (its
labels) and from inside (a throwaway container of it, as `lab build` smoke-tests it)."""

from __future__ import annotations

from datetime import datetime, timezone

from lab.authoring import CheckContext, Image, Verdict, failed, passed

PACKAGE = "webapp"
VERSION = "2.0"  # the release the image is to hold, and its `version` label
LABEL = "version"
DPKG_PROBE = f"dpkg-query -W -f='${{db:Status-Abbrev}} ${{Version}}' {PACKAGE}"
BUILD = "`lab build v2`"


# --- which image ---------------------------------------------------------------------------


def the_image(ctx: CheckContext) -> Image | str:
    """The newest image built in this exercise since it was (re)started, or why there is
    none: an image from an earlier attempt does not count after `lab reset`."""
    image = ctx.latest_build()
    if image is None:
        return (f"you have not built an image in this exercise yet: write your Dockerfile, "
                f"then {BUILD}")
    started, built = ctx.started_at, image.built_at
    if started is not None and built is not None and built < aware(started).replace(
            microsecond=0):
        return (f"your newest image, {image.named}, was built at {clock(built)}, before the "
                f"exercise was started again at {clock(started)}: run {BUILD} again "
                "(docker's cache makes it quick)")
    return image


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clock(moment: datetime) -> str:
    return aware(moment).astimezone().strftime("%H:%M:%S")


# --- the checks ----------------------------------------------------------------------------


def image_was_built(ctx: CheckContext) -> Verdict:
    """An image was built from the workspace in this exercise."""
    image = the_image(ctx)
    if isinstance(image, str):
        return failed(image)
    when = f", built at {clock(image.built_at)}" if image.built_at else ""
    return passed(f"{image.named}{when}")


def image_holds_webapp(ctx: CheckContext) -> Verdict:
    """A container of the image has webapp 2.0 installed and configured: dpkg says `ii`."""
    image = the_image(ctx)
    if isinstance(image, str):
        return failed(image)
    name = image.named
    tried = ctx.smoke(image.id, probes=[DPKG_PROBE])
    words = tried.outputs.get(DPKG_PROBE, "").split()
    if not words:
        if not tried.healthy and "exited" in tried.detail:
            return failed(f"{name}: a container of it did not stay up ({tried.detail})")
        return failed(f"{name}: {PACKAGE} is not installed in the image: install it in a "
                      f"RUN step of your Dockerfile, then {BUILD}")
    state, version = words[0], words[-1] if len(words) > 1 else "?"
    if state != "ii":
        return failed(f"{name}: {PACKAGE} {version} is in dpkg state {state}, not ii "
                      "(installed and configured): its installation did not finish")
    if version != VERSION:
        return failed(f"{name}: {PACKAGE} {version} is installed, not {VERSION}: name the "
                      f"version in the install command ({PACKAGE}={VERSION}), so the "
                      "image holds the release that was tested whatever else the "
                      "repository serves")
    return passed(f"{name}: {PACKAGE} {VERSION} is installed and configured (ii)")


def image_is_labelled(ctx: CheckContext) -> Verdict:
    """The image says what it holds: a `version` label of 2.0."""
    image = the_image(ctx)
    if isinstance(image, str):
        return failed(image)
    name = image.named
    label = image.labels.get(LABEL)
    if label is None:
        return failed(f"{name} has no `{LABEL}` label: add `LABEL {LABEL}=\"{VERSION}\"` to "
                      f"your Dockerfile, then {BUILD}")
    if label != VERSION:
        return failed(f"{name} is labelled {LABEL}={label}, but it is meant to hold "
                      f"{PACKAGE} {VERSION}: a label that does not match the software "
                      "misleads everyone who reads it")
    return passed(f"{name} is labelled {LABEL}={label}")


def image_is_healthy(ctx: CheckContext) -> Verdict:
    """A throwaway container of the image answers `ok` on /health."""
    image = the_image(ctx)
    if isinstance(image, str):
        return failed(image)
    tried = ctx.smoke(image.id)
    if tried.healthy:
        return passed(f"a new container of {image.named} {tried.detail} on /health")
    return failed(f"a new container of {image.named}: {tried.detail}")
