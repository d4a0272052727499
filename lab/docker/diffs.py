"""What a container changed since its image (`docker diff`), and commands run in a pristine
throwaway container of an image to learn what that image holds."""

from __future__ import annotations

from dataclasses import dataclass

from lab.docker.containers import ExecResult, remove
from lab.docker.engine import api, engine_errors
from lab.docker.labels import for_container

# The engine's change kinds, as `docker diff` prints them.
KINDS = {0: "C", 1: "A", 2: "D"}
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Change:
    """One entry of `docker diff`: A added, C changed, D deleted, and the path."""

    kind: str
    path: str


def changes(container_id: str) -> list[Change]:
    """The container's file system changes against its image, in the engine's order."""
    with engine_errors():
        found = api().diff(container_id) or []
    return [Change(KINDS.get(int(item["Kind"]), "C"), str(item["Path"])) for item in found]


def run_in_image(image: str, argv: list[str], labels: dict[str, str]) -> ExecResult:
    """Run `argv` instead of the entrypoint in a throwaway container of `image`: no network,
    removed afterwards. Images never change, so what it prints describes the image."""
    low = api(timeout=RUN_TIMEOUT)
    with engine_errors():
        created = low.create_container(image, entrypoint=argv[:1], command=argv[1:],
                                       labels=for_container(labels),
                                       network_disabled=True)
        try:
            low.start(created["Id"])
            exit_code = low.wait(created["Id"], timeout=RUN_TIMEOUT).get("StatusCode", -1)
            stdout = low.logs(created["Id"], stdout=True, stderr=False)
            stderr = low.logs(created["Id"], stdout=False, stderr=True)
        finally:
            remove(created["Id"])
    return ExecResult(int(exit_code), stdout.decode(errors="replace"),
                      stderr.decode(errors="replace"))
