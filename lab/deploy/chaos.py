"""`lab chaos`: Chaos Monkey for the fleet. Kill servers, stop them, or change one by hand;
seeded, so the same seed picks the same victims, and recorded, so checks can see it."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lab import learner
from lab.deploy.state import Event, StateStore, utc_now
from lab.docker import containers
from lab.errors import StateError, UsageError
from lab.fleet import members
from lab.settings import Settings

Report = Callable[[str], None]
FAULTS = ("kill", "stop", "edit")
# A hand edit as people make them: a hotfix flag and a patched page, straight on the server.
EDIT_COMMAND = (
    "mkdir -p /etc/webapp && echo 'hotfix: made by hand on this server' > /etc/webapp/hotfix"
    " && sed -i 's|</body>|<p>hotfixed by hand</p></body>|' /var/www/html/index.html"
)


@dataclass(frozen=True)
class Plan:
    """The faults to cause: which servers to kill, to stop and to edit."""

    kill: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    edit: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.kill or self.stop or self.edit)


def choose(servers: Sequence[str], seed: int, *, kill: int = 0, stop: int = 0,
           edit: Sequence[str] = (), random_fault: bool = False) -> Plan:
    """The victims, the same for the same seed and servers (`servers` in any order)."""
    pool = sorted(servers)
    unknown = [name for name in edit if name not in pool]
    if unknown:
        raise UsageError(f"unknown server {unknown[0]!r}",
                         f"This fleet's servers are {', '.join(pool) or 'none'}.")
    chooser = random.Random(seed)
    if random_fault:
        fault = chooser.choice(FAULTS)
        return Plan(**{fault: (chooser.choice(pool),)}) if pool else Plan()
    if kill + stop > len(pool):
        raise UsageError(f"cannot take down {kill + stop} servers: the fleet has {len(pool)}",
                         "Ask for fewer.")
    victims = chooser.sample(pool, kill + stop)
    return Plan(kill=tuple(sorted(victims[:kill])), stop=tuple(sorted(victims[kill:])),
                edit=tuple(edit))


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 100_000)


def unleash(settings: Settings, plan: Plan, seed: int, report: Report) -> int:
    """Cause the planned faults on the current exercise's servers; returns how many."""
    exercise = learner.current(settings)
    by_name = {members.server_name(info): info
               for info in members.servers(settings, exercise.id) if info.running}
    events = []
    for kind, names in (("kill", plan.kill), ("stop", plan.stop), ("edit", plan.edit)):
        for name in names:
            info = by_name.get(name)
            if info is None:
                raise StateError(f"{name} is not running, so chaos cannot hit it",
                                 "`lab status` shows the servers; `lab reconcile` repairs them.")
            _hit(kind, info.id)
            report(f"{name}: {_said(kind)} (container {info.id[:12]})")
            events.append(Event(at=utc_now(), kind=kind, server=name, container_id=info.id,
                                detail=f"seed {seed}"))
    StateStore.of(settings, exercise.id).update(lambda state: state.with_events(*events))
    return len(events)


def _hit(kind: str, container_id: str) -> None:
    if kind == "kill":
        containers.remove(container_id)
    elif kind == "stop":
        containers.stop(container_id)
    else:
        result = containers.exec_run(container_id, EDIT_COMMAND)
        if result.exit_code != 0:
            raise StateError(f"the hand edit failed: {result.stderr.strip()[:200]}")


def _said(kind: str) -> str:
    return {"kill": "killed and removed, as a terminated instance",
            "stop": "stopped, as a crashed machine",
            "edit": "changed by hand: /etc/webapp/hotfix written, its page patched"}[kind]
