"""`lab doctor`: each thing the lab needs, checked, with a remedy beside every failure."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from lab.docker import containers, engine
from lab.errors import LabError
from lab.images import root
from lab.settings import Settings

MIN_API_VERSION = (1, 41)  # Docker Engine 20.10, the oldest engine the lab is tested on
MIN_FREE_GB = 5.0


class Status(str, Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Row:
    name: str
    status: Status
    detail: str
    remedy: str = ""


def run(settings: Settings) -> list[Row]:
    """Every row; once the engine is unreachable, the rows that need it say so instead."""
    engine = _engine_row()
    rows = [engine]
    if engine.status is Status.FAIL:
        rows += [Row(name, Status.FAIL, "needs the engine", engine.remedy)
                 for name in ("API version", "Debian base image", "loopback ports")]
    else:
        rows += [_api_row(), _base_row(), _ports_row()]
    rows += [_disk_row(settings.home), _key_row(settings.private_key)]
    return rows


def passed(rows: list[Row]) -> bool:
    return all(row.status is not Status.FAIL for row in rows)


def _guard(name: str, check: Callable[[], Row]) -> Row:
    try:
        return check()
    except LabError as failure:
        return Row(name, Status.FAIL, failure.message, failure.remedy)
    except OSError as failure:  # e.g. LAB_HOME is not a folder this user can write
        return Row(name, Status.FAIL, f"{failure.filename or ''} {failure.strerror}".strip(),
                   "Set LAB_HOME to a folder you can write.")


def _engine_row() -> Row:
    def check() -> Row:
        info = engine.info()
        return Row("Docker engine", Status.OK,
                   f"{info.version} on {info.os} ({info.arch}) at {engine.engine_address()}")

    return _guard("Docker engine", check)


def _api_row() -> Row:
    def check() -> Row:
        version = engine.info().api_version
        numbers = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
        if numbers >= MIN_API_VERSION:
            return Row("API version", Status.OK, version)
        wanted = ".".join(map(str, MIN_API_VERSION))
        return Row("API version", Status.FAIL, f"{version}, older than {wanted}",
                   "Upgrade Docker to 20.10 or newer.")

    return _guard("API version", check)


def _base_row() -> Row:
    def check() -> Row:
        found = root.local_root()
        if found:
            return Row("Debian base image", Status.OK, f"{found} present")
        blocker = root.bootstrap_blocker()
        if blocker is None:
            return Row("Debian base image", Status.OK,
                       "missing; `lab images build` pulls it or bootstraps it with debootstrap")
        return Row("Debian base image", Status.WARN,
                   f"missing; a registry pull is the only way here ({blocker})",
                   "Without a registry: `lab images load FILE` with a classroom bundle.")

    return _guard("Debian base image", check)


def _ports_row() -> Row:
    def check() -> Row:
        image = root.local_root()
        if image is None:
            return Row("loopback ports", Status.WARN, "not checked: no image to try it with",
                       "Run `lab images build`, then `lab doctor` again.")
        with containers.probe_container(image, 80) as bindings:
            if bindings and all(b.host_ip == "127.0.0.1" and b.host_port for b in bindings):
                return Row("loopback ports", Status.OK,
                           f"published 80/tcp on 127.0.0.1:{bindings[0].host_port}")
        return Row("loopback ports", Status.FAIL, f"the engine published {bindings}",
                   "Check the engine's port publishing (`docker run -p 127.0.0.1::80`).")

    return _guard("loopback ports", check)


def _disk_row(home: Path) -> Row:
    existing = next(path for path in (home, *home.parents) if path.exists())
    free_gb = shutil.disk_usage(existing).free / 1e9
    detail = f"{free_gb:.1f} GB free at {existing}"
    if free_gb >= MIN_FREE_GB:
        return Row("disk space", Status.OK, detail)
    return Row("disk space", Status.FAIL, detail,
               f"Free at least {MIN_FREE_GB:.0f} GB (`lab images prune`, `docker system df`).")


def _key_row(private_key: Path) -> Row:
    def check() -> Row:
        from lab import ssh  # loads paramiko (about 0.1 s): only this row needs it

        existed = private_key.exists()
        ssh.ensure_key(private_key)
        detail = f"{private_key} (ed25519, 0600)"
        return Row("SSH key", Status.OK, detail if existed else f"created {detail}")

    return _guard("SSH key", check)
