"""The `file` check: a file exists (or not) with the expected content, mode and digest."""

from __future__ import annotations

import shlex

from lab.checks.base import CheckResult, ServerCheck, first_words, quoted
from lab.checks.executor import Executor
from lab.checks.host import octal_mode
from lab.checks.specs import FileSpec


def short_digest(digest: str) -> str:
    return digest[:12] + "…"


class FileCheck(ServerCheck[FileSpec]):
    """Stat the file, then compare what the spec asks about: content, mode, sha256."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        path = self.spec.path
        stat = executor.run(server, f"stat -L -c '%a %F' -- {shlex.quote(path)}")
        if not stat.ok:
            return self._judge_missing(server, stat.stderr)
        if not self.spec.exists:
            return self.failed(server, f"{path} exists, expected it to be absent")
        mode, _, file_type = stat.stdout.strip().partition(" ")
        problems = self._problems(executor, server, mode, file_type)
        if problems:
            return self.failed(server, "; ".join(problems))
        return self.passed(server, f"{path} {self._what_holds()}")

    def _judge_missing(self, server: str, stat_error: str) -> CheckResult:
        path = self.spec.path
        if "No such file" not in stat_error:
            return self.failed(server, f"cannot stat {path}: {first_words(stat_error)}")
        if self.spec.exists:
            return self.failed(server, f"{path} does not exist")
        return self.passed(server, f"{path} does not exist, as expected")

    def _what_holds(self) -> str:
        spec, facts = self.spec, ["exists"]
        if spec.contains is not None:
            facts.append(f"contains {quoted(spec.contains)}")
        if spec.mode is not None:
            facts.append(f"has mode {octal_mode(spec.mode)}")
        if spec.sha256 is not None:
            facts.append(f"has sha256 {short_digest(spec.sha256)}")
        return ", ".join(facts)

    def _problems(self, executor: Executor, server: str, mode: str, file_type: str) -> list[str]:
        spec, path = self.spec, self.spec.path
        wants_content = spec.contains is not None or spec.sha256 is not None
        if wants_content and not file_type.startswith("regular"):
            return [f"{path} is a {file_type}, expected a regular file"]
        problems = []
        if spec.mode is not None and octal_mode(mode) != octal_mode(spec.mode):
            problems.append(f"{path} has mode {octal_mode(mode)}, expected {octal_mode(spec.mode)}")
        if spec.contains is not None:
            problems += self._content_problems(executor, server, spec.contains)
        if spec.sha256 is not None:
            problems += self._digest_problems(executor, server, spec.sha256)
        return problems

    def _content_problems(self, executor: Executor, server: str, expected: str) -> list[str]:
        result = executor.run(server, f"cat -- {shlex.quote(self.spec.path)}")
        if not result.ok:
            return [f"cannot read {self.spec.path}: {first_words(result.stderr)}"]
        if expected not in result.stdout:
            return [f"{self.spec.path} does not contain {quoted(expected)}"]
        return []

    def _digest_problems(self, executor: Executor, server: str, expected: str) -> list[str]:
        result = executor.run(server, f"sha256sum -- {shlex.quote(self.spec.path)}")
        if not result.ok:
            return [f"cannot read {self.spec.path}: {first_words(result.stderr)}"]
        # sha256sum escapes odd file names with a leading backslash; the digest follows it.
        found = (
            result.stdout.split(maxsplit=1)[0].lstrip("\\") if result.stdout.strip() else "nothing"
        )
        if found != expected:
            return [
                f"{self.spec.path} differs: expected sha256 {short_digest(expected)}, "
                f"found {short_digest(found)}"
            ]
        return []
