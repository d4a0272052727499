"""The `replaced` check: a server's container is newer than a moment the lab recorded."""

from __future__ import annotations

from datetime import datetime, timezone

from lab.checks.base import CheckResult, ServerCheck
from lab.checks.executor import Executor
from lab.checks.specs import ReplacedSpec

MARK_MEANINGS = {"start": "the exercise's servers were brought up"}


def aware(moment: datetime) -> datetime:
    """Treat a naive datetime as UTC, so moments from different sources compare."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clock(moment: datetime) -> str:
    return aware(moment).astimezone().strftime("%H:%M:%S")


class ReplacedCheck(ServerCheck[ReplacedSpec]):
    """A server counts as replaced when its container was created after the mark."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        mark_name = self.spec.after
        meaning = MARK_MEANINGS.get(mark_name, mark_name)
        mark = self.context.marks.get(mark_name)
        if mark is None:
            return self.failed(server, f"cannot tell: the lab has no record of when {meaning}")
        created = aware(executor.info(server).created)
        if created <= aware(mark):
            return self.failed(
                server,
                f"its container was created at {clock(created)}, not after {meaning} at "
                f"{clock(mark)}: it has not been replaced",
            )
        return self.passed(server, f"replaced at {clock(created)}, after {meaning}")
