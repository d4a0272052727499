"""The learner's own images: `lab build` of the workspace Dockerfile, their names, and finding
the image a `lab deploy` means."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lab import __version__, fleet
from lab.docker import images, labels
from lab.docker.images import BuildProgress, ImageInfo
from lab.errors import StateError, UsageError
from lab.exercises.schema import Exercise
from lab.exercises.workspace import workspace_path
from lab.images import definitions
from lab.settings import Settings

APP_ROLE = "app"
TAG_LABEL = "lab.tag"
BUILT_AT_LABEL = "lab.built-at"
SERVER_IMAGE_ARG = "SERVER_IMAGE"  # the workspace Dockerfiles start `FROM ${SERVER_IMAGE}`
DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
IMAGE_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")  # Docker's rule


def repository(settings: Settings) -> str:
    """Where a student's images live: `lab-learner/app`, so students never share a tag."""
    name = f"lab-{settings.student}"
    if not IMAGE_PATH_COMPONENT.match(name):  # a valid student `ann.` or `a..b`: no valid image
        words = "-".join(re.findall(r"[a-z0-9]+", settings.student))
        name = f"lab-{words}-{hashlib.sha256(settings.student.encode()).hexdigest()[:8]}"
    return f"{name}/app"


def check_tag(tag: str) -> str:
    if not DOCKER_TAG.match(tag):
        raise UsageError(f"{tag!r} is not a valid image tag",
                         "Use letters, digits, '_', '.' and '-', like v2 or 2.0.")
    return tag


@dataclass(frozen=True)
class Built:
    ref: str
    image_id: str
    content_hash: str
    seconds: float


def build(settings: Settings, exercise: Exercise, tag: str, *, dockerfile: str | None,
          build_args: dict[str, str], no_cache: bool,
          on_progress: Callable[[BuildProgress], None]) -> Built:
    """Build the workspace into `lab-<student>/app:<tag>`, with the exercise's network (and
    so its `repo`) reachable from RUN steps, labelled with what was built and when."""
    context = check_dockerfile(settings, exercise, dockerfile)
    network = _network_for_build(settings, exercise)
    server = definitions.BY_NAME["server"].ref_for(settings)
    server_info = images.inspect(server)
    content_hash = definitions.context_hash(context, server_info.id if server_info else "")
    ref = f"{repository(settings)}:{check_tag(tag)}"
    # `image` and `version` are set again: the server image's own would be inherited, and
    # the learner's image would pass for one of the lab's.
    image_labels = labels.managed(
        image=APP_ROLE, version=__version__,
        student=settings.student, exercise=exercise.id, role=APP_ROLE, tag=tag,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        context_hash=content_hash,
    )
    began = time.monotonic()
    image_id = images.build(context, ref, image_labels, {SERVER_IMAGE_ARG: server, **build_args},
                            on_progress, no_cache=no_cache, network=network,
                            dockerfile=dockerfile)
    return Built(ref, image_id, content_hash, time.monotonic() - began)


def check_dockerfile(settings: Settings, exercise: Exercise, dockerfile: str | None) -> Path:
    """The build context (the workspace); UsageError when the Dockerfile is not there."""
    context = workspace_path(exercise, settings)
    name = dockerfile or "Dockerfile"
    if not (context / name).is_file():
        raise UsageError(f"there is no {name} in your workspace {context}",
                         f"Write one there: the exercise's page ({exercise.id}) says what "
                         "it should do.")
    return context


def _network_for_build(settings: Settings, exercise: Exercise) -> str | None:
    """The exercise's network, where the lab's repository answers as `repo`."""
    if not exercise.spec.repository:
        return None
    names = fleet.Names(settings.student, exercise.id)
    running = [info for info in fleet.fleet_containers(settings, exercise.id)
               if info.labels.get(labels.ROLE) == fleet.REPO_ROLE and info.running]
    if not running:
        raise StateError(f"the lab's package repository of {exercise.id} is not running, and "
                         "the build installs from it",
                         f"Run `lab start {exercise.id}` first.")
    return names.network


def resolve(settings: Settings, reference: str) -> ImageInfo:
    """The image a learner means: a tag of theirs (`v2`), or any reference or image id."""
    reference = reference.strip()
    if not reference:
        raise UsageError("no image given", "Name one of yours, like `v2`: `lab images` lists them.")
    candidates = [reference]
    if DOCKER_TAG.match(reference) and not reference.startswith("sha256"):
        candidates.insert(0, f"{repository(settings)}:{reference}")
    for candidate in candidates:
        found = images.inspect(candidate)
        if found is not None:
            return found
    raise UsageError(f"there is no image {reference!r}",
                     f"Build it with `lab build {reference}`, or see yours with `lab images list`.")


def display_name(info: ImageInfo, settings: Settings) -> str:
    """How the lab names an image to the learner: its tag of theirs, else a tag, else its id."""
    mine = [tag for tag in info.tags if tag.startswith(repository(settings) + ":")]
    if mine:
        return mine[0]
    return info.tags[0] if info.tags else info.short_id


def student_images(settings: Settings) -> list[ImageInfo]:
    """The student's built images, newest first."""
    found = images.list_lab_images(student=settings.student, role=APP_ROLE)
    return sorted(found, key=lambda info: info.labels.get(BUILT_AT_LABEL, ""), reverse=True)


def latest_build(settings: Settings, exercise_id: str) -> ImageInfo | None:
    """The newest image the student built in this exercise."""
    return next((info for info in student_images(settings)
                 if info.labels.get(labels.EXERCISE) == exercise_id), None)

