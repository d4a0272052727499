"""Image operations on the engine: inspect, pull, import, build, save, load and remove."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from lab.docker import labels
from lab.docker.engine import api, client, engine_errors, sdk
from lab.errors import BuildError

STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # apt's red E: lines, through the build stream
LOG_TAIL = 12
PULL_TIMEOUT = 30


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    labels: dict[str, str]
    created: str
    size: int

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


@dataclass
class BuildProgress:
    """What a running build has reached; handed to the caller after each log line."""

    step: int = 0
    steps: int = 0
    instruction: str = ""
    line: str = ""
    tail: list[str] = field(default_factory=list)


def _image_info(attrs: dict[str, Any]) -> ImageInfo:
    config = attrs.get("Config") or {}
    return ImageInfo(
        id=attrs["Id"],
        tags=tuple(attrs.get("RepoTags") or ()),
        labels=dict(config.get("Labels") or {}),
        created=str(attrs.get("Created", "")),
        size=int(attrs.get("Size", 0)),
    )


def inspect(ref: str) -> ImageInfo | None:
    """The image `ref` names, or None when the engine does not have it."""
    with engine_errors():
        try:
            return _image_info(api().inspect_image(ref))
        except sdk().ImageNotFound:
            return None


def list_lab_images(**label_values: str) -> list[ImageInfo]:
    """Every image carrying `lab.managed=true` (and these label values), tagged or not."""
    with engine_errors():
        found = api().images(filters={"label": labels.selector(**label_values)})
    return [
        ImageInfo(
            id=item["Id"],
            tags=tuple(tag for tag in item.get("RepoTags") or () if tag != "<none>:<none>"),
            labels=dict(item.get("Labels") or {}),
            created=datetime.fromtimestamp(item.get("Created", 0)).isoformat(timespec="seconds"),
            size=int(item.get("Size", 0)),
        )
        for item in found
    ]


def pull(repository: str, tag: str) -> None:
    """Pull from a registry; raises BuildError soon when no registry answers.

    The engine itself fails at once when the registry's name does not resolve; the read
    timeout covers a registry that swallows packets instead. (docker-py's own `pull` waits
    without a limit, so the request is made here.)
    """
    with engine_errors():
        low = api()
        try:
            response = low._post(low._url("/images/create"),
                                 params={"fromImage": repository, "tag": tag},
                                 stream=True, timeout=PULL_TIMEOUT)
            low._raise_for_status(response)
            for event in low._stream_helper(response, decode=True):
                if "error" in event:
                    raise BuildError(f"could not pull {repository}:{tag}: {event['error']}")
        except sdk().APIError as cause:
            reason = str(cause.explanation or cause).splitlines()[0][:200]
            raise BuildError(f"could not pull {repository}:{tag}: {reason}") from cause
        except sdk().RequestException as cause:
            raise BuildError(
                f"could not pull {repository}:{tag}: no answer in {PULL_TIMEOUT} s"
            ) from cause


def tag(ref: str, repository: str, tag_name: str) -> None:
    with engine_errors():
        api().tag(ref, repository, tag_name)


def import_rootfs(tarball: Path, repository: str, tag_name: str, changes: list[str]) -> str:
    """`docker import` of a root file system tarball; returns the new image id."""
    with engine_errors():
        # From a file, not a stream: the upload then has a length, and older engines
        # reject docker-py's chunked stream upload ("invalid byte in chunk length").
        answer = api(timeout=3600).import_image_from_file(
            str(tarball), repository=repository, tag=tag_name, changes=changes
        )
    info = inspect(f"{repository}:{tag_name}")
    if info is None:
        raise BuildError(f"docker import of {tarball} produced no image: {answer}")
    return info.id


def _build_events(**kwargs: Any) -> Iterator[dict[str, Any]]:
    with engine_errors():
        yield from api(timeout=3600).build(decode=True, rm=True, forcerm=True, **kwargs)


def build(
    context: Path,
    tag_ref: str,
    image_labels: dict[str, str],
    buildargs: dict[str, str],
    on_progress: Callable[[BuildProgress], None],
    no_cache: bool = False,
    network: str | None = None,
    dockerfile: str | None = None,
) -> str:
    """Build `context`'s Dockerfile; returns the image id or raises with the failing step.

    `network`: the network RUN steps join (a lab exercise's, where `repo` resolves).
    """
    progress = BuildProgress()
    image_id = ""
    for event in _build_events(
        path=str(context), tag=tag_ref, labels=image_labels, buildargs=buildargs, pull=False,
        nocache=no_cache, network_mode=network, dockerfile=dockerfile,
    ):
        if "error" in event:
            raise _build_failure(tag_ref, progress, str(event["error"]))
        image_id = event.get("aux", {}).get("ID", image_id)
        for line in COLOUR.sub("", str(event.get("stream", ""))).splitlines():
            _advance(progress, line)
            on_progress(progress)
    built = inspect(tag_ref)
    return built.id if built else image_id


def _advance(progress: BuildProgress, line: str) -> None:
    progress.line = line
    step = STEP.match(line)
    if step:
        progress.step, progress.steps = int(step.group(1)), int(step.group(2))
        progress.instruction = step.group(3)
    if line.strip():
        progress.tail = [*progress.tail[-(LOG_TAIL - 1):], line]


def _build_failure(tag_ref: str, progress: BuildProgress, error: str) -> BuildError:
    where = f"step {progress.step}/{progress.steps} `{progress.instruction}`"
    last = " | ".join(line.strip() for line in progress.tail[-5:])
    return BuildError(
        f"building {tag_ref} failed at {where}: {error.strip()} (last output: {last})",
        "Fix the Dockerfile step above, or run with --verbose for the whole log.",
    )


def save(refs: list[str], sink: Sink) -> None:
    """`docker save` of several images into one stream, layers shared between them once."""
    with engine_errors():
        low = api(timeout=3600)
        response = low._get(low._url("/images/get"), params={"names": refs}, stream=True)
        low._raise_for_status(response)
        for chunk in response.iter_content(chunk_size=1 << 20):
            sink.write(chunk)


def load(source: IO[bytes]) -> list[str]:
    """`docker load`; returns the image names the engine reports loaded."""
    loaded: list[str] = []
    with engine_errors():
        for event in api(timeout=3600).load_image(source):
            if "error" in event:
                raise BuildError(f"docker load failed: {event['error']}")
            text = str(event.get("stream", ""))
            if text.startswith("Loaded image"):
                loaded.append(text.split(":", 1)[1].strip())
    return loaded


def remove(ref: str) -> str | None:
    """Remove one image; returns why not when the engine refuses (e.g. a container uses it)."""
    with engine_errors():
        try:
            client().images.remove(ref, force=False, noprune=False)
        except sdk().ImageNotFound:
            return None
        except sdk().APIError as cause:
            return str(cause.explanation or cause)
    return None

