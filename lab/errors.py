"""LabError and its kinds: every failure a user can cause, as one line and a remedy."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes the `lab` command returns; documented in the troubleshooting page."""

    OK = 0
    FAILED = 1  # the command ran and found something wrong (a check, a doctor row)
    ENGINE = 2  # the Docker engine cannot be reached or refused the request
    USAGE = 3  # bad input: an unknown name, a malformed file, a missing argument
    BUILD = 4  # an image failed to build or could not be obtained
    STATE = 5  # the lab's state does not allow this now (nothing started, ...)


class LabError(Exception):
    """An error meant for the user: `message` says what happened, `remedy` what to do."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def line(self) -> str:
        """The single line shown to the user, whatever the causes it quotes contain."""
        text = f"{self.message.rstrip('.')}. {self.remedy}" if self.remedy else self.message
        return " ".join(text.split())


class EngineError(LabError):
    """The Docker engine is unreachable, or answered with an error."""

    exit_code = ExitCode.ENGINE


class UsageError(LabError):
    """The user asked for something that does not exist or is malformed."""

    exit_code = ExitCode.USAGE


class BuildError(LabError):
    """An image could not be built, pulled, bootstrapped or loaded."""

    exit_code = ExitCode.BUILD


class StateError(LabError):
    """The lab is not in a state where this command makes sense."""

    exit_code = ExitCode.STATE
