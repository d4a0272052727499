"""The `download` check: what each server downloaded from the lab's repository, read from the
repository's access log (since the exercise's faults were armed, so provisioning is left out)."""

from __future__ import annotations

from collections.abc import Sequence

from lab.checks.base import AllServersCheck, CheckResult, with_remedy
from lab.checks.executor import Executor
from lab.checks.specs import DownloadSpec
from lab.checks.views import Request


class DownloadCheck(AllServersCheck[DownloadSpec]):
    """Read the log once, then judge each server: did the repository deliver it the .deb?"""

    def check_all(self, executor: Executor, servers: Sequence[str]) -> list[CheckResult]:
        spec = self.spec
        fetched: dict[str, Request] = {}
        for request in self.context.repository_log():
            if request.delivered and request.is_deb_of(spec.package, spec.version):
                fetched.setdefault(request.server, request)
        return [self._judge(server, fetched.get(server)) for server in servers]

    def _judge(self, server: str, request: Request | None) -> CheckResult:
        package = f"{self.spec.package} {self.spec.version}" if self.spec.version \
            else self.spec.package
        if request is not None:
            did = f"downloaded {request.path.rsplit('/', 1)[-1]} from the repository"
            if self.spec.downloaded:
                return self.passed(server, did)
            return self.failed(server, with_remedy(did, self.spec.remedy))
        never = f"never downloaded {package} from the repository"
        if self.spec.downloaded:
            return self.failed(server, with_remedy(never, self.spec.remedy))
        return self.passed(server, never)
