"""The ways SSH to a server fails, each a StateError with a remedy for the user."""

from __future__ import annotations

from lab.errors import StateError

NOT_RUNNING = "Is the server running? Try `lab status`"


class SSHError(StateError):
    """A server could not be reached or used over SSH."""


class ConnectError(SSHError):
    """Nothing answered on the server's published port, or it hung up before SSH began."""


class AuthError(SSHError):
    """The server answered but refused the lab's key."""


class SSHTimeoutError(SSHError):
    """The server did not answer in time."""
