"""One server as a check sees it, with testinfra-style modules: its packages, files, services
and web pages, each read through the Executor when asked."""

from __future__ import annotations

import shlex

from lab import dpkg
from lab.checks.executor import ExecResult, Executor, HttpResult, ServerInfo

# The kernel's own tables rather than `ss` or `pgrep`, which minimal Debian images may lack;
# a process's name as the kernel keeps it (/proc/PID/comm) is cut to 15 characters.
COMM_LENGTH = 15
READ_PROCESS_NAMES = "cat /proc/[0-9]*/comm 2>/dev/null"
READ_TCP_SOCKETS = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null"
TCP_LISTEN = "0A"  # the `st` column of /proc/net/tcp for a listening socket


class CheckError(Exception):
    """A server could not be asked (a command failed in a way no verdict can be drawn from).
    `lab check` shows the goal as failed, with this message."""


def octal_mode(mode: str) -> str:
    """'644' or '0644' -> '0644', the way people write modes."""
    return f"{int(mode, 8):04o}"


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


def stat_command(path: str) -> str:
    """Prints '644 regular file': the mode and type of `path`, following links."""
    return f"stat -L -c '%a %F' -- {shlex.quote(path)}"


def read_command(path: str) -> str:
    return f"cat -- {shlex.quote(path)}"


def digest_command(path: str) -> str:
    return f"sha256sum -- {shlex.quote(path)}"


def last_line(result: ExecResult) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit code {result.exit_code}"


class Host:
    """A server of the exercise by name: `host.run(...)`, `host.package("webapp")`,
    `host.file("/etc/motd")`, `host.service("nginx")`, `host.http("/health")`, `host.info`.

    Every call asks the server when it is made, so a check sees the server as it is then
    (after a deployment, the new container of the same name).
    """

    def __init__(self, name: str, executor: Executor) -> None:
        self.name = name
        self._executor = executor

    def __repr__(self) -> str:
        return f"Host({self.name!r})"

    def run(self, command: str) -> ExecResult:
        """Run a shell command as root on the server; never raises for a non-zero exit."""
        return self._executor.run(self.name, command)

    def package(self, name: str) -> dpkg.Package:
        """The package as dpkg knows it; one dpkg has never heard of is status 'un', with
        `.installed` False and no version."""
        found = self.packages(name)
        return found.get(name, dpkg.Package(name, "", "un"))

    def packages(self, *names: str) -> dict[str, dpkg.Package]:
        """The packages dpkg lists (every one when no names are given), by name; a name
        dpkg has never heard of is left out."""
        result = self.run(dpkg.query(names))
        if not result.ok and dpkg.NOT_FOUND not in result.stderr:
            raise CheckError(f"{self.name}: dpkg-query failed ({last_line(result)})")
        return dpkg.parse(result.stdout)

    def file(self, path: str) -> File:
        return File(self, path)

    def service(self, name: str) -> Service:
        return Service(self, name)

    def listening(self, port: int) -> bool:
        """Whether something listens on TCP `port` on the server."""
        sockets = self.run(READ_TCP_SOCKETS).stdout
        if not sockets.strip():
            raise CheckError(f"{self.name}: cannot read /proc/net/tcp to see listening ports")
        return port in listening_ports(sockets)

    def http(self, path: str = "/", port: int = 80, *, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        """Ask the server's published `port` from the host, as a browser would. When nothing
        answers, the result's status is 0 and its `error` says why."""
        try:
            return self._executor.http(self.name, port, path, method, body)
        except OSError as exc:
            return HttpResult(0, "", str(exc))

    @property
    def info(self) -> ServerInfo:
        """The server's container and image, as the engine reports them now."""
        return self._executor.info(self.name)


class File:
    """A path on a server, not a snapshot: each property asks the server when it is read."""

    def __init__(self, host: Host, path: str) -> None:
        self.host = host
        self.path = path

    def __repr__(self) -> str:
        return f"File({self.host.name!r}, {self.path!r})"

    def _stat(self) -> tuple[str, str] | None:
        """(mode, type) of the path, following links; None when there is nothing there."""
        stat = self.host.run(stat_command(self.path))
        if stat.ok:
            mode, _, file_type = stat.stdout.strip().partition(" ")
            return mode, file_type
        if "No such file" in stat.stderr:
            return None
        raise CheckError(f"{self.host.name}: cannot stat {self.path}: {last_line(stat)}")

    @property
    def exists(self) -> bool:
        return self._stat() is not None

    @property
    def type(self) -> str:
        """'regular file', 'directory', 'regular empty file', ... ('' when absent)."""
        stat = self._stat()
        return stat[1] if stat else ""

    @property
    def is_file(self) -> bool:
        return self.type.startswith("regular")

    @property
    def mode(self) -> str:
        """Like '0644'; CheckError when the file does not exist."""
        stat = self._stat()
        if stat is None:
            raise CheckError(f"{self.host.name}: {self.path} does not exist")
        return octal_mode(stat[0])

    @property
    def content(self) -> str:
        """The file's text; CheckError when it cannot be read."""
        result = self.host.run(read_command(self.path))
        if not result.ok:
            raise CheckError(f"{self.host.name}: cannot read {self.path}: {last_line(result)}")
        return result.stdout

    @property
    def sha256(self) -> str:
        """The SHA-256 of its content, as sha256sum prints it."""
        result = self.host.run(digest_command(self.path))
        if not result.ok or not result.stdout.strip():
            raise CheckError(f"{self.host.name}: cannot read {self.path}: {last_line(result)}")
        # sha256sum escapes odd file names with a leading backslash; the digest follows it.
        return result.stdout.split(maxsplit=1)[0].lstrip("\\")


class Service:
    """A process on a server, by the name the kernel knows it by (as `ps -e` shows); `running`
    asks the server when it is read."""

    def __init__(self, host: Host, name: str) -> None:
        self.host = host
        self.name = name

    def __repr__(self) -> str:
        return f"Service({self.host.name!r}, {self.name!r})"

    @property
    def running(self) -> bool:
        return process_running(self.host.run(READ_PROCESS_NAMES).stdout, self.name)
