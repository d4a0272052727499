"""What exercise.yaml says about the repository: packages, provisioning steps and faults."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, NamedTuple, get_args

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from lab.checks.specs import FrozenModel, Text

# Debian policy 5.6.1 and 5.6.12, without the rare corners the lab never needs.
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
VERSION = re.compile(r"^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$")
APT_REQUEST = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+.-]+)(=(?P<version>[0-9][A-Za-z0-9.+~:-]*))?$")


class PackageRef(NamedTuple):
    """One version of one package, written `webapp 1.0` in exercise.yaml."""

    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def parse_ref(value: Any) -> PackageRef:
    """'webapp 1.0' -> PackageRef('webapp', '1.0'); anything else is a ValueError for authors."""
    if isinstance(value, PackageRef):
        return value
    words = value.split() if isinstance(value, str) else []
    if len(words) != 2:
        raise ValueError("write a package as 'NAME VERSION', like 'webapp 1.0'")
    name, version = words
    if not PACKAGE_NAME.match(name):
        raise ValueError(f"{name!r} is not a Debian package name (a-z, 0-9, '+', '-', '.')")
    if not VERSION.match(version):
        raise ValueError(f"{version!r} is not a Debian version, like '1.0' or '2.0.1'")
    return PackageRef(name, version)


def _package_name(value: str) -> str:
    if not PACKAGE_NAME.match(value):
        raise ValueError("must be a Debian package name, like 'libwebapp'")
    return value


def _apt_request(value: str) -> str:
    if not APT_REQUEST.match(value):
        raise ValueError("must be 'NAME' or 'NAME=VERSION', as apt-get install takes it")
    return value


Ref = Annotated[PackageRef, BeforeValidator(parse_ref)]
PackageName = Annotated[str, AfterValidator(_package_name)]
AptRequest = Annotated[str, AfterValidator(_apt_request)]
Servers = tuple[Text, ...] | None  # server or group names; None means every server


class Trigger(FrozenModel):
    """`after: {fetched: webapp 2.0, count: 3}`: once the count-th server fetched that .deb."""

    fetched: Ref  # the package whose .deb is watched, like `webapp 2.0`
    count: Annotated[int, Field(ge=1, le=20)] = 1  # how many distinct servers fetch it first


class FaultSpec(FrozenModel):
    """Fields every fault has; each kind's model narrows `kind` to its own name."""

    kind: str

    @property
    def target_servers(self) -> Servers:
        return getattr(self, "servers", None)


class RepositoryFault(FaultSpec):
    """A fault the repository applies itself: at start, or `after` a trigger fires."""

    after: Trigger | None = None  # when it happens; without it, from the start


class RepoDownSpec(RepositoryFault):
    """The repository does not answer these servers: apt sees its connection closed."""

    kind: Literal["repo-down"]
    servers: Servers = None  # who cannot reach it; without it, every server


class FlakyRepoSpec(RepositoryFault):
    """A fixed share of (server, file) pairs get "503 Service Unavailable", every time."""

    kind: Literal["flaky-repo"]
    percent: Annotated[int, Field(ge=1, le=99)]  # the share of (server, file) pairs failing
    servers: Servers = None  # whose requests may fail; without it, every server's


class PublishSpec(RepositoryFault):
    """Packages appear in the repository (a release published mid-rollout)."""

    kind: Literal["publish"]
    packages: tuple[Ref, ...] = Field(min_length=1)  # like `webapp 2.1`


class WithdrawSpec(RepositoryFault):
    """Packages disappear from the repository (a release pulled mid-rollout)."""

    kind: Literal["withdraw"]
    packages: tuple[Ref, ...] = Field(min_length=1)  # published ones, like `webapp 2.0`


class HandEditSpec(FaultSpec):
    """A shell command run as root on chosen servers at start, as an admin's hand edit."""

    kind: Literal["hand-edit"]
    servers: Servers = None  # where; without it, every server
    describe: Text  # what changed, in words: the truth a learner's drift report is checked against
    run: Text  # the shell command that makes the change, run as root


class HoldSpec(FaultSpec):
    """`apt-mark hold PACKAGE` on chosen servers at start: upgrades keep it back."""

    kind: Literal["hold"]
    servers: Servers = None  # where; without it, every server
    package: PackageName  # an installed package, held at its version


AnyFaultSpec = Annotated[
    RepoDownSpec | FlakyRepoSpec | PublishSpec | WithdrawSpec | HandEditSpec | HoldSpec,
    Field(discriminator="kind"),
]


def fault_models() -> dict[str, type[FaultSpec]]:
    """Each fault kind's name and its model, in the order of AnyFaultSpec."""
    union = get_args(AnyFaultSpec)[0]
    models: tuple[type[FaultSpec], ...] = get_args(union)
    return {get_args(model.model_fields["kind"].annotation)[0]: model for model in models}


class ProvisionStep(FrozenModel):
    """One step the lab takes before the learner arrives: install on servers, or change the
    repository between installs (so servers get different snapshots of it)."""

    # `apt-get install` these (`webapp` or `webapp=1.0`), after `apt-get update`
    install: tuple[AptRequest, ...] | None = Field(default=None, min_length=1)
    servers: Servers = None  # where to install; without it, every server
    publish: tuple[Ref, ...] | None = Field(default=None, min_length=1)  # serve these from now
    withdraw: tuple[Ref, ...] | None = Field(default=None, min_length=1)  # stop serving these

    @model_validator(mode="after")
    def _one_action(self) -> ProvisionStep:
        given = [name for name in ("install", "publish", "withdraw") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of 'install', 'publish' or 'withdraw' per step")
        if self.servers is not None and not self.install:
            raise ValueError("'servers' goes with 'install'; the repository is shared by all")
        return self
