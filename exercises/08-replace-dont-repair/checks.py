"""Custom checks of 08-replace-dont-repair: the whole fleet runs one image the learner built,
and no server has changed since it was started from it."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from lab.checks.base import CheckContext
from lab.checks.executor import Executor, ServerInfo

if TYPE_CHECKING:
    from lab.settings import Settings

APP_ROLE = "app"  # lab.role of the images `lab build` makes
STUDENT_LABEL, ROLE_LABEL = "lab.student", "lab.role"
NEXT_STEP = "`lab build v2`, then `lab deploy v2`"

Verdict = tuple[bool, str]


def settings_of(context: CheckContext) -> Settings:
    from lab.environment import current_settings

    return context.settings or current_settings()


def image_name(info: ServerInfo, settings: Settings) -> str:
    """How the learner knows a server's image: their tag of it, else a tag, else its id."""
    from lab.deploy.builds import repository

    short = info.image_id.removeprefix("sha256:")[:12]
    mine = [tag for tag in info.image_tags if tag.startswith(f"{repository(settings)}:")]
    tags = mine or list(info.image_tags)
    return f"{tags[0]} ({short})" if tags else short


def built_by(info: ServerInfo, settings: Settings) -> bool:
    """Whether the server's image is one `lab build` made for this student."""
    labels = info.image_labels
    return labels.get(ROLE_LABEL) == APP_ROLE and labels.get(STUDENT_LABEL) == settings.student


def names(servers: Sequence[str]) -> str:
    return ", ".join(servers)


def one_image_you_built(executor: Executor, servers: Sequence[str],
                        context: CheckContext) -> Verdict:
    """Every server runs a container of one image, the same digest everywhere, and that
    image is one the learner built with `lab build`."""
    settings = settings_of(context)
    with ThreadPoolExecutor(max_workers=len(servers) or 1) as pool:
        infos = list(pool.map(executor.info, servers))
    by_image: dict[str, list[ServerInfo]] = {}
    for info in infos:
        by_image.setdefault(info.image_id, []).append(info)
    if len(by_image) > 1:
        parts = [f"{names([info.name for info in group])} "
                 f"{'runs' if len(group) == 1 else 'run'} {image_name(group[0], settings)}"
                 for group in by_image.values()]
        return False, (f"the fleet runs {len(by_image)} different images: {'; '.join(parts)}. "
                       "Replace every server with your image: `lab deploy v2`")
    first = infos[0]
    if not built_by(first, settings):
        return False, (f"every server runs {image_name(first, settings)}, the image the lab "
                       f"started them from, not one you built: {NEXT_STEP}")
    return True, (f"{names(servers)} all run {image_name(first, settings)}, the image you "
                  "built")


def no_server_drifted(executor: Executor, servers: Sequence[str],
                      context: CheckContext) -> list[Verdict]:
    """`lab drift` finds nothing: every server is exactly its image."""
    from lab.drift import fleet_drift

    drift = fleet_drift(settings_of(context), servers)
    if drift.identical:
        their = "its" if len(servers) == 1 else "their"
        return [(True, f"{names(servers)}: no change since {their} image "
                       "(`lab drift` finds nothing)")]
    return [(False, f"{server.name}: {server.count_text} since its image: {server.how}")
            for server in drift.drifted]
