"""One local file copied to many servers at once over SFTP."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path

from lab.errors import LabError, UsageError
from lab.ssh.connections import explain, fabric, in_parallel, load_pkey
from lab.ssh.errors import SSHError
from lab.ssh.targets import RunResult, Target
from lab.sshlib import NETWORK_ERRORS, paramiko


def put(
    targets: Sequence[Target],
    local_path: Path | str,
    remote_path: str,
    mode: int | None = None,
    *,
    key: Path,
) -> list[RunResult]:
    """Copy one local file to `remote_path` on every target at once; `mode` like 0o644."""
    local = Path(local_path)
    if not local.is_file():
        raise UsageError(f"cannot copy {local}: no such file", "Check the path")
    pkey = load_pkey(key)
    return in_parallel(targets, lambda target: _put_one(target, local, remote_path, mode, pkey))


def _put_one(
    target: Target, local: Path, remote: str, mode: int | None, pkey: paramiko.PKey
) -> RunResult:
    try:
        conn = fabric(target, pkey)
    except SSHError as error:
        return RunResult.failed(target.name, error)
    try:
        written = conn.put(str(local), remote=remote)
        if mode is not None:  # the file written, also when `remote` names a folder
            conn.sftp().chmod(written.remote, mode)
    except FileNotFoundError:
        return RunResult.failed(target.name, _missing_parent(target, remote), exit_code=1)
    except PermissionError:
        return RunResult.failed(
            target.name, LabError(f"{target.name}: permission denied writing {remote}"), 1
        )
    except NETWORK_ERRORS as exc:
        return RunResult.failed(target.name, explain(target, exc))
    finally:
        conn.close()
    return RunResult(target.name, 0)


def _missing_parent(target: Target, remote: str) -> LabError:
    parent = posixpath.dirname(remote) or "."
    return UsageError(
        f"{target.name}: cannot copy to {remote}: the directory {parent} does not exist there",
        f"Create it first, e.g. with `mkdir -p {parent}`",
    )
