"""Custom checks of 12-deployment-strategies: the learner's comparison table
(workspace/strategies.yaml) against the deployments they measured, read from the exercise's
history (what `lab history --json` shows). There is no fixed answer: each cell must say what
the learner's own good and bad deployment of that strategy recorded."""

from __future__ import annotations

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

TABLE = "strategies.yaml"
STRATEGIES = ("all-at-once", "rolling", "rolling-batch", "immutable", "traffic-split",
              "blue-green")
FIELDS = ("zero_downtime", "failed_release_kept_old_servers", "two_versions_served",
          "fewest_backends")
# Two versions "served" when they answered side by side for longer than the one half-second
# interval around a single switch of the balancer.
MIXED_SECONDS = 0.5


# --- what the history says -----------------------------------------------------------------


def newest(history: History, strategy: str, result: str) -> Deployment | None:
    """The newest measured deployment of this strategy that ended with `result`."""
    return next((item for item in reversed(history.find("deploy", strategy, result))
                 if item.summary is not None), None)


def measured(good: Deployment, bad: Deployment) -> dict[str, object]:
    """The table's row as the two deployments recorded it."""
    assert good.summary is not None and bad.summary is not None
    return {
        "zero_downtime": good.summary.get("failed") == 0,
        "failed_release_kept_old_servers": not bad.replaced,
        "two_versions_served": float(str(good.summary.get("mixed_seconds") or 0)) > MIXED_SECONDS,
        "fewest_backends": good.summary.get("min_backends"),
    }


# --- what the learner wrote ----------------------------------------------------------------


def read_table(ctx: CheckContext) -> tuple[dict[str, Any] | None, str]:
    path = ctx.workspace / TABLE
    if not path.is_file():
        return None, f"there is no {TABLE} in your workspace: `lab reset` gives it back"
    try:
        table = read_yaml(path)
    except ReportError as problem:
        return None, str(problem)
    if not isinstance(table, dict):
        return None, f"{TABLE} should map each strategy to its row, like the file you started with"
    return table, ""


def as_answer(value: object) -> object:
    """yes/no (or true/false) as a bool, a number as an int, anything else as it is."""
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return value


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "nothing" if value is None else str(value)


# --- the check -----------------------------------------------------------------------------


def table_matches_history(ctx: CheckContext) -> list[Verdict]:
    """Each strategy's row says what its good and its bad deployment recorded."""
    table, problem = read_table(ctx)
    if table is None:
        return [failed(problem)]
    unknown = sorted(str(name) for name in table if name not in STRATEGIES)
    if unknown:
        return [failed(f"{TABLE} names {', '.join(unknown)}, which is not a strategy: use "
                       f"{', '.join(STRATEGIES)}")]
    history = ctx.history()
    return [row_verdict(strategy, table.get(strategy), history) for strategy in STRATEGIES]


def row_verdict(strategy: str, row: object, history: History) -> Verdict:
    if not isinstance(row, dict) or all(row.get(name) is None for name in FIELDS):
        return failed(f"{strategy}: not filled in yet ({', '.join(FIELDS)})")
    good, bad = newest(history, strategy, "succeeded"), newest(history, strategy, "failed")
    if good is None or bad is None:
        missing = " and ".join(what for what, item in (("a good release that succeeded", good),
                                                        ("a bad release that failed", bad))
                               if item is None)
        return failed(f"{strategy}: filled in, but the history has no measured deployment of "
                      f"{missing} with --strategy {strategy}, so these figures are not yours: "
                      f"`lab deploy v2 --strategy {strategy}` and `lab deploy v3 --strategy "
                      f"{strategy}`, each from v1")
    truth = measured(good, bad)
    wrong = [f"{name} is {shown(as_answer(row.get(name)))}, but deployments #{good.number} and "
             f"#{bad.number} say {shown(truth[name])}"
             for name in FIELDS if as_answer(row.get(name)) != truth[name]]
    if wrong:
        return failed(f"{strategy}: " + "; ".join(wrong))
    return passed(f"{strategy}: agrees with deployments #{good.number} (good) and "
                  f"#{bad.number} (bad)")
