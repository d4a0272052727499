"""Files into and out of containers as tar archives, and throwaway containers that make files."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lab.docker.containers import remove
from lab.docker.engine import api, engine_errors
from lab.docker.labels import for_container

# Every packed file gets this time, so that the same files always make the same archive.
FIXED_MTIME = 1_700_000_000
ONE_OFF_TIMEOUT = 300


@dataclass(frozen=True)
class Member:
    """One file (or folder, when `data` is None) to put in an archive."""

    path: str  # relative POSIX path
    mode: int
    data: bytes | None = None


def pack(members: Iterable[Member]) -> bytes:
    """A tar of the members, owned by root, with a fixed time: byte-for-byte reproducible."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for member in members:
            info = tarfile.TarInfo(member.path)
            info.mode, info.mtime, info.uid, info.gid = member.mode, FIXED_MTIME, 0, 0
            info.uname = info.gname = "root"
            if member.data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(member.data)
                archive.addfile(info, io.BytesIO(member.data))
    return buffer.getvalue()


def unpack(data: bytes) -> dict[str, bytes]:
    """The regular files of a tar, by their path inside it."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for info in archive.getmembers():
            extracted = archive.extractfile(info) if info.isfile() else None
            if extracted is not None:
                files[info.name] = extracted.read()
    return files


def put_archive(container_id: str, path: str, data: bytes) -> None:
    """Extract a tar into the container at `path` (a folder that exists there)."""
    with engine_errors():
        api().put_archive(container_id, path, data)


def get_archive(container_id: str, path: str) -> bytes:
    """A tar of `path` in the container; a folder comes with its own name as the top entry."""
    with engine_errors():
        stream, _ = api().get_archive(container_id, path)
        return b"".join(stream)


@dataclass(frozen=True)
class OneOff:
    """A throwaway container: files in, a shell script run without network, files out."""

    image: str
    script: str
    labels: dict[str, str]
    inputs: bytes  # a tar extracted at `input_path` before the script starts
    input_path: str = "/tmp"
    output_path: str = "/tmp/out"
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OneOffResult:
    exit_code: int
    logs: str
    outputs: dict[str, bytes]  # files under output_path, by path relative to it


def run_one_off(job: OneOff) -> OneOffResult:
    """Run the job's container to its end and collect its outputs; it is always removed."""
    low = api()
    with engine_errors():
        created = low.create_container(
            job.image, entrypoint=["/bin/sh", "-c", job.script],
            labels=for_container(job.labels),
            environment=job.environment, network_disabled=True,
            host_config=low.create_host_config(network_mode="none"),
        )
    container_id = str(created["Id"])
    try:
        with engine_errors():
            low.put_archive(container_id, job.input_path, job.inputs)
            low.start(container_id)
            exit_code = int(low.wait(container_id, timeout=ONE_OFF_TIMEOUT)["StatusCode"])
            logs = low.logs(container_id, stdout=True, stderr=True).decode(errors="replace")
        outputs = _outputs(container_id, job.output_path) if exit_code == 0 else {}
        return OneOffResult(exit_code, logs, outputs)
    finally:
        remove(container_id)


def _outputs(container_id: str, path: str) -> dict[str, bytes]:
    top = PurePosixPath(path).name
    return {str(PurePosixPath(name).relative_to(top)): data
            for name, data in unpack(get_archive(container_id, path)).items()}
