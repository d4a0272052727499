"""Server commands over SSH: an interactive shell, a command on many servers, a file copy."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli import invocation
from lab.errors import UsageError

# SSH (fabric, paramiko), the fleet and rich (through lab.console) are imported by the
# commands that use them, so that `lab --help` stays fast.
if TYPE_CHECKING:
    from lab.ssh import RunResult, Target

AllOption = Annotated[bool, typer.Option("--all", "-a", help="Every server of the exercise.")]
ServerOption = Annotated[list[str] | None, typer.Option(
    "--server", "-s", metavar="SERVER", help="A server to use; repeat for more.")]


def _targets(everything: bool, chosen: list[str] | None) -> list[Target]:
    from lab import fleet, learner

    if not everything and not chosen:
        raise UsageError("say which servers", "Add --all, or -s SERVER (repeat for more).")
    _, infos = learner.running(invocation.settings())
    return fleet.targets(fleet.pick(infos, None if everything else chosen))


def _summarise(results: list[RunResult]) -> None:
    from lab import console

    console.summary([(result.server, result.ok, result.line()) for result in results])
    if not all(result.ok for result in results):
        raise typer.Exit(1)


def ssh(server: Annotated[str, typer.Argument(help="The server, e.g. web1.")]) -> None:
    """Open an interactive shell on a server (no ssh program needed)."""
    from lab import ssh as remote

    (target,) = _targets(False, [server])
    raise typer.Exit(remote.interactive_shell(target, key=invocation.settings().private_key))


def run(
    command: Annotated[list[str], typer.Argument(
        help="The command, after `--`: lab run --all -- apt-get install -y tree")],
    everything: AllOption = False,
    servers: ServerOption = None,
) -> None:
    """Run a command on servers in parallel; each server's output appears under its name."""
    from lab import console
    from lab import ssh as remote

    targets = _targets(everything, servers)
    results = remote.run(targets, command_line(command), on_output=console.server_line,
                         key=invocation.settings().private_key)
    if console.reader_gone():
        raise BrokenPipeError  # `lab run ... | head`: main() ends quietly
    _summarise(results)


def command_line(words: list[str]) -> str:
    """One argument is a shell command line as typed (pipes, `&&`); several are quoted
    word by word, so `sh -c 'echo "hi" >> f'` reaches the server as the learner wrote it
    (unlike ssh, which joins its arguments with spaces and loses the quoting)."""
    return words[0] if len(words) == 1 else shlex.join(words)


def put(
    local: Annotated[str, typer.Argument(help="A file in your workspace (or an absolute path).")],
    remote_path: Annotated[str, typer.Argument(metavar="REMOTE", help="Where it goes.")],
    everything: AllOption = False,
    servers: ServerOption = None,
    mode: Annotated[str | None, typer.Option(help="File mode on the servers, e.g. 0644.")] = None,
) -> None:
    """Copy a file from your workspace to servers, in parallel."""
    from lab import learner
    from lab import ssh as remote
    from lab.exercises.workspace import local_file

    settings = invocation.settings()
    targets = _targets(everything, servers)
    source = local_file(learner.current(settings), settings, local)
    results = remote.put(targets, source, remote_path, _mode(mode), key=settings.private_key)
    _summarise(results)


def _mode(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 8)
    except ValueError:
        raise UsageError(f"--mode {text!r} is not an octal file mode",
                         "Write it like 0644 or 755.") from None
