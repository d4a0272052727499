"""Custom checks of 07-golden-image: the learner's Dockerfile (does it pin every package it
installs?) and the image they built from it, judged from outside (its labels) and from inside
(a throwaway container of it, as `lab build` smoke-tests it)."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timezone

from lab.authoring import CheckContext, Image, Verdict, failed, passed

PACKAGE = "webapp"
VERSION = "2.0"  # the release the image is to hold, and its `version` label
LIBRARY = "libwebapp"
# What was tested: the versions on `web`, installed while the repository served only these.
# exercise.yaml publishes libwebapp 1.1 the moment a first build fetches webapp 2.0 (a
# build whose RUN step docker takes from its cache fetches nothing).
TESTED = {PACKAGE: VERSION, LIBRARY: "1.0"}
NEWER_LIBRARY = "1.1"
LABEL = "version"
DPKG_PROBE = (r"dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\n' "
              + " ".join(TESTED))
BUILD = "`lab build v2`"
DOCKERFILE = "Dockerfile"
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
OPTIONS_WITH_VALUE = ("-t", "-o", "-c", "--target-release", "--option", "--config-file")


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


def dockerfile_pins_every_package(ctx: CheckContext) -> Verdict:
    """The workspace Dockerfile names an exact version of every package it installs, the
    library webapp depends on included, and the versions are the tested ones."""
    try:
        text = (ctx.workspace / DOCKERFILE).read_text(encoding="utf-8")
    except OSError:
        return failed(f"there is no {DOCKERFILE} in your workspace ({ctx.workspace}): write "
                      f"it, then {BUILD}")
    requests = apt_installs(text)
    if not requests:
        return failed(f"your {DOCKERFILE} installs nothing: add a RUN step with "
                      f"`apt-get install -y {PACKAGE}={VERSION} ...`, then {BUILD}")
    pins = dict(request.partition("=")[::2] for request in requests)
    loose = [name for name, version in pins.items() if not version]
    if loose:
        return failed(f"your {DOCKERFILE} installs {', '.join(loose)} without a version: apt "
                      "takes whatever is newest in the repository at the moment of the build, "
                      "so two builds of the same file can differ. Pin it: "
                      f"{' '.join(pinned(name) for name in loose)}")
    if LIBRARY not in pins:
        return failed(f"your {DOCKERFILE} pins {PACKAGE} but not {LIBRARY}, which {PACKAGE} "
                      f"depends on: apt installs whatever {LIBRARY} is newest when the image "
                      f"is built, and the repository moves on (here {LIBRARY} "
                      f"{NEWER_LIBRARY} appears once a build has fetched {PACKAGE}: `lab repo "
                      f"list`). Pin the one tested on web: {pinned(LIBRARY)}")
    wrong = [f"{name}={pins[name]}" for name in TESTED if pins.get(name) != TESTED[name]]
    if wrong:
        return failed(f"your {DOCKERFILE} pins {', '.join(wrong)}, but the release tested on "
                      f"web is {' '.join(pinned(name) for name in TESTED)}")
    return passed(f"your {DOCKERFILE} installs {' '.join(requests)}: every version named")


def pinned(name: str) -> str:
    return f"{name}={TESTED[name]}" if name in TESTED else f"{name}=VERSION"


def apt_installs(dockerfile: str) -> list[str]:
    """What the Dockerfile's RUN steps ask `apt-get install` (or `apt install`) for, as written:
    `webapp=2.0`, `libwebapp`. Options (`-y`) and shell syntax are left out."""
    joined = re.sub(r"\\\n", " ", dockerfile)  # a line ending in \ continues on the next
    requests: list[str] = []
    for line in joined.splitlines():
        instruction, _, command = line.strip().partition(" ")
        if instruction.upper() == "RUN":
            for part in re.split(r"&&|\|\||;|\|", command):
                requests += install_arguments(part)
    return requests


def install_arguments(command: str) -> list[str]:
    """`apt-get install -y webapp=2.0` -> ['webapp=2.0']; any other command -> []."""
    try:
        words = shlex.split(command)
    except ValueError:  # an unbalanced quote: not a command this check understands
        return []
    while words and ASSIGNMENT.match(words[0]):  # `DEBIAN_FRONTEND=noninteractive apt-get`
        words = words[1:]
    if not words or words[0].rsplit("/", 1)[-1] not in ("apt-get", "apt") \
            or "install" not in words:
        return []
    after = iter(words[words.index("install") + 1:])
    requests = []
    for word in after:
        if word in OPTIONS_WITH_VALUE:
            next(after, None)  # `-t bookworm`, `-o Dpkg::...`: the value is no package
        elif not word.startswith("-"):
            requests.append(word)
    return requests


def image_holds_webapp(ctx: CheckContext) -> Verdict:
    """A container of the image has webapp 2.0 and libwebapp 1.0 installed and configured
    (dpkg says `ii`): exactly the versions that were tested, nothing newer."""
    image = the_image(ctx)
    if isinstance(image, str):
        return failed(image)
    name = image.named
    tried = ctx.smoke(image.id, probes=[DPKG_PROBE])
    found = installed(tried.outputs.get(DPKG_PROBE, ""))
    if PACKAGE not in found:
        if not tried.healthy and "exited" in tried.detail:
            return failed(f"{name}: a container of it did not stay up ({tried.detail})")
        return failed(f"{name}: {PACKAGE} is not installed in the image: install it in a "
                      f"RUN step of your Dockerfile, then {BUILD}")
    for package, (state, version) in found.items():
        if state != "ii":
            return failed(f"{name}: {package} {version} is in dpkg state {state}, not ii "
                          "(installed and configured): its installation did not finish")
    version = found[PACKAGE][1]
    if version != VERSION:
        return failed(f"{name}: {PACKAGE} {version} is installed, not {VERSION}: name the "
                      f"version in the install command ({PACKAGE}={VERSION}), so the "
                      "image holds the release that was tested whatever else the "
                      "repository serves")
    library = found.get(LIBRARY, ("", "?"))[1]
    if library == NEWER_LIBRARY:
        return failed(f"{name} holds {LIBRARY} {library}, released after you started: your "
                      f"Dockerfile installs whatever {LIBRARY} is newest, so this image is not "
                      f"the one tested. Pin it: {pinned(LIBRARY)}, then {BUILD}")
    if library != TESTED[LIBRARY]:
        return failed(f"{name} holds {LIBRARY} {library}, not {TESTED[LIBRARY]}, the version "
                      f"tested on web: pin it ({pinned(LIBRARY)}), then {BUILD}")
    return passed(f"{name}: {PACKAGE} {VERSION} and {LIBRARY} {library}, installed and "
                  "configured (ii): the versions tested on web")


def installed(listing: str) -> dict[str, tuple[str, str]]:
    """dpkg-query's 'webapp ii  2.0' lines -> {'webapp': ('ii', '2.0')}."""
    found = {}
    for line in listing.splitlines():
        words = line.split()
        if len(words) >= 2:
            found[words[0]] = (words[1], words[-1] if len(words) > 2 else "?")
    return found


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
