"""The `image` check: a server runs from the expected image, named by tag, digest or labels."""

from __future__ import annotations

from lab.checks.base import CheckResult, ServerCheck
from lab.checks.executor import Executor, ServerInfo
from lab.checks.specs import ImageSpec


def full_reference(reference: str) -> str:
    """'web' -> 'web:latest', the way docker completes an image name without a tag."""
    last_part = reference.rsplit("/", 1)[-1]
    return reference if ":" in last_part or "@" in last_part else f"{reference}:latest"


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def describe_image(info: ServerInfo) -> str:
    names = ", ".join(info.image_tags) if info.image_tags else "an untagged image"
    return f"{names} ({short_id(info.image_id)})"


class ImageCheck(ServerCheck[ImageSpec]):
    """Compare the container's image with the tag, id prefix and labels the spec names."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        info = executor.info(server)
        problems = self._problems(info)
        if problems:
            return self.failed(server, "; ".join(problems), found=info.image_id)
        return self.passed(server, f"runs {describe_image(info)}", found=info.image_id)

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
