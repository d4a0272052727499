"""The `command` check: a command exits with the expected code and prints what it should."""

from __future__ import annotations

import re

from lab.checks.base import CheckResult, ServerCheck, first_words, quoted
from lab.checks.executor import ExecResult, Executor
from lab.checks.specs import CommandSpec


class CommandCheck(ServerCheck[CommandSpec]):
    """Run `command`; expect `exit_code`, and optionally text or a pattern in its stdout."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        result = executor.run(server, self.spec.command)
        problem = self._problem(result)
        if problem:
            return self.failed(server, problem, found=result.stdout)
        return self.passed(
            server, f"`{self.spec.command}` behaves as expected", found=result.stdout
        )

    def _problem(self, result: ExecResult) -> str | None:
        spec = self.spec
        if result.exit_code != spec.exit_code:
            output = result.stderr if result.stderr.strip() else result.stdout
            return (
                f"`{spec.command}` exited with {result.exit_code}, expected {spec.exit_code} "
                f"({first_words(output)})"
            )
        if spec.stdout_contains is not None and spec.stdout_contains not in result.stdout:
            return (
                f"`{spec.command}` printed {quoted(result.stdout)}, "
                f"expected it to contain {quoted(spec.stdout_contains)}"
            )
        if spec.stdout_matches is not None and not re.search(
            spec.stdout_matches, result.stdout, re.MULTILINE
        ):
            return (
                f"`{spec.command}` printed {quoted(result.stdout)}, "
                f"expected a match for /{spec.stdout_matches}/"
            )
        return None
