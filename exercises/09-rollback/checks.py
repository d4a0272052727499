"""Custom checks of 09-rollback, read from the exercise's deployment history (what `lab history`
shows): a release that failed its health check, then a rollback, and the fleet back on the
last image that was good."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lab.checks.base import CheckContext
from lab.checks.executor import Executor

if TYPE_CHECKING:
    from lab.deploy.state import Deployment, FleetState
    from lab.settings import Settings

EXERCISE_ID = Path(__file__).resolve().parent.name  # the folder's name is the exercise's id
PACKAGE = "webapp"
GOOD, BROKEN = "2.0", "3.0"  # the release that works, and the one whose /health says fail
DPKG_PROBE = f"dpkg-query -W -f='${{Version}}' {PACKAGE}"
BREAK_IT = "`lab build v3 --build-arg WEBAPP_VERSION=3.0`, then `lab deploy v3`"

Verdict = tuple[bool, str]


def settings_of(context: CheckContext) -> Settings:
    from lab.environment import current_settings

    return context.settings or current_settings()


def history(context: CheckContext) -> FleetState:
    from lab.deploy.state import StateStore

    return StateStore.of(settings_of(context), EXERCISE_ID).load()


def named(deployment: Deployment) -> str:
    """'#3 (lab-learner/app:v3, 1a2b3c4d5e6f)': a deployment as `lab history` lists it."""
    return f"#{deployment.number} ({deployment.image}, {short(deployment.image_id)})"


def short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def newest_failure(state: FleetState) -> Deployment | None:
    return next((item for item in reversed(state.deployments) if item.result == "failed"), None)


# --- back on the last good image -----------------------------------------------------------


def back_on_the_last_good_image(executor: Executor, servers: Sequence[str],
                                context: CheckContext) -> list[Verdict]:
    """Every server runs the image of the last deployment that succeeded before the newest
    failed one: the image a rollback goes back to."""
    state = history(context)
    failed = newest_failure(state)
    if failed is None:
        return [(False, "no deployment has failed yet, so there is nothing to come back from: "
                        f"deploy v2 first, then the broken release ({BREAK_IT})")]
    good = state.last_good(before=failed.number)
    if good is None:
        return [(False, f"no deployment succeeded before {named(failed)} failed, so there is "
                        "no good image to come back to: deploy v2 before the broken release")]
    with ThreadPoolExecutor(max_workers=len(servers) or 1) as pool:
        infos = list(pool.map(executor.info, servers))
    wrong = [info for info in infos if info.image_id != good.image_id]
    if wrong:
        return [(False, f"{info.name} runs {image_of(info.image_tags, info.image_id)}, not "
                        f"{good.image} ({short(good.image_id)}) of deployment #{good.number}, "
                        f"the last that succeeded before {named(failed)} failed: `lab rollback`")
                for info in wrong]
    return [(True, f"{', '.join(servers)} run {good.image} ({short(good.image_id)}) again, the "
                   f"image of deployment #{good.number}, the last good one before "
                   f"#{failed.number} failed")]


def image_of(tags: Sequence[str], image_id: str) -> str:
    return f"{tags[0]} ({short(image_id)})" if tags else short(image_id)


# --- the story in the history --------------------------------------------------------------


def failure_then_rollback(executor: Executor, servers: Sequence[str],
                          context: CheckContext) -> Verdict:
    """The history holds a failed deployment of a webapp 3.0 image, and after it a rollback
    that succeeded."""
    state = history(context)
    if not state.deployments:
        return False, "nothing was deployed yet: `lab history` is empty. Start with `lab deploy v2`"
    version_in = release_reader(settings_of(context))
    failures = [item for item in reversed(state.deployments) if item.result == "failed"]
    broken = next((item for item in failures if version_in(item.image_id) == BROKEN), None)
    if broken is None:
        if failures:
            item = failures[0]
            return False, (f"deployment {named(item)} failed, but its image holds {PACKAGE} "
                           f"{version_in(item.image_id) or 'nothing'}, not the broken "
                           f"{BROKEN}: {BREAK_IT}")
        return False, f"no deployment has failed yet: deploy the broken release, {BREAK_IT}"
    after = [item for item in state.deployments if item.number > broken.number]
    rolled_back = next((item for item in after
                        if item.kind == "rollback" and item.result == "succeeded"), None)
    if rolled_back is not None:
        return True, (f"deployment {named(broken)} of {PACKAGE} {BROKEN} failed: "
                      f"{first_sentence(broken.message)}; rollback #{rolled_back.number} to "
                      f"{rolled_back.image} succeeded")
    return False, f"deployment {named(broken)} failed; {what_followed(after)}"


def what_followed(after: Sequence[Deployment]) -> str:
    """Why nothing after the failed deployment counts as its rollback."""
    rollbacks = [item for item in after if item.kind == "rollback"]
    if rollbacks:
        last = rollbacks[-1]
        return f"rollback #{last.number} {last.result}: {last.message or 'see `lab history`'}"
    if after:
        return (f"#{after[-1].number} deployed {after[-1].image} by hand with `lab deploy`, "
                "which is not a rollback. Deploy the broken release once more (`lab deploy "
                "v3`), then let the lab find the way back in the history: `lab rollback`")
    return "no rollback followed it yet: `lab rollback`"


def first_sentence(message: str) -> str:
    return message.split(". ", 1)[0] if message else "no reason recorded"


def release_reader(settings: Settings) -> Callable[[str], str | None]:
    """A function telling which webapp version an image holds (None: none, or the image is
    gone), asking a throwaway container of it once per image."""
    from lab.deploy import smoke
    from lab.docker import images

    @cache
    def version_in(image_id: str) -> str | None:
        if images.inspect(image_id) is None:
            return None
        tried = smoke.run(settings, EXERCISE_ID, image_id, probes=[DPKG_PROBE])
        return tried.outputs.get(DPKG_PROBE, "").strip() or None

    return version_in
