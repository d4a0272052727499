"""11-state-outside's checks on a fake guestbook: something deployed since the start, and
visitors' entries that outlive a replacement of every server, or vanish with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lab.checks.context import CheckContext
from lab.checks.executor import HttpResult, Mount
from lab.checks.records import Deployment, Desired, History
from lab.checks.views import Container
from tests.unit.checks.fakes import FakeExecutor, judge, server_info
from tests.unit.exercises.checks.helpers import exercise_context

EXERCISE = "11-state-outside"
WEBS = ("web1", "web2", "web3")
START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
IMAGE = "sha256:" + "1" * 64
NAMED = Mount("volume", "guestbook", "/var/lib/guestbook")
ANONYMOUS = Mount("volume", "f" * 64, "/var/lib/guestbook")


@dataclass
class Guestbook(FakeExecutor):
    """Three servers whose entries live on their container's disk, or on `mount`."""

    mount: Mount | None = None
    generation: int = 1
    disks: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.replace_all()
        self.generation = 1

    def replace_all(self) -> None:
        self.generation += 1
        mounts = (self.mount,) if self.mount else ()
        self.infos = {server: server_info(server, container_id=self.container(server),
                                          mounts=mounts) for server in WEBS}

    def container(self, server: str) -> str:
        return f"{server}-{self.generation}"

    def store(self, server: str) -> dict[str, str]:
        kept_by = "volume" if self.mount and self.mount.name == "guestbook" \
            else self.container(server)
        return self.disks.setdefault(kept_by + server, {})

    def http(self, server: str, container_port: int, path: str, method: str = "GET",
             body: bytes | None = None) -> HttpResult:
        store = self.store(server)
        if method == "PUT":
            store[path] = (body or b"").decode()
            return HttpResult(201)
        if method == "DELETE":
            return HttpResult(204 if store.pop(path, None) is not None else 404)
        return HttpResult(200, store[path]) if path in store else HttpResult(404, "not found")


def context(guestbook: Guestbook, deployed: bool = True) -> CheckContext:
    deployments = (Deployment(1, "deploy", "lab-learner/app:v1", IMAGE, "one-at-a-time",
                              START + timedelta(minutes=1), START + timedelta(minutes=2),
                              "succeeded"),) if deployed else ()
    volumes = {"guestbook": "/var/lib/guestbook"} if guestbook.mount == NAMED else {}
    history = History(deployments, desired=Desired("lab-learner/app:v1", IMAGE, WEBS, volumes)
                      if deployed else None)

    def containers() -> list[Container]:
        return [Container(server, f"lab-learner-11-{server}", guestbook.container(server), IMAGE,
                          "running", START) for server in WEBS]

    def deploy(image_id: str) -> str | None:
        guestbook.replace_all()
        return None

    return exercise_context(EXERCISE, guestbook, marks={"start": START},
                            history=lambda: history, containers=containers, deploy=deploy)


def test_entries_on_a_named_volume_survive_and_are_cleaned_up() -> None:
    guestbook = Guestbook(mount=NAMED)
    ctx = context(guestbook)
    assert judge(ctx, 0) == [
        (True, "#1 (lab-learner/app:v1, 111111111111): deploy (one-at-a-time), succeeded; the "
               "fleet runs lab-learner/app:v1 with the volume guestbook:/var/lib/guestbook")]
    assert judge(ctx, 1) == [
        (True, f"{server}: the entry written before the replacement is still there, kept on "
               "the volume guestbook at /var/lib/guestbook") for server in WEBS]
    assert not any(guestbook.disks.values()), "the check's entries are deleted afterwards"


def test_entries_on_the_container_s_disk_vanish_with_it() -> None:
    ctx = context(Guestbook())
    assert judge(ctx, 0) == [
        (True, "#1 (lab-learner/app:v1, 111111111111): deploy (one-at-a-time), succeeded")]
    [web1, *_] = judge(ctx, 1)
    assert web1 == (False, "web1: the entry written before the replacement is gone: it was "
                           "kept on its container's own disk; the disk went with the "
                           "container, and the new one starts from the image")


def test_an_anonymous_volume_is_named_as_the_dockerfile_s_volume_line() -> None:
    [web1, *_] = judge(context(Guestbook(mount=ANONYMOUS)), 1)
    assert not web1[0]
    assert "kept on an anonymous volume at /var/lib/guestbook, made by a VOLUME line of the " \
           "Dockerfile; the lab removes a replaced container's anonymous volumes with it (as " \
           "`docker rm -v` does)" in web1[1]
    [web1, *_] = judge(context(Guestbook(mount=ANONYMOUS)), 2)
    assert web1 == (False, "web1: /var/lib/guestbook/entries is on an anonymous volume at "
                           "/var/lib/guestbook, made by a VOLUME line of the Dockerfile, which "
                           "no later deployment mounts again: give it a name, with `lab deploy "
                           "v1 --volume NAME:/var/lib/guestbook`")


def test_a_named_volume_at_the_guestbook_s_folder_or_its_entries_is_in_its_place() -> None:
    assert judge(context(Guestbook(mount=NAMED)), 2) == [
        (True, f"{server}: /var/lib/guestbook/entries is on the named volume guestbook, "
               "mounted at /var/lib/guestbook, the guestbook's own folder") for server in WEBS]
    entries = Mount("volume", "guestbook", "/var/lib/guestbook/entries")
    assert all(ok for ok, _ in judge(context(Guestbook(mount=entries)), 2))


def test_a_volume_over_all_of_var_lib_keeps_the_entries_and_still_fails() -> None:
    broad = Guestbook(mount=Mount("volume", "guestbook", "/var/lib"))
    assert all(ok for ok, _ in judge(context(broad), 1)), "the entries do survive"
    [web1, *_] = judge(context(broad), 2)
    assert web1 == (False, "web1: the volume guestbook is mounted at /var/lib, over far more "
                           "than the guestbook's data: the first mount copied the image's files "
                           "under /var/lib into it, and from then on it hides the image's own, "
                           "so the next image's files there (dpkg's record of its packages, for "
                           "one) never show. Mount it at the folder the guestbook writes to, "
                           "and no higher")


def test_without_a_volume_the_place_check_says_to_mount_one() -> None:
    [web1, *_] = judge(context(Guestbook()), 2)
    assert web1 == (False, "web1: nothing is mounted over /var/lib/guestbook/entries, so the "
                           "entries are written to the container's own disk, which goes with "
                           "the container: mount a named volume where the guestbook writes, "
                           "with `lab deploy v1 --volume NAME:/PATH`")


def test_before_a_deployment_both_goals_say_what_to_do() -> None:
    ctx = context(Guestbook(mount=NAMED), deployed=False)
    assert judge(ctx, 0) == [(False, "no successful deployment since the servers started: "
                                     "`lab build v1`, then `lab deploy v1`")]
    [(ok, reason)] = judge(ctx, 1)
    assert not ok and reason.endswith("`lab build v1`, then `lab deploy v1`")
