"""Custom checks of 09-rollback, read from the exercise's deployment history (what `lab history`
shows): a release that failed its health check, then a rollback, and the fleet back on the
last image that was good; and the learner's own account of it (rollback.yaml), compared with
that history."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from lab.authoring import (
    CheckContext,
    Deployment,
    History,
    ReportError,
    Verdict,
    as_list,
    failed,
    passed,
    read_yaml,
    short_id,
)

PACKAGE = "webapp"
GOOD, BROKEN = "2.0", "3.0"  # the release that works, and the one whose /health says fail
DPKG_PROBE = f"dpkg-query -W -f='${{Version}}' {PACKAGE}"
BREAK_IT = "`lab build v3 --build-arg WEBAPP_VERSION=3.0`, then `lab deploy v3`"
ACCOUNT = "rollback.yaml"  # the learner's account of the failure and the rollback
FIELDS = ("failed", "stopped_at", "health", "untouched", "back_to")
STOPPED = re.compile(r"^(\S+) failed its health check on .*?: /health answered '([^']*)'")


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


# --- the learner's account -------------------------------------------------------------------


def account_matches_the_history(ctx: CheckContext) -> list[Verdict]:
    """rollback.yaml names the newest failed deployment, where it stopped and what /health
    said there, the servers it never reached, and the image ID the rollback after it
    deployed: each compared with the history."""
    history = ctx.history()
    broken = newest_failure(history)
    if broken is None:
        return [failed(f"no deployment has failed yet, so there is nothing to account for: "
                       f"{BREAK_IT}")]
    rolled_back = next((item for item in history.deployments if item.number > broken.number
                        and item.kind == "rollback" and item.succeeded), None)
    if rolled_back is None:
        return [failed(f"deployment {broken.named} failed and no rollback followed it yet: "
                       f"`lab rollback`, then write {ACCOUNT}")]
    try:
        account = read_account(ctx)
    except ReportError as problem:
        return [failed(str(problem))]
    truth = the_story(broken, rolled_back, ctx.servers)
    verdicts = [judge(name, account.get(name), truth[name]) for name in FIELDS]
    wrong = [verdict for verdict in verdicts if not verdict[0]]
    if wrong:
        return wrong
    return [passed(f"{ACCOUNT} tells the history right: #{broken.number} stopped at "
                   f"{truth['stopped_at']}, whose /health said {truth['health']!r}; "
                   f"{', '.join(truth['untouched']) or 'no other server'} never ran it; "
                   f"rollback #{rolled_back.number} deployed {short_id(rolled_back.image_id)}")]


def read_account(ctx: CheckContext) -> Mapping[str, Any]:
    data = read_yaml(ctx.workspace / ACCOUNT)
    if not isinstance(data, Mapping):
        raise ReportError(f"{ACCOUNT} must be YAML with the fields {', '.join(FIELDS)}, one a "
                          "line, as the tutorial shows")
    return data


def the_story(broken: Deployment, rolled_back: Deployment,
              servers: Sequence[str]) -> dict[str, Any]:
    """What the account should say, read from the history."""
    found = STOPPED.match(broken.message)
    stopped_at = found.group(1) if found else (broken.replaced[-1] if broken.replaced else "")
    return {"failed": broken.number, "stopped_at": stopped_at,
            "health": found.group(2) if found else "",
            "untouched": [server for server in servers if server not in broken.replaced],
            "back_to": rolled_back.image_id}


def judge(name: str, said: Any, truth: Any) -> Verdict:
    """One field of the account against the history, with what to look at when it differs."""
    if said is None or said == "":
        return failed(f"{ACCOUNT} has no {name}: {TELLS[name]}")
    if name == "back_to":
        return judge_image(str(said), truth)
    if name == "untouched":
        listed = as_list(said)
        ok = listed is not None and sorted(listed) == sorted(truth)
    elif name == "failed":
        ok = str(said).lstrip("#") == str(truth)
    else:
        ok = str(said).strip().strip("'\"") == truth
    if ok:
        return passed(f"{name}: {said}")
    return failed(f"{ACCOUNT} says {name}: {said}, but `lab history` says otherwise: "
                  f"{TELLS[name]}")


def judge_image(said: str, image_id: str) -> Verdict:
    digits = said.strip().lower().removeprefix("sha256:")
    if not re.fullmatch(r"[0-9a-f]{12,64}", digits):
        return failed(f"{ACCOUNT} says back_to: {said}, which is not an image ID: a tag like "
                      "v2 can be moved to another image at any time, an ID cannot. Write the "
                      "12 hex digits of `lab history`'s id column on the rollback's line")
    if not image_id.removeprefix("sha256:").startswith(digits):
        return failed(f"{ACCOUNT} says back_to: {said}, but the rollback deployed "
                      "another image: read the id column of the rollback's line in "
                      "`lab history`, your own IDs, not the tutorial's")
    return passed(f"back_to: {short_id(image_id)}")


TELLS = {
    "failed": "the number of the newest deployment `lab history` marks failed",
    "stopped_at": "the server whose health check stopped that rollout, named in the "
                  "failure's line under `lab history`'s table",
    "health": "what that server's /health page answered, quoted in the same line",
    "untouched": "the servers that rollout never replaced, so never ran the broken release "
                 "(`lab status` showed them still on v2)",
    "back_to": "the image ID your rollback deployed: the id column of its line in "
               "`lab history`",
}
