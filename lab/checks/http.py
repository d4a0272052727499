"""The `http` check: a page asked from the host through the published port answers as expected."""

from __future__ import annotations

from lab.checks.base import CheckResult, ServerCheck, quoted
from lab.checks.executor import Executor
from lab.checks.specs import HttpSpec


class HttpCheck(ServerCheck[HttpSpec]):
    """GET `path` on the server's published `port`; expect `status` and maybe some text."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        spec = self.spec
        request = f"GET {spec.path} on port {spec.port}"
        try:
            answer = executor.http(server, spec.port, spec.path)
        except OSError as exc:
            return self.failed(server, f"{request}: nothing answers ({exc})")
        if answer.status != spec.status:
            return self.failed(
                server, f"{request} answered {answer.status}, expected {spec.status}", answer.body
            )
        if spec.contains is not None and spec.contains not in answer.body:
            return self.failed(
                server,
                f"{request} answered {answer.status} without {quoted(spec.contains)}; "
                f"the page starts with {quoted(answer.body)}",
                answer.body,
            )
        return self.passed(server, f"{request} answered {answer.status} as expected", answer.body)
