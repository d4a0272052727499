"""Maps each check kind to its class, importing a kind's module only when it is used."""

from __future__ import annotations

import importlib
from typing import Any

from lab.checks.base import Check
from lab.checks.context import CheckContext
from lab.checks.specs import CheckSpec

# kind -> "module:Class"; a new kind needs a spec in specs.py, a module here, and a line.
KINDS: dict[str, str] = {
    "command": "lab.checks.command:CommandCheck",
    "file": "lab.checks.file:FileCheck",
    "package": "lab.checks.package:PackageCheck",
    "http": "lab.checks.http:HttpCheck",
    "service": "lab.checks.service:ServiceCheck",
    "fleet": "lab.checks.fleet:FleetCheck",
    "image": "lab.checks.image:ImageCheck",
    "same-image": "lab.checks.same_image:SameImageCheck",
    "replaced": "lab.checks.replaced:ReplacedCheck",
    "deployment": "lab.checks.deployment:DeploymentCheck",
    "download": "lab.checks.download:DownloadCheck",
    "python": "lab.checks.python:PythonCheck",
}


def check_class(kind: str) -> type[Check[Any]]:
    """The class implementing `kind`; raises KeyError naming the known kinds."""
    try:
        module_name, class_name = KINDS[kind].split(":")
    except KeyError:
        raise KeyError(f"unknown check kind {kind!r}; known kinds: {', '.join(KINDS)}") from None
    cls: type[Check[Any]] = getattr(importlib.import_module(module_name), class_name)
    return cls


def build_check(spec: CheckSpec, context: CheckContext) -> Check[Any]:
    """The check object for one spec of exercise.yaml."""
    return check_class(spec.kind)(spec, context)
