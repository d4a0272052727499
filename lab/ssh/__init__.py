"""SSH to the lab's servers: the installation's key, readiness, parallel commands and copies,
interactive shells.

Importing this package loads paramiko (about 0.1 s, through lab.sshlib): import it inside
the commands that connect. Where a server's port is reached (directly or through a tunnel)
is lab.reach's business; this package only uses it.
"""

from __future__ import annotations

from lab.ssh.commands import LineWriter, OnOutput, run
from lab.ssh.connections import CONNECT_TIMEOUT, MAX_PARALLEL, USER, explain
from lab.ssh.copies import put
from lab.ssh.errors import AuthError, ConnectError, SSHError, SSHTimeoutError
from lab.ssh.keys import KEY_COMMENT, ensure_key, public_key
from lab.ssh.readiness import wait_until_ready
from lab.ssh.shell import interactive_shell
from lab.ssh.targets import CONNECT_FAILED, TIMED_OUT, RunResult, Target

__all__ = [
    "CONNECT_FAILED",
    "CONNECT_TIMEOUT",
    "KEY_COMMENT",
    "MAX_PARALLEL",
    "TIMED_OUT",
    "USER",
    "AuthError",
    "ConnectError",
    "LineWriter",
    "OnOutput",
    "RunResult",
    "SSHError",
    "SSHTimeoutError",
    "Target",
    "ensure_key",
    "explain",
    "interactive_shell",
    "public_key",
    "put",
    "run",
    "wait_until_ready",
]
