"""The one module that imports docker-py (and requests, which it is built on); the others
take what they need from here, through `lab.docker.engine.sdk()` when they first need it.

docker-py imports paramiko (about 100 ms) only to offer ssh:// engines, and every `lab`
command would pay for it. Unless DOCKER_HOST is an ssh:// URL, paramiko is hidden while
docker-py loads (its SSH import is optional and guarded) and put back right after, so
Fabric still finds it.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType


def _import_docker() -> ModuleType:
    if os.environ.get("DOCKER_HOST", "").startswith("ssh://") or "paramiko" in sys.modules:
        return importlib.import_module("docker")
    sys.modules["paramiko"] = None  # type: ignore[assignment]  # `import paramiko` now fails
    try:
        return importlib.import_module("docker")
    finally:
        del sys.modules["paramiko"]


docker = _import_docker()

from docker.errors import (  # noqa: E402 - only after the import above
    APIError,
    DockerException,
    ImageNotFound,
    NotFound,
)
from requests.exceptions import (  # noqa: E402 - docker-py's transport; its failures
    RequestException,
    SSLError,
    Timeout,
)

__all__ = [
    "APIError",
    "DockerException",
    "ImageNotFound",
    "NotFound",
    "RequestException",
    "SSLError",
    "Timeout",
    "docker",
]
