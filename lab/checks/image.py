"""The `image` check: a server runs from the expected image, named by tag, digest or labels,
or one the learner built."""

from __future__ import annotations

import threading

from lab.checks.base import CheckResult, ServerCheck, with_remedy
from lab.checks.context import CheckContext
from lab.checks.executor import Executor, ServerInfo
from lab.checks.records import short_id
from lab.checks.specs import ImageSpec


def full_reference(reference: str) -> str:
    """'web' -> 'web:latest', the way docker completes an image name without a tag."""
    last_part = reference.rsplit("/", 1)[-1]
    return reference if ":" in last_part or "@" in last_part else f"{reference}:latest"


def describe_image(info: ServerInfo) -> str:
    names = ", ".join(info.image_tags) if info.image_tags else "an untagged image"
    return f"{names} ({short_id(info.image_id)})"


class ImageCheck(ServerCheck[ImageSpec]):
    """Compare the container's image with the tag, id prefix and labels the spec names, and
    with the images the learner built."""

    def __init__(self, spec: ImageSpec, context: CheckContext) -> None:
        super().__init__(spec, context)
        self._lock = threading.Lock()
        self._built_ids: frozenset[str] | None = None

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        info = executor.info(server)
        problems = self._problems(info)
        if self.spec.built and info.image_id not in self._built():
            problems.append(f"runs {describe_image(info)}, not an image you built with "
                            "`lab build`")
        if problems:
            reason = with_remedy("; ".join(problems), self.spec.remedy)
            return self.failed(server, reason, found=info.image_id)
        mine = ", an image you built" if self.spec.built else ""
        return self.passed(server, f"runs {describe_image(info)}{mine}", found=info.image_id)

    def _built(self) -> frozenset[str]:
        """The ids of the learner's images, asked once for all servers."""
        with self._lock:
            if self._built_ids is None:
                self._built_ids = frozenset(image.id for image in self.context.images())
            return self._built_ids

    def _problems(self, info: ServerInfo) -> list[str]:
        spec, problems = self.spec, []
        if spec.tag is not None:
            wanted = full_reference(spec.tag)
            if wanted not in {full_reference(tag) for tag in info.image_tags}:
                problems.append(f"runs {describe_image(info)}, expected {wanted}")
        if spec.digest is not None:
            found = info.image_id.removeprefix("sha256:")
            if not found.startswith(spec.digest):
                problems.append(f"runs image {short_id(found)}, expected {spec.digest[:12]}")
        for key, wanted_value in (spec.labels or {}).items():
            problems += self._label_problems(info, key, wanted_value)
        return problems

    @staticmethod
    def _label_problems(info: ServerInfo, key: str, wanted: str) -> list[str]:
        found = info.image_labels.get(key)
        if found is None:
            return [f"its image has no label {key}, expected {key}={wanted}"]
        if found != wanted:
            return [f"its image has label {key}={found}, expected {key}={wanted}"]
        return []
