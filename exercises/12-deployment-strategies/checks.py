"""Custom checks of 12-deployment-strategies, all against the learner's own measurements, read
from the exercise's history (what `lab history --json` shows); there is no fixed answer.

- predictions.yaml: what the learner expected of each strategy, written before the first
  measured deployment (the lab records the file's sha256 into every measured deployment) and
  unchanged since;
- strategies.yaml: the comparison table, each cell what the learner's own good and bad
  deployment of that strategy recorded;
- scenarios.yaml: which strategy the learner would choose in three situations, judged by the
  learner's own numbers for the strategy they chose."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from lab.authoring import (
    CheckContext,
    Deployment,
    History,
    ReportError,
    Verdict,
    failed,
    passed,
    read_yaml,
)

TABLE, PREDICTIONS, SCENARIOS = "strategies.yaml", "predictions.yaml", "scenarios.yaml"
STRATEGIES = ("all-at-once", "rolling", "rolling-batch", "immutable", "traffic-split",
              "blue-green")
FIELDS = ("zero_downtime", "failed_release_kept_old_servers", "two_versions_served",
          "fewest_backends", "most_servers")
PREDICTED = ("zero_downtime", "failed_release_kept_old_servers", "two_versions_served",
             "most_servers")
# Two versions "served" when they answered side by side for longer than the one half-second
# interval around a single switch of the balancer.
MIXED_SECONDS = 0.5
SWITCH_BACK = "switch back"  # blue/green's rollback, as the history records it
TIE = 0.15  # rollback times within 15% (and 50 ms) of the fastest count as the fastest
SURPRISES_SHOWN = 4


# --- what the history says -----------------------------------------------------------------


def recorded(ctx: CheckContext) -> History:
    """Every deployment of the exercise: `lab reset` empties the history, `lab stop` and
    `lab start` keep it, and so do these checks."""
    return ctx.history()


def newest(history: History, strategy: str, result: str) -> Deployment | None:
    """The newest measured deployment of this strategy that ended with `result`."""
    return next((item for item in reversed(history.find("deploy", strategy, result))
                 if item.summary is not None), None)


def figure(item: Deployment, name: str) -> Any:
    return (item.summary or {}).get(name)


def measured(good: Deployment, bad: Deployment) -> dict[str, object]:
    """The table's row as the two deployments recorded it."""
    return {
        "zero_downtime": figure(good, "failed") == 0,
        "failed_release_kept_old_servers": not bad.replaced,
        "two_versions_served": float(figure(good, "mixed_seconds") or 0) > MIXED_SECONDS,
        "fewest_backends": figure(good, "min_backends"),
        "most_servers": figure(good, "max_servers"),
    }


# --- what the learner wrote ----------------------------------------------------------------


def read_mapping(ctx: CheckContext, name: str) -> tuple[dict[str, Any] | None, str]:
    path = ctx.workspace / name
    if not path.is_file():
        return None, f"there is no {name} in your workspace: `lab reset` gives it back"
    try:
        found = read_yaml(path)
    except ReportError as problem:
        return None, str(problem)
    if not isinstance(found, dict):
        return None, f"{name} should be a mapping, like the file you started with"
    return found, ""


def as_answer(value: object) -> object:
    """yes/no (or true/false) as a bool, a number as an int, anything else as it is."""
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return value


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "nothing" if value is None else str(value)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- predictions, before the numbers -------------------------------------------------------


def predictions_made_before_measuring(ctx: CheckContext) -> Verdict:
    """predictions.yaml predicts every strategy, was in the workspace when the first measured
    deployment began (its sha256 is in that deployment's record), and is unchanged since."""
    predictions, problem = read_mapping(ctx, PREDICTIONS)
    if predictions is None:
        return failed(problem)
    unfilled = [strategy for strategy in STRATEGIES
                if not isinstance(predictions.get(strategy), dict)
                or any(predictions[strategy].get(name) is None for name in PREDICTED)]
    if unfilled:
        return failed(f"{PREDICTIONS}: {', '.join(unfilled)} not predicted yet: before you "
                      f"deploy anything, write what you expect of every strategy "
                      f"({', '.join(PREDICTED)})")
    first = next((item for item in recorded(ctx).deployments if item.summary), None)
    if first is None:
        return failed(f"{PREDICTIONS} is filled in, and nothing is measured yet: now deploy "
                      "(`lab deploy v1`, then every strategy both ways) and see")
    return _fingerprint_verdict(ctx, first, predictions)


def _fingerprint_verdict(ctx: CheckContext, first: Deployment,
                         predictions: dict[str, Any]) -> Verdict:
    taken = figure(first, "predictions_sha256")
    now = sha256((ctx.workspace / PREDICTIONS).read_bytes())
    starter = ctx.folder / "workspace" / PREDICTIONS
    redo = ("`lab reset` (your images stay, your workspace goes to a backup), predict in the "
            "fresh file, then measure again")
    if not taken:
        return failed(f"deployment #{first.number}, the first the probe measured, began with no "
                      f"{PREDICTIONS} in your workspace: a prediction counts only when it is "
                      f"written before the numbers: {redo}")
    if starter.is_file() and taken == sha256(starter.read_bytes()) and taken != now:
        return failed(f"deployment #{first.number}, the first the probe measured, began while "
                      f"{PREDICTIONS} was still the empty starter: predict first, then measure: "
                      f"{redo}")
    if taken != now:
        return failed(f"{PREDICTIONS} changed after deployment #{first.number}, the first the "
                      "probe measured: a prediction rewritten after the numbers is not one. "
                      f"Put back what you wrote then, or {redo}; where you were wrong is the "
                      "lesson, not a mistake")
    return passed(f"{PREDICTIONS} was written before deployment #{first.number}, the first the "
                  f"probe measured, and is unchanged; {surprises(predictions, recorded(ctx))}")


def surprises(predictions: dict[str, Any], history: History) -> str:
    """Where the measurements proved the predictions wrong, in words."""
    wrong, held = [], 0
    for strategy in STRATEGIES:
        good, bad = newest(history, strategy, "succeeded"), newest(history, strategy, "failed")
        if good is None or bad is None:
            continue
        truth = measured(good, bad)
        for name in PREDICTED:
            said = as_answer(predictions[strategy].get(name))
            if said == truth[name]:
                held += 1
            else:
                wrong.append(f"{strategy} {name} (you said {shown(said)}, measured "
                             f"{shown(truth[name])})")
    if not wrong and not held:
        return "measure every strategy both ways to see which predictions held"
    more = f" and {len(wrong) - SURPRISES_SHOWN} more" if len(wrong) > SURPRISES_SHOWN else ""
    return (f"{held} of {held + len(wrong)} predictions held" +
            (f"; the numbers surprised you on {', '.join(wrong[:SURPRISES_SHOWN])}{more}"
             if wrong else ""))


# --- the table -----------------------------------------------------------------------------


def table_matches_history(ctx: CheckContext) -> list[Verdict]:
    """Each strategy's row says what its good and its bad deployment recorded."""
    table, problem = read_mapping(ctx, TABLE)
    if table is None:
        return [failed(problem)]
    unknown = sorted(str(name) for name in table if name not in STRATEGIES)
    if unknown:
        return [failed(f"{TABLE} names {', '.join(unknown)}, which is not a strategy: use "
                       f"{', '.join(STRATEGIES)}")]
    history = recorded(ctx)
    return [row_verdict(strategy, table.get(strategy), history) for strategy in STRATEGIES]


def both_ways(history: History, strategy: str) -> tuple[Deployment, Deployment] | str:
    """The newest good and bad measured deployments of the strategy, or what is missing."""
    good, bad = newest(history, strategy, "succeeded"), newest(history, strategy, "failed")
    if good is None or bad is None:
        missing = " and ".join(what for what, item in (("a good release that succeeded", good),
                                                        ("a bad release that failed", bad))
                               if item is None)
        return (f"the history has no measured deployment of {missing} with --strategy "
                f"{strategy}: `lab deploy v2 --strategy {strategy}` and `lab deploy v3 "
                f"--strategy {strategy}`, each from v1")
    return good, bad


def row_verdict(strategy: str, row: object, history: History) -> Verdict:
    if not isinstance(row, dict) or all(row.get(name) is None for name in FIELDS):
        return failed(f"{strategy}: not filled in yet ({', '.join(FIELDS)})")
    found = both_ways(history, strategy)
    if isinstance(found, str):
        return failed(f"{strategy}: filled in, but {found}; these figures are not yours")
    good, bad = found
    truth = measured(good, bad)
    wrong = [f"{name} is {shown(as_answer(row.get(name)))}, but deployments #{good.number} and "
             f"#{bad.number} say {shown(truth[name])}"
             for name in FIELDS if as_answer(row.get(name)) != truth[name]]
    if wrong:
        return failed(f"{strategy}: " + "; ".join(wrong))
    return passed(f"{strategy}: agrees with deployments #{good.number} (good) and "
                  f"#{bad.number} (bad)")


# --- the scenarios, judged by the learner's own numbers ------------------------------------


def scenarios_from_measurements(ctx: CheckContext) -> list[Verdict]:
    """Each scenario's chosen strategy does what the scenario needs, in the learner's own
    measurements of that strategy."""
    answers, problem = read_mapping(ctx, SCENARIOS)
    if answers is None:
        return [failed(problem)]
    history = recorded(ctx)
    fleet = len(ctx.spec.server_names)
    return [scenario_verdict(name, answers.get(name), judge, history, fleet)
            for name, judge in JUDGES.items()]


def scenario_verdict(name: str, answer: object, judge: Judge, history: History,
                     fleet: int) -> Verdict:
    if answer is None or str(answer).strip() == "":
        return failed(f"{name}: not answered yet: which strategy would you choose, by your "
                      "own numbers?")
    if answer not in STRATEGIES:
        return failed(f"{name}: {answer} is not a strategy: answer with one of "
                      f"{', '.join(STRATEGIES)}")
    found = both_ways(history, str(answer))
    if isinstance(found, str):
        return failed(f"{name}: {answer} cannot be judged by your numbers yet: {found}")
    ok, reason = judge(str(answer), found, history, fleet)
    return (ok, f"{name}: {reason}")


Judge = Callable[[str, tuple[Deployment, Deployment], History, int], Verdict]


def capacity_is_tight(strategy: str, runs: tuple[Deployment, Deployment], history: History,
                      fleet: int) -> Verdict:
    """Never more servers than the fleet's, in either of its measured deployments."""
    counts = [figure(item, "max_servers") for item in runs]
    if not all(counts):
        return failed(f"deployments #{runs[0].number} and #{runs[1].number} do not say how "
                      f"many servers ran: deploy {strategy} both ways again")
    most = max(int(count) for count in counts)
    if most > fleet:
        return failed(f"{strategy} ran {most} servers at once in your deployments "
                      f"#{runs[0].number} and #{runs[1].number}, more than the fleet's {fleet}: "
                      "when no extra server fits, which strategy never starts a new server "
                      "before an old one is gone? (most_servers in your table)")
    return passed(f"{strategy} never ran more than {most} servers in #{runs[0].number} and "
                  f"#{runs[1].number}; it paid with capacity instead (fewest healthy backends: "
                  f"{figure(runs[0], 'min_backends')})")


def rollback_times(history: History) -> dict[str, tuple[float, Deployment]]:
    """The newest recorded rollback time of each strategy: blue/green's switch back, traffic
    splitting's traffic sent back."""
    times: dict[str, tuple[float, Deployment]] = {}
    for item in history.deployments:
        seconds = figure(item, "rollback_seconds")
        if seconds is not None:
            strategy = "blue-green" if item.strategy == SWITCH_BACK else item.strategy
            times[strategy] = (float(seconds), item)
    return times


def fastest_rollback(strategy: str, runs: tuple[Deployment, Deployment], history: History,
                     fleet: int) -> Verdict:
    """The strategy whose recorded rollback was the fastest (ties allowed)."""
    times = rollback_times(history)
    if strategy not in times:
        how = ("a failed release never took traffic, so nothing was rolled back under users"
               if strategy in ("rolling-batch", "immutable") else
               "going back means deploying the old release again, a whole deployment")
        return failed(f"your measurements record no rollback time for {strategy} ({how}); "
                      "compare the rollback times they do record (`lab history --json`, "
                      "rollback_seconds)")
    seconds, item = times[strategy]
    fastest = min(value for value, _ in times.values())
    if seconds > fastest * (1 + TIE) + 0.05:
        return failed(f"{strategy} went back in {seconds:.2f} s (#{item.number}), and another "
                      "strategy went back faster in your measurements: compare every "
                      "rollback_seconds in `lab history --json`")
    return passed(f"{strategy} went back in {seconds:.2f} s (#{item.number}), the fastest "
                  "rollback you measured")


def schema_change(strategy: str, runs: tuple[Deployment, Deployment], history: History,
                  fleet: int) -> Verdict:
    """Its good release never had two versions answer side by side."""
    good = runs[0]
    mixed = float(figure(good, "mixed_seconds") or 0)
    if mixed > MIXED_SECONDS:
        return failed(f"{strategy} served two versions side by side for {mixed:g} s in your "
                      f"deployment #{good.number}: the old release would have met the new "
                      "schema. Which strategy never served two at once in your numbers "
                      "(two_versions_served)?")
    lost = figure(good, "failed") or 0
    return passed(f"{strategy} never served two versions at once in #{good.number}" +
                  (f", at the price of {lost} failed requests" if lost else ""))


JUDGES: dict[str, Judge] = {"capacity_is_tight": capacity_is_tight,
                            "fastest_rollback": fastest_rollback,
                            "schema_change": schema_change}
