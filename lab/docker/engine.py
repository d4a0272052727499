"""The Docker engine this process talks to, as an object, and docker-py's failures as LabErrors.

An `Engine` is an address and its TLS settings (docker-py's DOCKER_* variables) with clients
made on first use. `current()` is the process's engine: built once from the environment, the
first time anything needs it, and the same one afterwards (a class runs each student's
command in a process of its own, so one process talks to one engine). `client()` and
`api()` are that engine's clients, so the rest of the lab asks for "the engine" and never
reads DOCKER_HOST; `using(engine)` puts another one in its place for a block (tests).

docker-py and requests are imported when a client is made or a failure translated, not when
a module of lab.docker is imported: `lab --help` and the commands that never reach the
engine do not pay for them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from lab.errors import BuildError, EngineError, LabError

# Enough pooled connections for a class-wide fan-out without "connection pool is full".
POOL_SIZE = 64
DEFAULT_TIMEOUT = 120
MIN_API_VERSION = "1.24"  # the oldest any supported engine answers
DEFAULT_ADDRESS = "the default socket (unix:///var/run/docker.sock)"


def sdk() -> ModuleType:
    """lab.docker.sdk: docker-py and the failures the lab catches, imported on first use."""
    from lab.docker import sdk as loaded  # docker-py: about 0.1 s, paid only by engine users

    return loaded


@dataclass(frozen=True)
class EngineInfo:
    version: str
    api_version: str
    os: str
    arch: str
    root_dir: str
    server_name: str


@dataclass(frozen=True)
class Engine:
    """One engine as docker-py reaches it, and its clients (one per timeout, thread-safe)."""

    host: str = ""  # DOCKER_HOST; "" for the default socket (or DOCKER_CONTEXT's engine)
    tls_verify: str | None = None  # DOCKER_TLS_VERIFY as set: "" is TLS without verifying
    cert_path: str | None = None  # DOCKER_CERT_PATH: ca.pem, cert.pem and key.pem
    context: str | None = None  # DOCKER_CONTEXT, which docker-py reads when host is ""
    _clients: dict[int, Any] = field(default_factory=dict, init=False, repr=False,
                                     compare=False)
    _making: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                    compare=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Engine:
        """The engine DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and DOCKER_CONTEXT
        name (those of this process unless `environ` is given), as the docker CLI reads them."""
        env = os.environ if environ is None else environ
        return cls(host=env.get("DOCKER_HOST", ""), tls_verify=env.get("DOCKER_TLS_VERIFY"),
                   cert_path=env.get("DOCKER_CERT_PATH"), context=env.get("DOCKER_CONTEXT"))

    @property
    def address(self) -> str:
        """The engine as an error message names it."""
        return self.host or DEFAULT_ADDRESS

    @property
    def tls(self) -> bool:
        """As docker-py decides it: a certificate folder, or DOCKER_TLS_VERIFY set non-empty."""
        return bool(self.cert_path or self.tls_verify)

    def variables(self) -> dict[str, str]:
        """The DOCKER_* variables docker-py is given for this engine. DOCKER_HOST is always
        there (empty: the default), so docker-py never falls back to os.environ."""
        optional = {"DOCKER_TLS_VERIFY": self.tls_verify, "DOCKER_CERT_PATH": self.cert_path,
                    "DOCKER_CONTEXT": self.context}
        return {"DOCKER_HOST": self.host,
                **{name: value for name, value in optional.items() if value is not None}}

    def client(self, timeout: int = DEFAULT_TIMEOUT) -> Any:
        """docker-py's client for this engine, made on first use, then shared. It is made
        outside the lock (it may ask the engine, up to `timeout`): threads that race each make
        one, and the first stored is the one every thread uses from then on."""
        with self._making:
            made = self._clients.get(timeout)
        if made is not None:
            return made
        connected = self._connect(timeout)
        with self._making:
            kept = self._clients.setdefault(timeout, connected)
        if kept is not connected:
            connected.close()  # another thread's client won: this one's pool is not used
        return kept

    def api(self, timeout: int = DEFAULT_TIMEOUT) -> Any:
        """The low-level API client, for streaming calls (build, save, load, import)."""
        return self.client(timeout).api

    def info(self) -> EngineInfo:
        with engine_errors(self):
            version = self.client().version()
            details = self.client().info()
        return EngineInfo(
            version=str(version.get("Version", "?")),
            api_version=str(version.get("ApiVersion", "?")),
            os=str(details.get("OperatingSystem", "?")),
            arch=str(details.get("Architecture", "?")),
            root_dir=str(details.get("DockerRootDir", "")),
            server_name=str(details.get("Name", "")),
        )

    def _connect(self, timeout: int) -> Any:
        docker = sdk().docker
        with engine_errors(self):
            if not self.tls:
                return docker.from_env(timeout=timeout, max_pool_size=POOL_SIZE,
                                       environment=self.variables())
            # requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE (common behind corporate
            # proxies) replace the CA a session was given, unless the session ignores the
            # environment: docker-py would then check the engine's certificate against the
            # system's CAs instead of DOCKER_CERT_PATH/ca.pem, and fail where the docker CLI
            # works. A client made with a version asks nothing at once, so the session can
            # be told first, then asked the engine's version for the client used from then on.
            asking = _ignoring_environment(docker.from_env(
                version=MIN_API_VERSION, timeout=timeout, environment=self.variables()))
            version = str(asking.version()["ApiVersion"])
            asking.close()
            return _ignoring_environment(docker.from_env(
                version=version, timeout=timeout, max_pool_size=POOL_SIZE,
                environment=self.variables()))


def _ignoring_environment(made: Any) -> Any:
    made.api.trust_env = False  # (also HTTPS_PROXY: an engine reached by TLS is not proxied)
    return made


# --- the current engine ------------------------------------------------------------------

_current: Engine | None = None
_choosing = threading.Lock()


def current() -> Engine:
    """This process's engine: from its DOCKER_* variables the first time, then the same."""
    global _current
    with _choosing:
        if _current is None:
            _current = Engine.from_environment()
        return _current


@contextmanager
def using(engine: Engine | None) -> Iterator[None]:
    """`engine` is the current one inside the block; None: one made afresh from the
    environment on first use (as a new process would). The one before comes back after."""
    global _current
    with _choosing:
        before, _current = _current, engine
    try:
        yield
    finally:
        with _choosing:
            _current = before


def client(timeout: int = DEFAULT_TIMEOUT) -> Any:
    """The current engine's client."""
    return current().client(timeout)


def api(timeout: int = DEFAULT_TIMEOUT) -> Any:
    """The current engine's low-level API client, for streaming calls."""
    return current().api(timeout)


def info() -> EngineInfo:
    return current().info()


def engine_address() -> str:
    return current().address


# --- failures ----------------------------------------------------------------------------


@contextmanager
def engine_errors(engine: Engine | None = None) -> Iterator[None]:
    """Every docker-py failure leaves this block as a LabError with a remedy, naming
    `engine` (default: the current one)."""
    errors = sdk()
    try:
        yield
    except LabError:
        raise
    except errors.APIError as cause:
        raise _api_error(cause) from cause
    except (errors.DockerException, errors.RequestException, ConnectionError) as cause:
        raise _unreachable(cause, engine or current()) from cause
    except Exception as cause:
        # docker's ssh:// transport lets paramiko's errors through (only lab.ssh imports it).
        if not type(cause).__module__.startswith("paramiko"):
            raise
        raise _ssh_failure(cause, (engine or current()).address) from cause


def _unreachable(cause: BaseException, engine: Engine) -> EngineError:
    """One line for each way the engine can be out of reach."""
    text = f"{cause!r} {cause}"
    address = engine.address
    if "PermissionError" in text or "Permission denied" in text:
        return EngineError(
            f"no permission to use the Docker engine at {address}",
            "Add your user to the 'docker' group (then log in again), or run as a user who can.",
        )
    if "Not supported URL scheme" in text or "Invalid bind address" in text or (
        "DOCKER_HOST" in text
    ):
        return EngineError(
            f"DOCKER_HOST={engine.host!r} is not a valid engine address",
            "Unset DOCKER_HOST or set it to e.g. unix:///var/run/docker.sock or tcp://host:2376.",
        )
    if isinstance(cause, sdk().SSLError) or "SSLError" in text:
        reason = _ssl_reason(text)
        return EngineError(
            f"the Docker engine at {address} failed the TLS check{': ' + reason if reason else ''}",
            "Check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY; "
            "`docker version` uses the same settings.",
        )
    if isinstance(cause, sdk().Timeout) or "timed out" in text:
        return EngineError(
            f"the Docker engine at {address} did not answer in time",
            "Check that it is running and not overloaded (`docker info`), then try again.",
        )
    return EngineError(
        f"cannot reach the Docker engine at {address}",
        "Start Docker (Docker Desktop, or `sudo systemctl start docker`) and try again; "
        "`lab doctor` checks the rest.",
    )


def _api_error(cause: Any) -> LabError:
    explanation = str(cause.explanation or cause).strip()
    if isinstance(cause, sdk().ImageNotFound):
        return BuildError(f"image not found: {explanation}", "Run `lab images build`.")
    if isinstance(cause, sdk().NotFound):
        return EngineError(f"not found: {explanation}", "Run `lab status` to see what exists.")
    return EngineError(f"the Docker engine refused: {explanation}")


def _ssh_failure(cause: BaseException, address: str) -> EngineError:
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
