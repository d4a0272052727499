"""Custom checks of 11-state-outside: something was deployed, and the guestbook's entries
outlive a replacement of the whole fleet (the check writes one on each server, deploys the
desired image again, and reads each one back)."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lab.checks.base import CheckContext
from lab.checks.executor import Executor

if TYPE_CHECKING:
    from lab.deploy.state import Deployment, FleetState
    from lab.docker.containers import ContainerInfo
    from lab.settings import Settings

EXERCISE_ID = Path(__file__).resolve().parent.name  # the folder's name is the exercise's id
ENTRIES = "/var/lib/guestbook/entries"  # where guestbook 1.0 keeps its entries
URL_PATH = "/entries/"  # where nginx serves them
HTTP_PORT = 80
NOTHING_DEPLOYED = ("nothing was deployed since the servers started, so there is no guestbook "
                    "of yours to test yet: `lab build v1`, then `lab deploy v1`")

Verdict = tuple[bool, str]
Verdicts = list[Verdict]


# --- something was deployed --------------------------------------------------------------


def deployed(executor: Executor, servers: Sequence[str], context: CheckContext) -> Verdicts:
    """A deployment made the fleet run an image of the learner's since the exercise started."""
    state, since = history(context)
    if state.desired is None or not [item for item in since if item.result == "succeeded"]:
        return [(False, NOTHING_DEPLOYED)]
    volumes = state.desired.volumes
    kept = (f", with the volume{'s' if len(volumes) > 1 else ''} "
            + ", ".join(f"{name}:{path}" for name, path in volumes.items())) if volumes else ""
    return [(True, f"the fleet runs {state.desired.image}{kept}")]


def history(context: CheckContext) -> tuple[FleetState, list[Deployment]]:
    """The exercise's deployment history, and its deployments since its servers started
    (`lab reset` starts them afresh: what was deployed before does not count)."""
    from lab.deploy.state import StateStore

    state = StateStore.of(settings_of(context), EXERCISE_ID).load()
    start = context.marks.get("start")
    since = [item for item in state.deployments if start is None or item.started_at >= start]
    return state, since


def settings_of(context: CheckContext) -> Settings:
    from lab.environment import current_settings

    return context.settings or current_settings()


# --- the entries outlive a replacement ---------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry the check writes: on which server, under which name, with which text."""

    server: str
    name: str
    text: str
    kept_on: Place  # where the server keeps it: its own disk, a volume


@dataclass(frozen=True)
class Place:
    """Where a server keeps its entries, in words, and why an entry kept there can vanish."""

    where: str
    gone: str


def entries_survive_replacement(executor: Executor, servers: Sequence[str],
                                context: CheckContext) -> Verdicts:
    """Write an entry on every server, replace every server with the desired image (as
    `lab deploy` does), then read each entry back from the server it was written to."""
    state, since = history(context)
    if state.desired is None or not [item for item in since if item.result == "succeeded"]:
        return [(False, NOTHING_DEPLOYED)]
    settings = settings_of(context)
    before = running_servers(settings, servers)
    if isinstance(before, str):
        return [(False, before)]
    token = uuid.uuid4().hex[:8]
    written = []
    for server in servers:
        entry = Entry(server, f"lab-check-{token}-{server}",
                      f"written on {server} by lab check {token}\n",
                      kept_on(before[server], ENTRIES))
        problem = put(before[server], entry)
        if problem:
            return [(False, problem)]
        written.append(entry)
    replaced = replace_fleet(settings, state.desired.image_id)
    if replaced:
        return [(False, replaced)]
    after = running_servers(settings, servers)
    if isinstance(after, str):
        return [(False, f"after the replacement, {after}")]
    verdicts = [read_back(before[entry.server], after[entry.server], entry) for entry in written]
    for entry in written:  # the guestbook is the visitors', not the check's
        delete(after[entry.server], entry)
    return verdicts


def running_servers(settings: Settings, servers: Sequence[str]) -> dict[str, ContainerInfo] | str:
    """Each server's container as the engine reports it now, or why one cannot be used."""
    from lab import fleet

    found = {fleet.server_name(info): info for info in fleet.servers(settings, EXERCISE_ID)}
    for server in servers:
        info = found.get(server)
        if info is None or not info.running:
            return (f"{server} is {'missing' if info is None else info.state}: "
                    "`lab reconcile` brings it back, or `lab deploy v1` replaces every server")
        if info.host_port(HTTP_PORT) is None:
            return f"{server} publishes no port {HTTP_PORT}"
    return found


def kept_on(info: ContainerInfo, path: str) -> Place:
    """Where a container keeps `path`: on a volume mounted over it, or on its own disk."""
    from lab.docker import containers

    mounts = (containers.inspect(info.id) or {}).get("Mounts") or []
    covering = [mount for mount in mounts
                if path == mount.get("Destination")
                or path.startswith(str(mount.get("Destination", "")).rstrip("/") + "/")]
    if not covering:
        return Place("its container's own disk",
                     "the disk went with the container, and the new one starts from the image")
    mount = max(covering, key=lambda item: len(str(item.get("Destination", ""))))
    name, where = str(mount.get("Name", "")), mount.get("Destination")
    if mount.get("Type") == "volume" and len(name) == 64 and name.isalnum():
        return Place(f"an anonymous volume at {where}, made by a VOLUME line of the Dockerfile",
                     "a volume without a name belongs to its container and was removed "
                     "with it")
    if mount.get("Type") == "volume":
        return Place(f"the volume {name} at {where}", "the new container did not find it there")
    return Place(f"a {mount.get('Type', 'mount')} at {where}",
                 "the new container did not find it there")


def url(info: ContainerInfo, name: str = "") -> str:
    return f"http://127.0.0.1:{info.host_port(HTTP_PORT)}{URL_PATH}{name}"


def request(address: str, method: str, data: bytes | None = None) -> tuple[int, str]:
    """One HTTP request: its status and body (status 0: nothing answered)."""
    call = urllib.request.Request(address, data=data, method=method)
    try:
        with urllib.request.urlopen(call, timeout=10) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode(errors="replace")
    except OSError as failure:
        return 0, str(getattr(failure, "reason", failure))


def put(info: ContainerInfo, entry: Entry) -> str | None:
    """Write the entry as a visitor would; why that failed, or None."""
    status, body = request(url(info, entry.name), "PUT", entry.text.encode())
    if status in (200, 201, 204):
        return None
    what = {0: f"got no answer ({body})",
            404: "answered 404: is guestbook installed in your image?",
            405: "answered 405 (method not allowed): is guestbook installed in your image?"
            }.get(status, f"answered HTTP {status}: nginx could not write the entry "
                          f"(is {ENTRIES} there, and writable by www-data?)")
    return f"{entry.server}: a visitor's entry (PUT {URL_PATH}{entry.name}) {what}"


def replace_fleet(settings: Settings, image_id: str) -> str | None:
    """Deploy the desired image again: every server replaced; why that failed, or None."""
    from lab.deploy import rollout
    from lab.errors import LabError

    try:
        rollout.deploy(settings, image_id, report=lambda line: None)
    except LabError as failure:
        return f"deploying your image again, to replace every server, failed: {failure.line()}"
    return None


def read_back(before: ContainerInfo, after: ContainerInfo, entry: Entry) -> Verdict:
    """The entry, read from the server's new container, is the one written to the old."""
    if after.id == before.id:
        return False, f"{entry.server}: its container was not replaced, so this proves nothing"
    status, body = request(url(after, entry.name), "GET")
    if status == 200 and body == entry.text:
        return True, (f"{entry.server}: the entry written before the replacement is still "
                      f"there, kept on {entry.kept_on.where}")
    if status == 404:
        return False, (f"{entry.server}: the entry written before the replacement is gone: it "
                       f"was kept on {entry.kept_on.where}; {entry.kept_on.gone}")
    answer = f"answered HTTP {status}" if status else f"got no answer ({body})"
    return False, f"{entry.server}: reading the entry back (GET {URL_PATH}{entry.name}) {answer}"


def delete(info: ContainerInfo, entry: Entry) -> None:
    request(url(info, entry.name), "DELETE")
