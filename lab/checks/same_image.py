"""The `same-image` check: every server runs the very same image, maybe one the learner built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lab.checks.base import AllServersCheck, CheckResult, with_remedy
from lab.checks.context import narrowed
from lab.checks.executor import Executor, ServerInfo
from lab.checks.image import describe_image
from lab.checks.specs import SameImageSpec
from lab.checks.views import Image


def image_named(info: ServerInfo, built: Mapping[str, Image]) -> str:
    """How the learner knows a server's image: by their own tag when they built it."""
    mine = built.get(info.image_id)
    return mine.named if mine else describe_image(info)


def run_or_runs(names: Sequence[str]) -> str:
    return f"{', '.join(names)} {'runs' if len(names) == 1 else 'run'}"


class SameImageCheck(AllServersCheck[SameImageSpec]):
    """Ask every server's image at once; one verdict on the whole fleet."""

    def check_all(self, executor: Executor, servers: Sequence[str]) -> list[CheckResult]:
        infos = narrowed(self.context, servers).each(lambda host: host.info)
        built = {image.id: image for image in self.context.images()} if self.spec.built else {}
        by_image: dict[str, list[ServerInfo]] = {}
        for info in infos:
            by_image.setdefault(info.image_id, []).append(info)
        first = infos[0]
        if len(by_image) > 1:
            parts = [f"{run_or_runs([info.name for info in group])} "
                     f"{image_named(group[0], built)}" for group in by_image.values()]
            reason = f"the fleet runs {len(by_image)} different images: {'; '.join(parts)}"
            return [self.verdict(False, with_remedy(reason, self.spec.remedy))]
        if self.spec.built and first.image_id not in built:
            reason = (f"every server runs {image_named(first, built)}, not an image you built "
                      "with `lab build`")
            return [self.verdict(False, with_remedy(reason, self.spec.remedy))]
        yours = ", the image you built" if self.spec.built else ""
        everyone = "runs" if len(infos) == 1 else "all run"
        return [self.verdict(True, f"{', '.join(servers)} {everyone} "
                                   f"{image_named(first, built)}{yours}")]
