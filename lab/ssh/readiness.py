"""Waiting until servers accept the lab's key: polled logins while they boot."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from lab.errors import StateError
from lab.ssh.connections import client, in_parallel, load_pkey, login
from lab.ssh.errors import NOT_RUNNING, AuthError, SSHError, SSHTimeoutError
from lab.ssh.targets import Target
from lab.sshlib import paramiko

POLL_INTERVAL = 0.05  # seconds between two login attempts while a server boots
ATTEMPT_TIMEOUT = 2.0  # seconds one login attempt may take while polling
AUTH_GRACE = 2.0  # seconds a server may keep refusing the key before polling gives up on it


def wait_until_ready(targets: Sequence[Target], timeout: float, *, key: Path) -> None:
    """Return once every target accepts a key login; StateError names those that did not in time."""
    pkey = load_pkey(key)
    deadline = time.monotonic() + timeout
    failures = in_parallel(targets, lambda target: _poll(target, pkey, deadline))
    late = [
        (target, error)
        for target, error in zip(targets, failures, strict=True)
        if error is not None
    ]
    if late:
        names = ", ".join(target.name for target, _ in late)
        raise StateError(
            f"{names} not ready within {timeout:g} s (last error: {late[0][1].message})",
            late[0][1].remedy,
        )


def _poll(target: Target, pkey: paramiko.PKey, deadline: float) -> SSHError | None:
    """None once a login succeeds; the last error if the deadline passes first."""
    last: SSHError = SSHTimeoutError(f"{target.name}: not tried before the deadline", NOT_RUNNING)
    refused_since: float | None = None
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            _try_login(target, pkey, min(ATTEMPT_TIMEOUT, remaining))
            return None
        except SSHError as error:
            last = error
        # A refused key may be an entrypoint still writing authorized_keys; for longer, it is final.
        if isinstance(last, AuthError):
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since > AUTH_GRACE:
                return last
        time.sleep(POLL_INTERVAL)
    return last


def _try_login(target: Target, pkey: paramiko.PKey, timeout: float) -> None:
    """One authenticated SSH session, closed at once."""
    session = client()
    try:
        login(session, target, pkey, timeout)
    finally:
        session.close()
