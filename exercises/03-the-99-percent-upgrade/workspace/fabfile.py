"""Upgrade webapp to 2.0 on every server of the lab, one server at a time, with Fabric.

    python fabfile.py        (or, with Fabric's own command:  fab upgrade)

Run it with the Python the lab is installed in: it has Fabric. The script asks the lab where
the servers are (`lab status --json`: the SSH user and key, and each server's SSH port on
127.0.0.1), then logs in to each server in turn and runs apt-get there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from fabric import Config, Connection, task
from invoke.exceptions import Exit, UnexpectedExit

VERSION = "2.0"
UPGRADE = f"apt-get update && apt-get install -y webapp={VERSION}"
# Like many real rollout scripts, stop at the first server that fails, so that one bad
# release cannot break the whole fleet. False: carry on with the next server.
STOP_ON_FAILURE = True


def fleet() -> tuple[dict[str, str], list[tuple[str, int]]]:
    """The lab's SSH settings, and each server's name and SSH port, web1 first."""
    status = subprocess.run([sys.executable, "-m", "lab", "status", "--json"],
                            capture_output=True, text=True)
    if status.returncode != 0:
        raise SystemExit(status.stderr.strip() or "`lab status --json` failed")
    document = json.loads(status.stdout)
    servers = [(server["name"], int(server["ports"]["22/tcp"].rsplit(":", 1)[1]))
               for server in document["servers"] if server["role"] == "server"]
    servers.sort(key=lambda server: [int(part) if part.isdigit() else part
                                     for part in re.split(r"(\d+)", server[0])])
    return document["ssh"], servers


def connect(ssh: dict[str, str], port: int) -> Connection:
    """A connection with the lab's key only: nothing from ~/.ssh, no agent."""
    return Connection(
        ssh["host"], user=ssh["user"], port=port,
        config=Config(overrides={"load_ssh_configs": False}),
        connect_kwargs={"key_filename": ssh["key"], "look_for_keys": False,
                        "allow_agent": False},
    )


def rollout() -> int:
    """Upgrade the servers one after the other. Returns the exit code: 0 when every server
    was upgraded."""
    ssh, servers = fleet()
    failed = 0
    for number, (name, port) in enumerate(servers, start=1):
        print(f"==> [{number}/{len(servers)}] {name}: {UPGRADE}", flush=True)
        if upgrade(ssh, name, port):
            continue
        failed += 1
        if STOP_ON_FAILURE:
            print(f"==> stopping the rollout at {name}", flush=True)
            return 1
    if failed:
        print(f"==> finished, but {failed} server(s) failed")
        return 1
    print(f"==> done: every server runs webapp {VERSION}")
    return 0


def upgrade(ssh: dict[str, str], name: str, port: int) -> bool:
    """Upgrade one server; on failure print what apt-get said. True when it worked."""
    with connect(ssh, port) as server:
        try:
            server.run(UPGRADE, hide=True)
        except UnexpectedExit as failure:
            print(failure.result.stdout + failure.result.stderr, end="")
            print(f"==> {name}: FAILED (exit code {failure.result.exited})", flush=True)
            return False
        version = server.run("dpkg-query -W -f='${Version}' webapp", hide=True).stdout
    print(f"==> {name}: webapp {version}", flush=True)
    return True


@task(name="upgrade")
def upgrade_task(c: object) -> None:
    """Upgrade webapp on every server, one at a time (`fab upgrade`)."""
    code = rollout()
    if code:
        raise Exit(code=code)


if __name__ == "__main__":
    sys.exit(rollout())
