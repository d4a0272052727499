"""The `package` check: a Debian package is in the expected dpkg state and version."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from lab.checks.base import CheckResult, ServerCheck, first_words
from lab.checks.executor import Executor
from lab.checks.specs import PackageSpec

# ${db:Status-Abbrev} is three characters: desired action, current state, error flag.
QUERY = "dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "

DESIRED = {"u": "unknown", "i": "install", "r": "remove", "p": "purge", "h": "hold"}
CURRENT = {
    "n": "not installed",
    "c": "removed, config files remain",
    "H": "half-installed (unpacking failed)",
    "U": "unpacked but not configured",
    "F": "half-configured (its postinst failed)",
    "W": "waiting for triggers",
    "t": "triggers pending",
    "i": "installed",
}


@dataclass(frozen=True)
class DpkgStatus:
    """A package as dpkg sees it; `state` is None when dpkg has never heard of it."""

    state: str | None
    version: str = ""


def parse_dpkg_status(stdout: str) -> DpkgStatus:
    """Read dpkg-query's 'ii  2.1.0-1': a three-character status, a space, the version."""
    return DpkgStatus(stdout[:3].strip(), stdout[3:].strip())


def describe_state(state: str) -> str:
    """'iF' -> 'half-configured (its postinst failed)'; 'hi' -> 'installed, on hold'."""
    text = CURRENT.get(state[1], state)
    if state[0] == "h":
        text += ", on hold"
    if state.endswith("R"):
        text += ", reinstall required"
    return text


class PackageCheck(ServerCheck[PackageSpec]):
    """Query dpkg for one package and compare its state and version with the spec."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        result = executor.run(server, QUERY + shlex.quote(self.spec.name))
        if result.ok:
            status = parse_dpkg_status(result.stdout)
        elif "no packages found" in result.stderr:
            status = DpkgStatus(None)
        else:
            return self.failed(
                server, f"dpkg-query failed (exit {result.exit_code}): {first_words(result.stderr)}"
            )
        return self._judge(server, status)

    def _judge(self, server: str, status: DpkgStatus) -> CheckResult:
        if self.spec.state == "absent":
            return self._judge_absent(server, status)
        name, expected = self.spec.name, self.spec.state
        if status.state is None:
            return self.failed(server, f"{name} is not installed (dpkg: no such package)")
        found = f"{status.state} {status.version}"
        if status.state != expected:
            return self.failed(
                server,
                f"{name} is {describe_state(status.state)} (dpkg state {status.state}), "
                f"expected {describe_state(expected)} ({expected})",
                found,
            )
        if self.spec.version is not None and status.version != self.spec.version:
            return self.failed(
                server,
                f"{name} {status.version} is there, expected version {self.spec.version}",
                found,
            )
        return self.passed(server, f"{name} {status.version} is {describe_state(expected)}", found)

    def _judge_absent(self, server: str, status: DpkgStatus) -> CheckResult:
        name, state = self.spec.name, status.state
        if state is None or state[1] in "nc":  # never known, or removed
            return self.passed(server, f"{name} is not installed, as expected")
        return self.failed(
            server,
            f"{name} {status.version} is {describe_state(state)}, expected it not installed",
            f"{state} {status.version}",
        )
