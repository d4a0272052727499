"""04-half-configured's own check: the version each server's page serves is the version dpkg
says is installed, so no server claims a release its app is not running."""

from __future__ import annotations

from collections.abc import Sequence

from lab.checks.executor import Executor
from lab.checks.package import describe_state, parse_dpkg_status

PACKAGE = "webapp"
QUERY = f"dpkg-query -W -f='${{db:Status-Abbrev}} ${{Version}}' {PACKAGE}"
PORT = 80
Verdict = tuple[bool, str]


def page_matches_package(executor: Executor, servers: Sequence[str]) -> list[Verdict]:
    """Each server serves, at /version, the webapp version dpkg has installed and configured."""
    return [_judge(executor, server) for server in servers]


def _judge(executor: Executor, server: str) -> Verdict:
    result = executor.run(server, QUERY)
    if not result.ok:
        return False, f"{server}: {PACKAGE} is not installed"
    status = parse_dpkg_status(result.stdout)
    try:
        served = executor.http_get(server, PORT, "/version").body.strip()
    except OSError as exc:
        return False, f"{server}: nothing answers GET /version on port {PORT} ({exc})"
    if served != status.version:
        return False, (f"{server}: the page serves version {served or 'nothing'}, but dpkg has "
                       f"{PACKAGE} {status.version}, {describe_state(status.state or 'un')}")
    return True, f"{server}: serves {PACKAGE} {served}, the version dpkg has installed"
