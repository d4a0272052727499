"""The one module that imports the SSH libraries (paramiko, Fabric, invoke); lab.ssh and
lab.reach take what they need from here.

Importing it costs about 0.1 s, so the modules that use it are imported only by the commands
that connect, never by `lab --help`.
"""

from __future__ import annotations

import logging

import paramiko
from fabric import Config, Connection
from invoke.exceptions import CommandTimedOut

# What a connection, a login or a channel raises when the network or the peer fails.
NETWORK_ERRORS = (paramiko.SSHException, OSError, EOFError)

# paramiko logs every failed banner read at ERROR level, with a traceback. Polling a booting
# server fails many times on purpose, and without any handler Python would print those
# records on stderr. A NullHandler silences that; a CLI that configures logging (--verbose)
# still receives them through propagation.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

__all__ = [
    "NETWORK_ERRORS",
    "CommandTimedOut",
    "Config",
    "Connection",
    "paramiko",
]
