"""What each server of the current exercise is: state, image, app version, ports, uptime;
and for its load balancer, where it answers and which servers it sends traffic to."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from lab import dpkg, fleet, learner
from lab.deploy import balancer
from lab.docker import containers, labels
from lab.errors import LabError
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.deploy.balancer import Backend
    from lab.docker.containers import ContainerInfo

APP_PACKAGE = "webapp"
VERSION_PROBE = f"{dpkg.query([APP_PACKAGE])} 2>/dev/null || true"


@dataclass(frozen=True)
class ServerStatus:
    name: str
    role: str
    state: str
    image: str
    app_version: str
    ports: dict[str, str]  # "22/tcp" -> "127.0.0.1:49153"
    uptime_seconds: int | None
    container: str
    url: str | None = None  # the load balancer's address on the engine's machine
    backends: tuple[Backend, ...] | None = None  # the servers the load balancer sends to

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def fleet_status(settings: Settings) -> tuple[str, list[ServerStatus]]:
    """The current exercise's id and one row per container, servers first."""
    exercise, infos = learner.running(settings)
    with ThreadPoolExecutor(max_workers=fleet.PARALLEL) as pool:
        rows = list(pool.map(_describe, infos))
    rows.sort(key=lambda row: (row.role != fleet.SERVER_ROLE, row.name))
    return exercise.id, rows


def _describe(info: ContainerInfo) -> ServerStatus:
    role = info.labels.get(labels.ROLE, "?")
    version = "-"
    if info.running and role == fleet.SERVER_ROLE:
        version = _app_version(info) or "none"
    uptime = None
    details = containers.inspect(info.id) if info.running else None
    if details:
        started = fleet.parse_engine_time(str(details.get("State", {}).get("StartedAt", "")))
        if started:
            uptime = int((datetime.now(timezone.utc) - started).total_seconds())
    url, backends = _balancer(info) if role == balancer.LB_ROLE and info.running else (None, None)
    return ServerStatus(
        name=fleet.server_name(info), role=role, state=info.state,
        image=info.labels.get("lab.image-name", info.image),
        app_version=version,
        ports={b.container_port: f"{b.host_ip}:{b.host_port}" for b in info.ports},
        uptime_seconds=uptime, container=info.name, url=url, backends=backends,
    )


def _app_version(info: ContainerInfo) -> str:
    return app_version(containers.exec_run(info.id, VERSION_PROBE).stdout)


def app_version(listed: str) -> str:
    """The `app` column: the app's version as dpkg has it on record, from VERSION_PROBE's
    output ('' when it is not installed). It is the version dpkg *unpacked*, whatever its
    state: a half-configured package shows its new version while the page may still serve
    the old one (exercise 04 teaches that gap; `lab check` and `dpkg -l` show the state)."""
    package = dpkg.parse(listed).get(APP_PACKAGE)
    return package.version if package and package.installed else ""


def _balancer(info: ContainerInfo) -> tuple[str | None, tuple[Backend, ...] | None]:
    """The load balancer's URL and backends, or None for what cannot be known now."""
    try:
        # The engine-side address: a tunnel this process opened would close with it.
        url: str | None = balancer.url(info, here=False)
    except LabError:
        url = None
    try:
        return url, tuple(balancer.backends(info.id))
    except LabError:
        return url, None


def human_uptime(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minute:02d}m"
    return f"{minute}m{second:02d}s" if minute else f"{second}s"
