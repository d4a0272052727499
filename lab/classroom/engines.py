"""The engines of a class: a DOCKER_HOST URL or a Docker context each, and what a student's
process needs in its environment to use one."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

from lab.environment import process_environment
from lab.errors import UsageError

LOCAL = "local"  # a student the roster gives no engine: the instructor's own DOCKER_HOST
CONTEXT = "context:"
SCHEMES = ("unix://", "tcp://", "ssh://", "npipe://")
CONTEXT_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$")

Environment = Mapping[str, "str | None"]  # None: remove the variable


def check_engine(engine: str) -> str | None:
    """A roster's engine as it will be used; None for `local` (the instructor's own)."""
    if engine == LOCAL:
        return None
    if engine.startswith(CONTEXT) and CONTEXT_NAME.match(engine.removeprefix(CONTEXT)):
        return engine
    if any(engine.startswith(scheme) and len(engine) > len(scheme) for scheme in SCHEMES):
        return engine
    raise UsageError(f"{engine!r} is not a Docker engine",
                     "Give a DOCKER_HOST URL (unix://, tcp://, ssh://user@host) or "
                     "context:NAME for a Docker context.")


def engine_environment(engine: str, environ: Mapping[str, str] | None = None) -> Environment:
    """What a student's `lab` process needs in its environment to use `engine`.

    A Docker context is read from the Docker CLI's own files ($DOCKER_CONFIG, by default
    ~/.docker: contexts/meta/<sha256 of the name>/meta.json, and its TLS files beside), so
    neither the docker CLI nor any setting of it is needed.
    """
    if engine == LOCAL:
        return {}
    if not engine.startswith(CONTEXT):
        return {"DOCKER_HOST": engine}
    return _context_environment(engine.removeprefix(CONTEXT),
                                process_environment() if environ is None else environ)


def _context_environment(name: str, environ: Mapping[str, str]) -> Environment:
    unset: dict[str, str | None] = {"DOCKER_HOST": None, "DOCKER_TLS_VERIFY": None,
                                    "DOCKER_CERT_PATH": None, "DOCKER_CONTEXT": None}
    if name == "default":  # the engine's own socket, whatever DOCKER_HOST says
        return unset
    config = Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest / "meta.json"
    try:
        document = json.loads(meta.read_text(encoding="utf-8"))
        host = document["Endpoints"]["docker"]["Host"]
        skip_verify = bool(document["Endpoints"]["docker"].get("SkipTLSVerify"))
    except FileNotFoundError:
        raise UsageError(f"there is no Docker context {name!r}",
                         "`docker context ls` lists them; `docker context create` makes one.",
                         ) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"the Docker context {name!r} has no Docker endpoint ({meta})",
                         f"Check it with `docker context inspect {name}`.") from None
    environment = {**unset, "DOCKER_HOST": str(host)}
    tls = config / "contexts" / "tls" / digest / "docker"
    if (tls / "ca.pem").is_file() or (tls / "cert.pem").is_file():
        environment["DOCKER_CERT_PATH"] = str(tls)
        environment["DOCKER_TLS_VERIFY"] = "" if skip_verify else "1"
    return environment
