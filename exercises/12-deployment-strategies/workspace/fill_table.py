"""Fill strategies.yaml from your deployment history (`lab history --json`): for each strategy,
the newest good deployment that succeeded and the newest bad one that failed, each cell with
the figures it comes from, and the rollback times the history records.

Run it in your workspace: `python fill_table.py`. It only reads the history and writes the
table: numbers to look at. It never touches predictions.yaml (what you expected, before you
measured) or scenarios.yaml (what you would choose): those are yours.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STRATEGIES = ("all-at-once", "rolling", "rolling-batch", "immutable", "traffic-split",
              "blue-green")
MIXED_SECONDS = 0.5  # longer than the one half-second interval around a single switch
TABLE = Path(__file__).resolve().parent / "strategies.yaml"


def history() -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "lab", "history", "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["deployments"]


def newest(deployments: list[dict], strategy: str, result: str) -> dict | None:
    for item in reversed(deployments):
        if (item["kind"] == "deploy" and item["strategy"] == strategy
                and item["result"] == result and item.get("summary")):
            return item
    return None


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def row(good: dict, bad: dict) -> list[str]:
    summary = good["summary"]
    return [
        f"  zero_downtime: {yes_no(summary['failed'] == 0)}"
        f"          # #{good['number']}: {summary['failed']} failed",
        f"  failed_release_kept_old_servers: {yes_no(not bad['replaced'])}"
        f"  # #{bad['number']} replaced {', '.join(bad['replaced']) or 'nothing'}",
        f"  two_versions_served: {yes_no(summary['mixed_seconds'] > MIXED_SECONDS)}"
        f"    # #{good['number']}: {summary['mixed_seconds']} s",
        f"  fewest_backends: {summary['min_backends']}",
        f"  most_servers: {summary.get('max_servers')}"
        f"           # #{good['number']}; the bad release: {bad['summary'].get('max_servers')}",
    ]


def rollback_times(deployments: list[dict]) -> list[str]:
    """Every rollback time the history records, as comment lines."""
    return [f"#   #{item['number']} {item['kind']} ({item['strategy']}): "
            f"{item['summary']['rollback_seconds']} s"
            for item in deployments
            if item.get("summary") and item["summary"].get("rollback_seconds") is not None]


def main() -> int:
    deployments = history()
    lines = ["# Filled in by fill_table.py from `lab history --json`.", ""]
    missing = []
    for strategy in STRATEGIES:
        good = newest(deployments, strategy, "succeeded")
        bad = newest(deployments, strategy, "failed")
        lines.append(f"{strategy}:")
        if good is None or bad is None:
            missing.append(strategy)
            lines += [f"  {name}:" for name in ("zero_downtime",
                                                "failed_release_kept_old_servers",
                                                "two_versions_served", "fewest_backends",
                                                "most_servers")]
        else:
            lines += row(good, bad)
        lines.append("")
    lines += ["# Rollback times recorded (rollback_seconds):",
              *(rollback_times(deployments) or ["#   none yet"]), ""]
    TABLE.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {TABLE.name}")
    if missing:
        print(f"not deployed both ways yet, left empty: {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
