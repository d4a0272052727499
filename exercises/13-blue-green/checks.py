"""Custom checks of 13-blue-green, from the deployment history's summaries (what the probe
measured) and the live fleet: a blue/green switch to green and a switch back with
`lab rollback`, neither losing a request; the decision to switch back, made from green's
error rate as the learner read it from the probe (workspace/decision.yaml); the fleet back on
blue's own containers; and an entry written while green served, still readable through the
load balancer."""

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
    ReportError,
    Verdict,
    failed,
    passed,
    read_yaml,
    short_id,
)

BLUE_GREEN, SWITCH_BACK = "blue-green", "switch back"  # strategies as the history records them
LOST = ("0", "502", "503", "504")  # no answer, or the balancer's own errors: a switch's loss
SLACK = timedelta(seconds=1)  # entries' times are whole seconds
TRIES = 5  # a read through green may meet its latent error: ask again
SWITCH_TO_GREEN = ("`lab build v2 --build-arg WEBAPP_VERSION=2.2`, then "
                   "`lab deploy v2 --strategy blue-green`")
DECISION = "decision.yaml"
TOLERANCE = 2.5  # percentage points between the learner's reading and a measured rate
SWITCH_BACK_WORDS = ("switch back", "roll back", "rollback")
KEEP_WORDS = ("keep", "keep green")


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


# --- the decision, from green's error rate -------------------------------------------------


def decided_from_green_s_errors(ctx: CheckContext) -> Verdict:
    """decision.yaml gives green's error rate as the probe measured it (within TOLERANCE of
    the switch to green's, the switch back's, or both together) and the decision to switch
    back."""
    since = since_start(ctx)
    green = next((item for item in reversed(since) if item.strategy == BLUE_GREEN
                  and item.result == "succeeded"), None)
    if green is None:
        return failed(f"no blue/green deployment since the exercise started, so there is no "
                      f"green to judge yet: {SWITCH_TO_GREEN}")
    written = read_decision(ctx)
    if isinstance(written, str):
        return failed(written)
    reading, decision = written
    back = next((item for item in since if item.number > green.number
                 and item.strategy == SWITCH_BACK and item.summary), None)
    rates = green_rates(green, back, blue_version(ctx, since, green))
    if not rates:
        return failed(f"#{green.number}: the probe saw no answer from green, so there is no "
                      "error rate to read: deploy green again and watch it serve")
    near = [rate for rate in rates if abs(rate - reading) <= TOLERANCE]
    if not near:
        return failed(misread(reading, green))
    if decision in KEEP_WORDS:
        return failed(f"you read green's error rate as {reading:g} % and decided to keep it: "
                      f"about one request in {max(1, round(100 / reading))} failing, for every "
                      "user, while blue waits on standby one switch away. Decide again, then "
                      "act on it"
                      if reading else "you read green's error rate as 0 %, and the probe "
                      "saw its HTTP 500s: read the summary again")
    return passed(f"you read green's error rate as {reading:g} % (the probe measured "
                  f"{near[0]:.1f} %) and decided to {decision}: evidence from real traffic, "
                  "not from the health check")


def read_decision(ctx: CheckContext) -> tuple[float, str] | str:
    """(green_error_rate, decision) from decision.yaml, or what is wrong with it."""
    path = ctx.workspace / DECISION
    if not path.is_file():
        return f"there is no {DECISION} in your workspace: `lab reset` gives it back"
    try:
        written = read_yaml(path)
    except ReportError as problem:
        return str(problem)
    if not isinstance(written, dict):
        return (f"{DECISION} should say green_error_rate and decision, like the file you "
                "started with")
    reading = percentage(written.get("green_error_rate"))
    if reading is None:
        return (f"{DECISION}: green_error_rate is not a percentage yet: read the probe's "
                "summary of your switch to green (failed requests by status, answers per "
                "version) and work out the share of green's answers that failed, like 12.5")
    decision = " ".join(str(written.get("decision") or "").lower().split())
    if decision not in SWITCH_BACK_WORDS + KEEP_WORDS:
        return (f"{DECISION}: decision should be `switch back` or `keep green`, from the rate "
                "you read")
    return reading, decision


def percentage(value: object) -> float | None:
    """19, 19.5, '19 %' as a number of percent; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).strip().removesuffix("%").strip())
    except ValueError:
        return None


def blue_version(ctx: CheckContext, since: Sequence[Deployment], green: Deployment) -> str:
    """The release blue serves: its image's `version` label, else the first version that
    answered during the switch to green (the probe starts a second before the switch)."""
    blue = next((item for item in reversed(since) if item.number < green.number
                 and item.succeeded), None)
    image = ctx.image(blue.image_id) if blue is not None else None
    if image is not None and image.labels.get("version"):
        return image.labels["version"]
    versions = (green.summary or {}).get("versions")
    return next(iter(versions), "") if isinstance(versions, dict) else ""


def green_rates(green: Deployment, back: Deployment | None, blue: str) -> list[float]:
    """Green's error rate in percent (its HTTP 500s over everything green answered) during
    the switch to green, during the switch back, and over both."""
    counts = [green_counts(item, blue) for item in (green, back) if item is not None]
    counts.append((sum(errors for errors, _ in counts), sum(ok for _, ok in counts)))
    return [100.0 * errors / (errors + ok) for errors, ok in counts if errors + ok]


def green_counts(item: Deployment, blue: str) -> tuple[int, int]:
    """(green's HTTP 500s, green's successful answers) in one deployment's summary."""
    summary = item.summary or {}
    by_status = summary.get("failed_by_status")
    versions = summary.get("versions")
    errors = int(str(by_status.get("500", 0))) if isinstance(by_status, dict) else 0
    ok = (sum(int(str(count)) for version, count in versions.items() if version != blue)
          if isinstance(versions, dict) else 0)
    return errors, ok


def misread(reading: float, green: Deployment) -> str:
    summary = green.summary or {}
    requests, failures = summary.get("requests"), summary.get("failed")
    over_all = (100.0 * int(str(failures)) / int(str(requests))
                if requests and failures is not None else None)
    if over_all is not None and abs(over_all - reading) <= 0.5:
        return (f"green_error_rate is {reading:g} %: that is the failures over every request "
                "the probe sent, blue's answers included. Green's rate is its HTTP 500s over "
                "everything green answered: its failures plus the answers of its version")
    if 0 < reading <= 1:
        return (f"green_error_rate is {reading:g}: write it in percent (a share of 0.25 is "
                "25), from the probe's figures for green")
    return (f"green_error_rate is {reading:g} %, which is not what the probe measured for "
            f"green in deployment #{green.number} or in the switch back (within "
            f"{TOLERANCE:g} points): read failed_by_status and versions in "
            "`lab history --json` and divide green's HTTP 500s by everything green answered")
