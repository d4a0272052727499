"""Custom checks of 11-state-outside: the guestbook's entries outlive a replacement of the whole
fleet (the check writes one on each server, deploys the desired image again, and reads each
one back), and they do because a named volume is mounted at the guestbook's own folder, not
over a folder that holds the image's files too. That something was deployed at all is a
`deployment` check."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lab.authoring import CheckContext, Container, Host, Mount, Verdict, failed, passed

ENTRIES = "/var/lib/guestbook/entries"  # where guestbook 1.0 keeps its entries
GUESTBOOK = "/var/lib/guestbook"  # the guestbook's own folder: its data, and nothing else
URL_PATH = "/entries/"  # where nginx serves them
HTTP_PORT = 80
NOTHING_DEPLOYED = ("nothing was deployed since the servers started, so there is no guestbook "
                    "of yours to test yet: `lab build v1`, then `lab deploy v1`")

Verdicts = list[Verdict]


@dataclass(frozen=True)
class Place:
    """Where a server keeps its entries, in words, and why an entry kept there can vanish."""

    where: str
    gone: str


@dataclass(frozen=True)
class Entry:
    """One entry the check writes: on which server, under which name, with which text."""

    server: str
    name: str
    text: str
    kept_on: Place  # where the server keeps it: its own disk, a volume


def entries_survive_replacement(ctx: CheckContext) -> Verdicts:
    """Write an entry on every server, replace every server with the desired image (as
    `lab deploy` does), then read each entry back from the server it was written to."""
    history = ctx.history()
    if history.desired is None or not history.since(ctx.started_at).find(result="succeeded"):
        return [failed(NOTHING_DEPLOYED)]
    before = running_servers(ctx)
    if isinstance(before, str):
        return [failed(before)]
    token = uuid.uuid4().hex[:8]
    written = []
    for host in ctx.hosts():
        entry = Entry(host.name, f"lab-check-{token}-{host.name}",
                      f"written on {host.name} by lab check {token}\n",
                      kept_on(host.info.mounts, ENTRIES))
        problem = put(host, entry)
        if problem:
            return [failed(problem)]
        written.append(entry)
    replaced = ctx.deploy(history.desired.image_id)
    if replaced:
        return [failed("deploying your image again, to replace every server, failed: "
                       f"{replaced}")]
    after = running_servers(ctx)
    if isinstance(after, str):
        return [failed(f"after the replacement, {after}")]
    verdicts = [read_back(ctx.host(entry.server), before[entry.server], after[entry.server],
                          entry) for entry in written]
    for entry in written:  # the guestbook is the visitors', not the check's
        ctx.host(entry.server).http(URL_PATH + entry.name, HTTP_PORT, method="DELETE")
    return verdicts


def running_servers(ctx: CheckContext) -> dict[str, Container] | str:
    """Each server's container as the engine has it now, or why one cannot be used."""
    found = {container.server: container for container in ctx.containers()
             if not container.standby}
    for server in ctx.servers:
        container = found.get(server)
        if container is None or not container.running:
            return (f"{server} is {'missing' if container is None else container.state}: "
                    "`lab reconcile` brings it back, or `lab deploy v1` replaces every server")
    return found


def kept_on(mounts: Sequence[Mount], path: str) -> Place:
    """Where a container keeps `path`: on a volume mounted over it, or on its own disk."""
    covering = [mount for mount in mounts
                if path == mount.destination
                or path.startswith(mount.destination.rstrip("/") + "/")]
    if not covering:
        return Place("its container's own disk",
                     "the disk went with the container, and the new one starts from the image")
    mount = max(covering, key=lambda item: len(item.destination))
    if mount.anonymous:
        return Place(f"an anonymous volume at {mount.destination}, made by a VOLUME line of "
                     "the Dockerfile",
                     "the lab removes a replaced container's anonymous volumes with it (as "
                     "`docker rm -v` does), and nothing knew the random name to mount it in "
                     "the new container, which got a new, empty one")
    if mount.type == "volume":
        return Place(f"the volume {mount.name} at {mount.destination}",
                     "the new container did not find it there")
    return Place(f"a {mount.type or 'mount'} at {mount.destination}",
                 "the new container did not find it there")


def put(host: Host, entry: Entry) -> str | None:
    """Write the entry as a visitor would; why that failed, or None."""
    answer = host.http(URL_PATH + entry.name, HTTP_PORT, method="PUT", body=entry.text.encode())
    if answer.status in (200, 201, 204):
        return None
    what = {0: f"got no answer ({answer.error})",
            404: "answered 404: is guestbook installed in your image?",
            405: "answered 405 (method not allowed): is guestbook installed in your image?"
            }.get(answer.status, f"answered HTTP {answer.status}: nginx could not write the "
                                 f"entry (is {ENTRIES} there, and writable by www-data?)")
    return f"{entry.server}: a visitor's entry (PUT {URL_PATH}{entry.name}) {what}"


def read_back(host: Host, before: Container, after: Container, entry: Entry) -> Verdict:
    """The entry, read from the server's new container, is the one written to the old."""
    if after.id == before.id:
        return failed(f"{entry.server}: its container was not replaced, so this proves nothing")
    answer = host.http(URL_PATH + entry.name, HTTP_PORT)
    if answer.status == 200 and answer.body == entry.text:
        return passed(f"{entry.server}: the entry written before the replacement is still "
                      f"there, kept on {entry.kept_on.where}")
    if answer.status == 404:
        return failed(f"{entry.server}: the entry written before the replacement is gone: it "
                      f"was kept on {entry.kept_on.where}; {entry.kept_on.gone}")
    said = f"answered HTTP {answer.status}" if answer.answered else \
        f"got no answer ({answer.error})"
    return failed(f"{entry.server}: reading the entry back (GET {URL_PATH}{entry.name}) {said}")


def volume_holds_the_guestbook(ctx: CheckContext) -> Verdicts:
    """On every server, the entries' folder is on a named volume mounted at the guestbook's
    own folder (or the entries' folder itself), not higher up, where the volume would hold
    and hide the image's own files too."""
    history = ctx.history()
    if history.desired is None or not history.since(ctx.started_at).find(result="succeeded"):
        return [failed(NOTHING_DEPLOYED)]
    return [mounted_where_it_writes(host.name, host.info.mounts) for host in ctx.hosts()]


def mounted_where_it_writes(server: str, mounts: Sequence[Mount]) -> Verdict:
    covering = [mount for mount in mounts
                if mount.destination == ENTRIES
                or ENTRIES.startswith(mount.destination.rstrip("/") + "/")]
    if not covering:
        return failed(f"{server}: nothing is mounted over {ENTRIES}, so the entries are "
                      "written to the container's own disk, which goes with the container: "
                      "mount a named volume where the guestbook writes, with `lab deploy v1 "
                      "--volume NAME:/PATH`")
    mount = max(covering, key=lambda item: len(item.destination))
    if mount.anonymous or mount.type != "volume":
        return failed(f"{server}: {ENTRIES} is on {kept_on(mounts, ENTRIES).where}, which no "
                      "later deployment mounts again: give it a name, with `lab deploy v1 "
                      f"--volume NAME:{mount.destination}`")
    if mount.destination.rstrip("/") not in (GUESTBOOK, ENTRIES):
        return failed(f"{server}: the volume {mount.name} is mounted at {mount.destination}, "
                      "over far more than the guestbook's data: the first mount copied the "
                      f"image's files under {mount.destination} into it, and from then on it "
                      "hides the image's own, so the next image's files there (dpkg's record "
                      "of its packages, for one) never show. Mount it at the folder the "
                      f"guestbook writes to, and no higher")
    return passed(f"{server}: {ENTRIES} is on the named volume {mount.name}, mounted at "
                  f"{mount.destination}, the guestbook's own folder")
