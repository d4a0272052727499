"""The `service` check: a process runs and/or something listens on a TCP port."""

from __future__ import annotations

from lab.checks.base import CheckResult, ServerCheck
from lab.checks.executor import Executor
from lab.checks.host import (
    READ_PROCESS_NAMES,
    READ_TCP_SOCKETS,
    listening_ports,
    process_running,
)
from lab.checks.specs import ServiceSpec


class ServiceCheck(ServerCheck[ServiceSpec]):
    """Look for the process by name and the port among listening TCP sockets."""

    def check_server(self, executor: Executor, server: str) -> CheckResult:
        spec = self.spec
        problems, facts = [], []
        if spec.process is not None:
            names = executor.run(server, READ_PROCESS_NAMES).stdout
            if process_running(names, spec.process):
                facts.append(f"{spec.process} is running")
            else:
                problems.append(f"no process named {spec.process} is running")
        if spec.listens is not None:
            sockets = executor.run(server, READ_TCP_SOCKETS).stdout
            if not sockets.strip():
                problems.append("cannot read /proc/net/tcp to see listening ports")
            elif spec.listens in listening_ports(sockets):
                facts.append(f"TCP port {spec.listens} is listening")
            else:
                problems.append(f"nothing listens on TCP port {spec.listens}")
        if problems:
            return self.failed(server, "; ".join(problems))
        return self.passed(server, " and ".join(facts))
