"""Custom checks of 10-phoenix, read from what the lab recorded and what runs: chaos hit the
fleet after the last deployment, the desired-state loop brought every fallen server back in
time, hand-edited servers were replaced rather than repaired, and the fleet is whole; the
learner's repairs.yaml says which servers the loop remade and why; and a max-age rotation
renewed the servers no fault had touched."""

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
    ReportError,
    Verdict,
    as_list,
    failed,
    passed,
    read_report,
    short_id,
)

BACK_WITHIN = timedelta(seconds=60)  # a loop that watches brings a server back in seconds
TAKEN_DOWN = ("kill", "stop")  # chaos events that leave a server not running
EDITED = "edit"
REPAIRS = ("create", "replace")  # reconcile events that bring a server back
ROTATED = "older than"  # how the reason of a `lab reconcile --max-age` replacement begins
ACCOUNT = "repairs.yaml"  # the learner's account of what the loop did, and why
# Why the loop remade a server, as repairs.yaml says it, from the start of the reason it
# recorded (lab reconcile's words), and what that reason means.
WHY = {"missing": "missing", "was ": "stopped", "drifted": "drifted",
       "runs image": "wrong image"}
MEANS = {"missing": "its container was gone, as a killed server's is",
         "stopped": "its container had exited, as a crashed machine's",
         "drifted": "it still ran, but no longer matched its image: a hand edit",
         "wrong image": "it ran another image than the desired one"}
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


# --- the learner's account of the repairs --------------------------------------------------


def why_remade(event: Event) -> str | None:
    """The word repairs.yaml uses for a repair of the loop; None for anything else (a fault, a
    failed repair, a removal, a max-age rotation)."""
    if event.kind not in REPAIRS or event.detail.startswith(("failed", ROTATED)):
        return None
    return next((word for start, word in WHY.items() if event.detail.startswith(start)), None)


@recorded
def account_of_the_repairs(ctx: CheckContext) -> Verdicts:
    """repairs.yaml names each server the loop remade since the last deployment, with why:
    missing, stopped, drifted or wrong image; and no server it did not remake."""
    history = ctx.history()
    deployment = last_deployment(history, ctx)
    truth: dict[str, list[str]] = {}
    for event in events_since(history, deployment.finished_at):
        word = why_remade(event)
        if word is not None and word not in truth.setdefault(event.server, []):
            truth[event.server].append(word)
    truth = {server: words for server, words in truth.items() if words}
    if not truth:
        return [failed("the loop has remade no server since your last deployment, so there "
                       f"is nothing to account for yet: {CHAOS}")]
    try:
        said = read_report(ctx.workspace / ACCOUNT, ctx.servers)
    except ReportError as problem:
        return [failed(str(problem))]
    wrong = [verdict for server in ctx.servers
             if (verdict := judge_server(server, said.get(server), truth.get(server, [])))]
    if wrong:
        return wrong
    return [passed(f"{ACCOUNT} names every server the loop remade, and why: "
                   + "; ".join(f"{server} {', '.join(words)}"
                               for server, words in sorted(truth.items())))]


def judge_server(server: str, said: object, truth: Sequence[str]) -> Verdict | None:
    """What is wrong with the account's line for one server; None when it is right."""
    words = as_list(said)
    if words is None or any(word.strip().lower() not in MEANS for word in words or []):
        return failed(f"{ACCOUNT} says {server}: {said}; write why the loop remade it, in "
                      f"its own words: {', '.join(MEANS)}")
    words = [word.strip().lower() for word in words]
    if not truth and words:
        return failed(f"{ACCOUNT} says the loop remade {server} ({', '.join(words)}), but it "
                      f"did not since your last deployment: nothing broke {server}, so the "
                      "loop had no reason to touch it. Leave it out")
    if truth and not words:
        return failed(f"the loop remade {server} since your last deployment, and {ACCOUNT} "
                      f"does not say so: `lab history --json` lists each repair under "
                      f"events, with its reason")
    if sorted(words) != sorted(truth):
        return failed(f"{ACCOUNT} says {server} was remade because it was "
                      f"{' and '.join(words)}, but the loop remade it because it was "
                      f"{' and '.join(truth)}: "
                      + "; ".join(f"{word}, {MEANS[word]}" for word in truth))
    return None


# --- the phoenix: a rotation by age ---------------------------------------------------------


@recorded
def fleet_renewed_after_the_chaos(ctx: CheckContext) -> Verdicts:
    """Every server runs a container the loop made since the chaos began, and at least one of
    them was made by a max-age rotation: none lives on from before the chaos."""
    history = ctx.history()
    deployment = last_deployment(history, ctx)
    events = events_since(history, deployment.finished_at)
    faults = [event for event in events if event.kind in (*TAKEN_DOWN, EDITED)]
    if not faults:
        return [failed(f"no chaos since your last deployment: {CHAOS}")]
    after = [event for event in events if event.at >= faults[0].at
             and event.kind in REPAIRS and not event.detail.startswith("failed")]
    made = {event.container_id for event in after}
    rotated = sorted({event.server for event in after if event.detail.startswith(ROTATED)})
    running = observed(ctx)
    old = [found[0] for found in running.values() if found and found[0].id not in made]
    if old:
        return [failed(f"{item.server} still runs container {short(item.id)}, made at "
                       f"{clock(item.created)}, before your chaos began: nothing broke it, so "
                       "the loop left it alone, and it can live on for months. Burn it down "
                       "on purpose: `lab reconcile --max-age DURATION`, with a DURATION "
                       "shorter than its age, replaces every server older than that")
                for item in sorted(old, key=lambda item: item.server)]
    if not rotated:
        return [failed("every server was remade because something broke it, and none "
                       "because of its age: after your chaos, run a rotation, `lab reconcile "
                       "--max-age DURATION`, so that no server lives longer than DURATION")]
    return [passed(f"every server runs a container made since your chaos began; the rotation "
                   f"renewed {', '.join(rotated)}")]
