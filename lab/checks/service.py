"""The `service` check: a process runs and/or something listens on a TCP port."""

from __future__ import annotations

from lab.checks.base import CheckResult, ServerCheck
from lab.checks.executor import Executor
from lab.checks.specs import ServiceSpec

# The kernel's own tables rather than `ss` or `pgrep`, which minimal Debian images may lack.
READ_PROCESS_NAMES = "cat /proc/[0-9]*/comm 2>/dev/null"
READ_TCP_SOCKETS = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null"
TCP_LISTEN = "0A"  # the socket state "LISTEN" in /proc/net/tcp
COMM_LENGTH = 15  # the kernel keeps the first 15 characters of a process name


def listening_ports(proc_net_tcp: str) -> set[int]:
    """Ports in LISTEN state from /proc/net/tcp(6) text: 'sl local_address rem_address st …'."""
    ports = set()
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == TCP_LISTEN and ":" in fields[1]:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def process_running(comm_lines: str, name: str) -> bool:
    return name[:COMM_LENGTH] in {line.strip() for line in comm_lines.splitlines()}


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
