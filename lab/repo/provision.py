"""What the lab does to servers before the learner arrives: installs from the repository as
it is at each step, then the hand edits and holds the exercise declares."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from lab.docker.containers import exec_run
from lab.errors import UsageError
from lab.repo import publish
from lab.repo.specs import FaultSpec, HandEditSpec, HoldSpec, PackageRef, ProvisionStep

Report = Callable[[str], None]
Filenames = Mapping[PackageRef, str]
Expand = Callable[[Sequence[str] | None], list[str]]  # server or group names -> servers
PARALLEL = 16
# Quiet, never asking: a provisioning step has nobody to answer a question.
INSTALL = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
           "apt-get install -y -qq -o Dpkg::Use-Pty=0 {packages} >/dev/null")


@dataclass(frozen=True)
class ServerCommand:
    """One shell command to run as root on some servers, and how to name it if it fails."""

    command: str
    servers: list[str]
    what: str  # e.g. "provision step 1 (apt-get install webapp=1.0)"
    remedy: str


def run_steps(steps: Sequence[ProvisionStep], repo_id: str, containers: Mapping[str, str],
              expand: Expand, filenames: Filenames, report: Report) -> None:
    """Each step in order: install on servers, or publish/withdraw between installs."""
    for number, step in enumerate(steps, start=1):
        if step.install:
            packages = shlex.join(step.install)
            report(f"provisioning: apt-get install {packages} on "
                   f"{', '.join(expand(step.servers))}")
            run_everywhere(ServerCommand(
                INSTALL.format(packages=packages), expand(step.servers),
                f"provision step {number} (apt-get install {packages})",
                "Is every version published at that step? Fix `provision` in exercise.yaml.",
            ), containers)
        elif step.publish:
            publish.publish(repo_id, [filenames[ref] for ref in step.publish])
        elif step.withdraw:
            publish.withdraw(repo_id, [filenames[ref] for ref in step.withdraw])


def server_faults(faults: Sequence[FaultSpec], containers: Mapping[str, str],
                  expand: Expand, report: Report) -> None:
    """The hand edits and holds, in the order exercise.yaml lists them."""
    for fault in faults:
        if isinstance(fault, HandEditSpec):
            # Not its `describe`: finding what changed is often the learner's exercise.
            report(f"hand edit on {', '.join(expand(fault.servers))}")
            run_everywhere(ServerCommand(fault.run, expand(fault.servers),
                                         f"hand-edit {fault.describe!r}",
                                         "Fix its `run` in exercise.yaml."), containers)
        elif isinstance(fault, HoldSpec):
            run_everywhere(ServerCommand(f"apt-mark hold {shlex.quote(fault.package)}",
                                         expand(fault.servers), f"hold {fault.package}",
                                         "Install the package first (a `provision` step)."),
                           containers)


def run_everywhere(job: ServerCommand, containers: Mapping[str, str]) -> None:
    """The command on every server of the job at once; the first failure is a UsageError."""
    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="provision") as pool:
        results = list(pool.map(lambda name: exec_run(containers[name], job.command),
                                job.servers))
    for name, result in zip(job.servers, results, strict=True):
        if result.exit_code != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise UsageError(f"{job.what} failed on {name}: "
                             f"{lines[-1] if lines else f'exit code {result.exit_code}'}",
                             job.remedy)
