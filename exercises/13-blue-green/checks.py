"""Custom checks of 13-blue-green, from the deployment history's summaries (what the probe
measured) and the live fleet: a blue/green switch to green and a switch back with
`lab rollback`, neither losing a request; the fleet back on blue's own containers; and an
entry written while green served, still readable through the load balancer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from lab.authoring import (
    CheckContext,
    Container,
    Deployment,
    Host,
    HttpResult,
    Verdict,
    failed,
    passed,
    short_id,
)

BLUE_GREEN, SWITCH_BACK = "blue-green", "switch back"  # strategies as the history records them
LOST = ("0", "502", "503", "504")  # no answer, or the balancer's own errors: a switch's loss
SLACK = timedelta(seconds=1)  # entries' times are whole seconds
TRIES = 5  # a read through green may meet its latent error: ask again
SWITCH_TO_GREEN = ("`lab build v2 --build-arg WEBAPP_VERSION=2.2`, then "
                   "`lab deploy v2 --strategy blue-green`")


def since_start(ctx: CheckContext) -> list[Deployment]:
    """The exercise's deployments since its servers started."""
    return list(ctx.history().since(ctx.started_at).deployments)


def the_switches(since: Sequence[Deployment]) -> tuple[Deployment, Deployment] | str:
    """The newest successful blue/green deployment and the switch back that followed it, or
    what is missing."""
    green = next((item for item in reversed(since) if item.strategy == BLUE_GREEN
                  and item.result == "succeeded"), None)
    if green is None:
        tried = [item for item in since if item.strategy == BLUE_GREEN]
        if tried:
            return (f"blue/green deployment #{tried[-1].number} {tried[-1].result}: "
                    f"{tried[-1].message or 'see `lab history`'}")
        return f"no blue/green deployment since the exercise started: {SWITCH_TO_GREEN}"
    back = next((item for item in since if item.number > green.number
                 and item.kind == "rollback" and item.result == "succeeded"), None)
    if back is None:
        return (f"deployment #{green.number} switched to green ({green.image}), and nothing "
                "switched back yet: `lab rollback`")
    if back.strategy != SWITCH_BACK:
        return (f"rollback #{back.number} deployed {back.image} afresh instead of switching "
                "back to blue: was blue still on standby? `lab reset` starts the story over")
    return green, back


# --- the story in the history ------------------------------------------------------------


def switched_and_back(ctx: CheckContext) -> Verdict:
    """A successful blue/green deployment since the start, then a rollback that switched
    back.

    A `deployment` check (strategy: switch back, after: blue-green) would pass and fail on
    the same histories, but it has one remedy for every missing step, where this one tells
    each its own (the switch to green, `lab rollback`, `lab reset` after a redeploy), says
    why a blue/green deployment failed, and times the switch back."""
    found = the_switches(since_start(ctx))
    if isinstance(found, str):
        return failed(found)
    green, back = found
    return passed(f"deployment #{green.number} switched the balancer to green ({green.image}); "
                  f"rollback #{back.number} switched it back to blue ({back.image}) in "
                  f"{figure(back, 'rollback_seconds'):.2f} s")


def switches_lost_nothing(ctx: CheckContext) -> list[Verdict]:
    """Neither switch lost a request: no request went unanswered or met a gateway error
    around the balancer's changes. Green's own HTTP 500s are its latent error, not the
    switch's."""
    since = since_start(ctx)
    found = the_switches(since)
    if isinstance(found, str):
        green = next((item for item in reversed(since) if item.strategy == BLUE_GREEN
                      and item.result == "succeeded"), None)
        return [lost_in(green, "the switch to green"), failed(found)] if green else [
            failed(found)]
    return [lost_in(found[0], "the switch to green"), lost_in(found[1], "the switch back")]


def lost_in(item: Deployment, what: str) -> Verdict:
    summary = item.summary or {}
    if not summary:
        return failed(f"#{item.number}: no probe measured {what}, so nothing proves it was "
                      "clean")
    counted = summary.get("failed_by_status")
    by_status = ({str(status): int(str(count)) for status, count in counted.items()}
                 if isinstance(counted, dict) else {})
    lost = summary.get("lost_near_changes")
    lost = int(str(lost)) if lost is not None else sum(by_status.get(s, 0) for s in LOST)
    errors = by_status.get("500", 0)
    own = (f"; green itself answered {errors} of {summary.get('requests')} requests with "
           "HTTP 500, its latent error" if errors else "")
    if lost:
        return failed(f"#{item.number}: {lost} request(s) went unanswered or met the "
                      f"balancer's error around {what} ({describe(by_status)}): a switch "
                      "should lose nothing; `lab reset` and try again on a quieter machine")
    return passed(f"#{item.number}: {what} lost no request{own}")


def describe(by_status: dict[str, int]) -> str:
    return ", ".join(f"{'no answer' if status == '0' else 'HTTP ' + status}: {count}"
                     for status, count in sorted(by_status.items())) or "none"


def figure(item: Deployment, name: str) -> float:
    value = (item.summary or {}).get(name)
    return float(str(value)) if value is not None else 0.0


# --- the fleet ends on blue --------------------------------------------------------------


def ends_on_blue(ctx: CheckContext) -> list[Verdict]:
    """Every server is a container blue had before the switch (made before the blue/green
    deployment began), running the image the rollback went back to; nothing on standby."""
    history = ctx.history()
    found = the_switches(list(history.since(ctx.started_at).deployments))
    if isinstance(found, str):
        return [failed(found)]
    green, back = found
    every = ctx.containers()
    running = {container.server: container for container in every
               if container.running and not container.standby}
    verdicts = [blue_server(server, running.get(server), green, back) for server in ctx.servers]
    left = [container.name for container in every
            if container.name.endswith(("-blue", "-green"))]
    if history.standby or left:
        verdicts.append(failed(f"an environment is still on standby ({', '.join(left)}): "
                               "the switch back removes green"))
    return verdicts


def blue_server(server: str, container: Container | None, green: Deployment,
                back: Deployment) -> Verdict:
    if container is None:
        return failed(f"{server} is not running: `lab status` shows the fleet")
    if container.image_id != back.image_id:
        return failed(f"{server} runs {short_id(container.image_id)}, not blue's image "
                      f"{back.image} ({short_id(back.image_id)}) that rollback #{back.number} "
                      "went back to")
    if container.created >= green.started_at:
        return failed(f"{server} is a container made at {container.created:%H:%M:%S}, after "
                      "the switch to green began: not blue's own. A switch back keeps blue's "
                      "containers; a new deployment replaces them")
    return passed(f"{server} is blue's own container ({container.id[:12]}, made "
                  f"{container.created:%H:%M:%S}), on {back.image}")


# --- an entry written through green survives ---------------------------------------------


def entry_from_green_survives(ctx: CheckContext) -> Verdict:
    """An entry written while green served (between the switch to green and the switch back)
    is listed and read through the load balancer now."""
    found = the_switches(since_start(ctx))
    if isinstance(found, str):
        return failed(found)
    green, back = found
    lb = ctx.balancer()
    if lb is None:
        return failed("the load balancer is not running: `lab start` brings it back")
    listing = request(lb, "/entries/")
    if listing.status != 200:
        return failed(f"GET /entries/ through the load balancer answered "
                      f"{answered(listing)}: is guestbook installed?")
    began = (green.finished_at or green.started_at) - SLACK
    ended = back.started_at + SLACK
    written = [item["name"] for item in json.loads(listing.body)
               if item.get("type") == "file" and began <= modified(item) <= ended]
    if not written:
        return failed(f"no entry written between the switch to green "
                      f"({began + SLACK:%H:%M:%S}) and the switch back "
                      f"({back.started_at:%H:%M:%S}) is there now: sign the guestbook while "
                      "green serves (`python guestbook.py sign ada Hello`), and keep the "
                      "entries in a named volume (`--volume guestbook:/var/lib/guestbook`), "
                      "outside both colours")
    name = written[0]
    entry = request(lb, f"/entries/{quote(name)}")
    if entry.status != 200:
        return failed(f"the entry {name}, written through green, is listed but reading it "
                      f"answered {answered(entry)}")
    return passed(f"the entry {name!r} ({entry.body.strip()!r}), written through green, is "
                  "read through the load balancer from blue: the data lives outside both "
                  "colours")


def answered(answer: HttpResult) -> str:
    return f"HTTP {answer.status}" if answer.answered else "nothing"


def modified(item: dict[str, object]) -> datetime:
    """An autoindex entry's mtime ('Fri, 27 Nov 2026 04:40:00 GMT'), as an aware datetime."""
    return parsedate_to_datetime(str(item.get("mtime", "")))


def request(lb: Host, path: str) -> HttpResult:
    """GET through the balancer, asked again after an HTTP 500 (green's latent error)."""
    answer = lb.http(path)
    for _ in range(TRIES - 1):
        if answer.status != 500:
            break
        answer = lb.http(path)
    return answer
