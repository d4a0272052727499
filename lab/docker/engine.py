"""The connection to the Docker engine, and the translation of its failures into LabErrors."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import requests

from lab.docker.sdk import APIError, DockerException, ImageNotFound, NotFound, docker
from lab.errors import BuildError, EngineError, LabError

# Enough pooled connections for a class-wide fan-out without "connection pool is full".
POOL_SIZE = 64
DEFAULT_TIMEOUT = 120


@dataclass(frozen=True)
class EngineInfo:
    version: str
    api_version: str
    os: str
    arch: str
    root_dir: str
    server_name: str


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"


def _unreachable(cause: BaseException) -> EngineError:
    """One line for each way the engine can be out of reach."""
    text = f"{cause!r} {cause}"
    address = engine_address()
    if "PermissionError" in text or "Permission denied" in text:
        return EngineError(
            f"no permission to use the Docker engine at {address}",
            "Add your user to the 'docker' group (then log in again), or run as a user who can.",
        )
    if "Not supported URL scheme" in text or "Invalid bind address" in text or (
        "DOCKER_HOST" in text
    ):
        return EngineError(
            f"DOCKER_HOST={os.environ.get('DOCKER_HOST', '')!r} is not a valid engine address",
            "Unset DOCKER_HOST or set it to e.g. unix:///var/run/docker.sock or tcp://host:2376.",
        )
    if isinstance(cause, requests.exceptions.SSLError) or "SSLError" in text:
        reason = _ssl_reason(text)
        return EngineError(
            f"the Docker engine at {address} failed the TLS check{': ' + reason if reason else ''}",
            "Check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY; "
            "`docker version` uses the same settings.",
        )
    if isinstance(cause, requests.exceptions.Timeout) or "timed out" in text:
        return EngineError(
            f"the Docker engine at {address} did not answer in time",
            "Check that it is running and not overloaded (`docker info`), then try again.",
        )
    return EngineError(
        f"cannot reach the Docker engine at {address}",
        "Start Docker (Docker Desktop, or `sudo systemctl start docker`) and try again; "
        "`lab doctor` checks the rest.",
    )


def _api_error(cause: APIError) -> LabError:
    explanation = str(cause.explanation or cause).strip()
    if isinstance(cause, ImageNotFound):
        return BuildError(f"image not found: {explanation}", "Run `lab images build`.")
    if isinstance(cause, NotFound):
        return EngineError(f"not found: {explanation}", "Run `lab status` to see what exists.")
    return EngineError(f"the Docker engine refused: {explanation}")


@contextmanager
def engine_errors() -> Iterator[None]:
    """Every docker-py failure leaves this block as a LabError with a remedy."""
    try:
        yield
    except LabError:
        raise
    except APIError as cause:
        raise _api_error(cause) from cause
    except (DockerException, requests.exceptions.RequestException, ConnectionError) as cause:
        raise _unreachable(cause) from cause
    except Exception as cause:
        # docker's ssh:// transport lets paramiko's errors through (only lab.ssh imports it).
        if not type(cause).__module__.startswith("paramiko"):
            raise
        raise _ssh_failure(cause) from cause


def _ssh_failure(cause: BaseException) -> EngineError:
    address = engine_address()
    if type(cause).__name__ == "ChannelException":  # sshd refused one more session
        return EngineError(
            f"the engine's SSH host ({address}) refused another session: {cause}",
            "Docker opens one per request: set `MaxSessions 100` in that host's sshd_config "
            "and reload sshd.",
        )
    return EngineError(
        f"cannot use the Docker engine at {address} over SSH: {cause}",
        f"Check that `docker -H {address} ps` works from this machine.",
    )


def _ssl_reason(text: str) -> str:
    """The words OpenSSL gives after "certificate verify failed:" or the like, if any."""
    match = re.search(r"\[SSL[^\]]*\] ([^(']+)", text)
    return " ".join(match.group(1).split()) if match else ""


@cache
def _client_for(address: str, timeout: int) -> Any:
    with engine_errors():
        if not _tls_in_use():
            return docker.from_env(timeout=timeout, max_pool_size=POOL_SIZE)
        # requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE (common behind corporate
        # proxies) replace the CA a session was given, unless the session ignores the
        # environment: docker-py would then check the engine's certificate against the
        # system's CAs instead of DOCKER_CERT_PATH/ca.pem, and fail where the docker CLI
        # works. A client made with a version asks nothing at once, so the session can be
        # told first, then asked the engine's version for the client used from then on.
        asking = _ignoring_environment(docker.from_env(version=MIN_API_VERSION, timeout=timeout))
        version = str(asking.version()["ApiVersion"])
        asking.close()
        return _ignoring_environment(
            docker.from_env(version=version, timeout=timeout, max_pool_size=POOL_SIZE))


MIN_API_VERSION = "1.24"  # the oldest any supported engine answers


def _tls_in_use() -> bool:
    """As docker-py decides it: a certificate folder, or DOCKER_TLS_VERIFY set non-empty."""
    return bool(os.environ.get("DOCKER_CERT_PATH") or os.environ.get("DOCKER_TLS_VERIFY"))


def _ignoring_environment(made: Any) -> Any:
    made.api.trust_env = False  # (also HTTPS_PROXY: an engine reached by TLS is not proxied)
    return made


def client(timeout: int = DEFAULT_TIMEOUT) -> Any:
    """A client for the engine DOCKER_HOST names, shared per address (thread-safe)."""
    return _client_for(os.environ.get("DOCKER_HOST", ""), timeout)


def api(timeout: int = DEFAULT_TIMEOUT) -> Any:
    """The low-level API client, for streaming calls (build, save, load, import)."""
    return client(timeout).api


def info() -> EngineInfo:
    with engine_errors():
        version = client().version()
        details = client().info()
    return EngineInfo(
        version=str(version.get("Version", "?")),
        api_version=str(version.get("ApiVersion", "?")),
        os=str(details.get("OperatingSystem", "?")),
        arch=str(details.get("Architecture", "?")),
        root_dir=str(details.get("DockerRootDir", "")),
        server_name=str(details.get("Name", "")),
    )


