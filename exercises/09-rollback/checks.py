"""Custom checks of 09-rollback, read from the exercise's deployment history (what `lab history`
shows): a release that failed its health check, then a rollback, and the fleet back on the
last image that was good."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from lab.authoring import CheckContext, Deployment, History, Verdict, failed, passed, short_id

PACKAGE = "webapp"
GOOD, BROKEN = "2.0", "3.0"  # the release that works, and the one whose /health says fail
DPKG_PROBE = f"dpkg-query -W -f='${{Version}}' {PACKAGE}"
BREAK_IT = "`lab build v3 --build-arg WEBAPP_VERSION=3.0`, then `lab deploy v3`"


def newest_failure(history: History) -> Deployment | None:
    failures = history.find(result="failed")
    return failures[-1] if failures else None


# --- back on the last good image -----------------------------------------------------------


def back_on_the_last_good_image(ctx: CheckContext) -> list[Verdict]:
    """Every server runs the image of the last deployment that succeeded before the newest
    failed one: the image a rollback goes back to."""
    history = ctx.history()
    broken = newest_failure(history)
    if broken is None:
        return [failed("no deployment has failed yet, so there is nothing to come back from: "
                       f"deploy v2 first, then the broken release ({BREAK_IT})")]
    good = history.last_good(before=broken.number)
    if good is None:
        return [failed(f"no deployment succeeded before {broken.named} failed, so there is "
                       "no good image to come back to: deploy v2 before the broken release")]
    infos = ctx.each(lambda host: host.info)
    wrong = [info for info in infos if info.image_id != good.image_id]
    if wrong:
        return [failed(f"{info.name} runs {image_of(info.image_tags, info.image_id)}, not "
                       f"{good.image} ({short_id(good.image_id)}) of deployment "
                       f"#{good.number}, the last that succeeded before {broken.named} "
                       "failed: `lab rollback`")
                for info in wrong]
    return [passed(f"{', '.join(ctx.servers)} run {good.image} ({short_id(good.image_id)}) "
                   f"again, the image of deployment #{good.number}, the last good one before "
                   f"#{broken.number} failed")]


def image_of(tags: Sequence[str], image_id: str) -> str:
    return f"{tags[0]} ({short_id(image_id)})" if tags else short_id(image_id)


# --- the story in the history --------------------------------------------------------------


def failure_then_rollback(ctx: CheckContext) -> Verdict:
    """The history holds a failed deployment of a webapp 3.0 image, and after it a rollback
    that succeeded."""
    history = ctx.history()
    if not history.deployments:
        return failed("nothing was deployed yet: `lab history` is empty. Start with "
                      "`lab deploy v2`")
    version_in = release_reader(ctx)
    failures = list(reversed(history.find(result="failed")))
    broken = next((item for item in failures if version_in(item.image_id) == BROKEN), None)
    if broken is None:
        if failures:
            item = failures[0]
            return failed(f"deployment {item.named} failed, but its image holds {PACKAGE} "
                          f"{version_in(item.image_id) or 'nothing'}, not the broken "
                          f"{BROKEN}: {BREAK_IT}")
        return failed(f"no deployment has failed yet: deploy the broken release, {BREAK_IT}")
    after = [item for item in history.deployments if item.number > broken.number]
    rolled_back = next((item for item in after
                        if item.kind == "rollback" and item.result == "succeeded"), None)
    if rolled_back is not None:
        return passed(f"deployment {broken.named} of {PACKAGE} {BROKEN} failed: "
                      f"{first_sentence(broken.message)}; rollback #{rolled_back.number} to "
                      f"{rolled_back.image} succeeded")
    return failed(f"deployment {broken.named} failed; {what_followed(after)}")


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


def release_reader(ctx: CheckContext) -> Callable[[str], str | None]:
    """A function telling which webapp version an image holds (None: none, or the image is
    gone), asking a throwaway container of it once per image."""
    @cache
    def version_in(image_id: str) -> str | None:
        if ctx.image(image_id) is None:
            return None
        tried = ctx.smoke(image_id, probes=[DPKG_PROBE])
        return tried.outputs.get(DPKG_PROBE, "").strip() or None

    return version_in
