"""The `fleet` check: a probe command prints exactly the same thing on every server."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from lab.checks.base import CheckResult, ServerCheck, first_words, shorten
from lab.checks.executor import Executor
from lab.checks.specs import FleetSpec


class FleetCheck(ServerCheck[FleetSpec]):
    """Run the probe everywhere (in parallel), then compare the outputs with each other.

    The most common output is the reference: servers that printed it pass, the others fail
    and are shown with what they printed instead. A tie goes to the first server.
    """

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        result = executor.run(server, self.spec.command)
        if not result.ok:
            return self.failed(
                server,
                f"`{self.spec.command}` failed (exit {result.exit_code}): "
                f"{first_words(result.stderr or result.stdout)}",
            )
        return self.passed(server, "probe ran", found=result.stdout.strip())

    def conclude(self, results: list[CheckResult]) -> list[CheckResult]:
        probed = [result for result in results if result.ok]
        if not probed:
            return results
        # most_common() lists equal counts in first-seen order, so a tie goes to the first.
        reference = Counter(result.found for result in probed).most_common(1)[0][0] or ""
        agreeing = [str(result.server) for result in probed if result.found == reference]
        return [self._compare(result, reference, agreeing) for result in results]

    def _compare(self, result: CheckResult, reference: str, agreeing: list[str]) -> CheckResult:
        if not result.ok:
            return result
        if result.found == reference:
            others = [name for name in agreeing if name != result.server]
            same = f"same output as {', '.join(others)}" if others else "the probe ran"
            return replace(result, reason=f"{result.server}: {same} ({shorten(reference)!r})")
        return replace(
            result,
            ok=False,
            reason=(
                f"{result.server}: `{self.spec.command}` differs from {', '.join(agreeing)}: "
                f"expected {shorten(reference)!r}, found {shorten(result.found or '')!r}"
            ),
        )
