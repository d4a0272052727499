"""Custom checks of 10-phoenix, read from what the lab recorded and what runs: chaos hit the
fleet after the last deployment, the desired-state loop brought every fallen server back in
time, hand-edited servers were replaced rather than repaired, and the fleet is whole."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import wraps

from lab.authoring import (
    CheckContext,
    Container,
    Deployment,
    Event,
    History,
    Verdict,
    failed,
    passed,
    short_id,
)

BACK_WITHIN = timedelta(seconds=60)  # a loop that watches brings a server back in seconds
TAKEN_DOWN = ("kill", "stop")  # chaos events that leave a server not running
EDITED = "edit"
REPAIRS = ("create", "replace")  # reconcile events that bring a server back
DEPLOY = "`lab build v2`, then `lab deploy v2`"
CHAOS = ("with `lab reconcile --watch` running in another terminal, "
         "`lab chaos --kill 2` and `lab chaos --edit web3`")

Verdicts = list[Verdict]
Check = Callable[[CheckContext], Verdicts]


class NotYet(Exception):
    """What the learner has not done yet, as the reason of a failed goal."""


# --- what the lab recorded ---------------------------------------------------------------


def last_deployment(history: History, ctx: CheckContext) -> Deployment:
    """The newest deployment that made the desired state, since the servers started (after a
    `lab reset`, what was deployed before does not count)."""
    found = [item for item in history.since(ctx.started_at).deployments
             if item.succeeded and item.finished_at is not None]
    if history.desired is None or not found:
        raise NotYet(f"nothing was deployed since the servers started: {DEPLOY}")
    return found[-1]


def events_since(history: History, moment: datetime | None) -> list[Event]:
    return list(history.since(moment).events)


def chaos_since(ctx: CheckContext, kinds: Sequence[str]) -> tuple[History, list[Event]]:
    """The history, and the chaos events of these kinds since the last deployment."""
    history = ctx.history()
    deployment = last_deployment(history, ctx)
    return history, [event for event in events_since(history, deployment.finished_at)
                     if event.kind in kinds]


def recorded(check: Check) -> Check:
    """A check whose missing prerequisite is a failed goal saying what to do."""
    @wraps(check)
    def checked(ctx: CheckContext) -> Verdicts:
        try:
            return check(ctx)
        except NotYet as missing:
            return [failed(str(missing))]
    return checked


def clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def seconds(delta: timedelta) -> str:
    total = delta.total_seconds()
    return f"{total:.1f} s" if total < 120 else f"{total / 60:.0f} min"


def short(container_id: str) -> str:
    return container_id[:12]


def observed(ctx: CheckContext) -> dict[str, list[Container]]:
    """The exercise's server containers as they run now (a blue/green standby aside), by
    server name."""
    found: dict[str, list[Container]] = {}
    for container in ctx.containers():
        if not container.standby:
            found.setdefault(container.server, []).append(container)
    return found


# --- the goals ---------------------------------------------------------------------------


@recorded
def chaos_after_deployment(ctx: CheckContext) -> Verdicts:
    """At least one server taken down and one edited by hand since the last deployment."""
    _, events = chaos_since(ctx, (*TAKEN_DOWN, EDITED))
    down = [event for event in events if event.kind in TAKEN_DOWN]
    edited = [event for event in events if event.kind == EDITED]
    if not down and not edited:
        return [failed(f"no chaos since your last deployment: run lab chaos ({CHAOS})")]
    if not down:
        return [failed("no server was killed or stopped since your last deployment: run lab "
                       "chaos --kill 2 (or --stop 1)")]
    if not edited:
        return [failed("no server was changed by hand since your last deployment: run lab "
                       "chaos --edit web3")]
    return [passed(f"{len(down)} server{'s' if len(down) > 1 else ''} taken down and "
                   f"{len(edited)} changed by hand since your last deployment")]


@recorded
def fallen_servers_came_back(ctx: CheckContext) -> Verdicts:
    """Each server killed or stopped was recreated or replaced, healthy, soon after."""
    history, faults = chaos_since(ctx, TAKEN_DOWN)
    if not faults:
        return [failed(f"no server was taken down since your last deployment: {CHAOS}")]
    return [came_back(fault, events_since(history, fault.at)) for fault in faults]


def came_back(fault: Event, later: Sequence[Event]) -> Verdict:
    """Whether the first healthy repair of the fault's server came within BACK_WITHIN."""
    what = f"{fault.server} ({'killed' if fault.kind == 'kill' else 'stopped'} at " \
           f"{clock(fault.at)})"
    repair = next((event for event in later
                   if event.server == fault.server and event.kind in REPAIRS
                   and not event.detail.startswith("failed")), None)
    if repair is None:
        return failed(f"{what} was not brought back by the loop: keep `lab reconcile "
                      "--watch` running while you cause chaos, or run `lab reconcile` now")
    took = repair.at - fault.at
    if took > BACK_WITHIN:
        return failed(f"{what} was back only {seconds(took)} later; a loop that watches "
                      f"notices within seconds: keep `lab reconcile --watch` running in "
                      "another terminal while you cause chaos")
    return passed(f"{what} was back, healthy, {seconds(took)} later")


@recorded
def edited_servers_were_replaced(ctx: CheckContext) -> Verdicts:
    """Each server edited by hand runs another container than the one that was edited."""
    _, edits = chaos_since(ctx, (EDITED,))
    if not edits:
        return [failed("no server was changed by hand since your last deployment: "
                       "lab chaos --edit web3")]
    running = observed(ctx)
    verdicts: Verdicts = []
    for server in dict.fromkeys(event.server for event in edits):
        edited = {event.container_id for event in edits if event.server == server}
        now = running.get(server, [])
        if not now:
            verdicts.append(failed(f"{server} is missing: `lab reconcile` makes it again"))
        elif now[0].id in edited:
            verdicts.append(failed(f"{server} still runs the container that was changed by "
                                   f"hand ({short(now[0].id)}): the loop replaces a drifted "
                                   "server, so let `lab reconcile` do it, and repair nothing "
                                   "by hand"))
        else:
            verdicts.append(passed(f"{server} runs a new container ({short(now[0].id)}) in "
                                   "place of the one changed by hand"))
    return verdicts


def fleet_is_whole(ctx: CheckContext) -> Verdicts:
    """Exactly the desired servers run, each one a container of the desired image."""
    desired = ctx.history().desired
    if desired is None:
        return [failed(f"nothing was deployed yet, so there is no desired state: {DEPLOY}")]
    running = observed(ctx)
    problems = []
    for server in desired.servers:
        found = running.pop(server, [])
        if not found:
            problems.append(f"{server} is missing")
        elif len(found) > 1:
            problems.append(f"{server} has {len(found)} containers")
        elif not found[0].running:
            problems.append(f"{server} is {found[0].state}")
        elif found[0].image_id != desired.image_id:
            problems.append(f"{server} runs image {short_id(found[0].image_id)}, not the "
                            f"desired {short_id(desired.image_id)}")
    problems += [f"{name} is not in the desired state" for name in sorted(running)]
    if problems:
        return [failed(f"{problem}: `lab reconcile` makes the fleet match the desired state")
                for problem in problems]
    return [passed(f"all {len(desired.servers)} servers run {desired.image} "
                   f"({short_id(desired.image_id)}), and no other container does")]
