"""Builds the lab's images, skipping each one whose build context hash is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from lab import __version__
from lab.docker import images, labels
from lab.docker.images import BuildProgress
from lab.images import definitions, root
from lab.images.definitions import ImageSpec
from lab.settings import Settings


class Outcome(str, Enum):
    UP_TO_DATE = "up to date"
    BUILT = "built"


@dataclass(frozen=True)
class BuildResult:
    name: str
    ref: str
    image_id: str
    outcome: Outcome


class BuildListener:
    """What a build tells whoever shows it; the CLI renders these with a progress display."""

    def note(self, message: str) -> None:
        """A remark such as "pulling ..." or "bootstrapping ..."."""

    def start(self, spec: ImageSpec) -> None:
        """`spec` is about to be built."""

    def step(self, spec: ImageSpec, step: int, steps: int, instruction: str, line: str) -> None:
        """A line of build output; step/steps from the last `Step N/M` seen."""

    def done(self, spec: ImageSpec, result: BuildResult) -> None:
        """`spec` is built or was already up to date."""


def ensure(
    names: list[str] | None = None,
    *,
    force: bool = False,
    no_cache: bool = False,
    listener: BuildListener | None = None,
    settings: Settings,
) -> list[BuildResult]:
    """Make sure the named images (default: all) and their parents exist and are current,
    from `settings.images_dir`, named under `settings.image_prefix`."""
    listener = listener or BuildListener()
    specs = definitions.select(names)
    parents: dict[str, tuple[str, str]] = {}  # name -> (reference, image id)
    root_ref = root.resolve(listener.note, settings)
    parents["root"] = (root_ref, _image_id(root_ref))
    results = []
    for spec in specs:
        result = _ensure_one(spec, settings, parents[spec.parent], force, no_cache, listener)
        parents[spec.name] = (result.ref, result.image_id)
        results.append(result)
    return results


def _image_id(ref: str) -> str:
    info = images.inspect(ref)
    return info.id if info else ""


def _ensure_one(
    spec: ImageSpec, settings: Settings, parent: tuple[str, str], force: bool, no_cache: bool,
    listener: BuildListener,
) -> BuildResult:
    parent_ref, parent_id = parent
    ref, context = spec.ref_for(settings), spec.context_for(settings)
    wanted_hash = definitions.context_hash(context, parent_id)
    existing = images.inspect(ref)
    if existing and not force and existing.labels.get(labels.CONTEXT_HASH) == wanted_hash:
        result = BuildResult(spec.name, ref, existing.id, Outcome.UP_TO_DATE)
        listener.done(spec, result)
        return result
    listener.start(spec)
    image_id = images.build(
        context,
        ref,
        labels.managed(image=spec.name, version=__version__, context_hash=wanted_hash),
        {spec.parent_arg: parent_ref},
        _forward_progress(spec, listener),
        no_cache=no_cache,
    )
    result = BuildResult(spec.name, ref, image_id, Outcome.BUILT)
    listener.done(spec, result)
    return result


def _forward_progress(spec: ImageSpec, listener: BuildListener) -> Callable[..., None]:
    def forward(progress: BuildProgress) -> None:
        listener.step(spec, progress.step, progress.steps, progress.instruction, progress.line)

    return forward
