"""The `package` check: a Debian package is in the expected dpkg state and version."""

from __future__ import annotations

from lab import dpkg
from lab.checks.base import CheckResult, ServerCheck, first_words
from lab.checks.executor import Executor
from lab.checks.specs import PackageSpec
from lab.dpkg import Package, describe_state


class PackageCheck(ServerCheck[PackageSpec]):
    """Query dpkg for one package and compare its state and version with the spec."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        result = executor.run(server, dpkg.query([self.spec.name]))
        if result.ok:
            package = _listed(result.stdout, self.spec.name)
        elif dpkg.NOT_FOUND in result.stderr:
            package = None
        else:
            return self.failed(
                server, f"dpkg-query failed (exit {result.exit_code}): {first_words(result.stderr)}"
            )
        return self._judge(server, package)

    def _judge(self, server: str, package: Package | None) -> CheckResult:
        if self.spec.state == "absent":
            return self._judge_absent(server, package)
        name, expected = self.spec.name, self.spec.state
        if package is None:
            return self.failed(server, f"{name} is not installed (dpkg: no such package)")
        state, version = package.status, package.version  # the whole status: 'iiR' is not 'ii'
        found = f"{state} {version}"
        if state != expected:
            return self.failed(
                server,
                f"{name} is {describe_state(state)} (dpkg state {state}), "
                f"expected {describe_state(expected)} ({expected})",
                found,
            )
        if self.spec.version is not None and version != self.spec.version:
            return self.failed(
                server, f"{name} {version} is there, expected version {self.spec.version}", found
            )
        return self.passed(server, f"{name} {version} is {describe_state(expected)}", found)

    def _judge_absent(self, server: str, package: Package | None) -> CheckResult:
        name = self.spec.name
        if package is None or not package.installed:  # never known, or removed
            return self.passed(server, f"{name} is not installed, as expected")
        return self.failed(
            server,
            f"{name} {package.version} is {package.describe()}, expected it not installed",
            f"{package.status} {package.version}",
        )


def _listed(stdout: str, name: str) -> Package | None:
    """The package dpkg-query listed for `name`, which may name an architecture
    ('libc6:amd64': dpkg-query lists it as libc6)."""
    listed = dpkg.parse(stdout)
    return listed.get(name.partition(":")[0]) or next(iter(listed.values()), None)

