"""What each check kind accepts in exercise.yaml, as frozen pydantic models joined on `kind`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# dpkg's two-letter status: desired action (unknown, install, remove, purge, hold) then
# current state (not-installed, config-files, half-installed, unpacked, half-configured,
# triggers-awaited, triggers-pending, installed); an optional R flags "reinstall required".
DPKG_STATE = re.compile(r"^[uirph][ncHUFWti]R?$")
PYTHON_FUNCTION = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian policy's package names


class FrozenModel(BaseModel):
    """Immutable, and an unknown field is an error rather than silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _absolute_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"must be an absolute path on the server, like '/{path}'")
    return path


def _url_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"must start with '/', like '/{path}'")
    return path


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression: {exc}") from None
    return pattern


def _file_mode(value: Any) -> Any:
    # YAML reads an unquoted 0644 as the octal number 420, and 644 as decimal: both wrong.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('write the mode as a quoted string, like "0644"')
    if isinstance(value, str) and not re.fullmatch(r"0?[0-7]{3}|[0-7]{4}", value):
        raise ValueError('must be an octal mode, like "0644" or "0755"')
    return value


def _sha256(value: str) -> str:
    digest = value.lower().removeprefix("sha256:")
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError("must be 64 hexadecimal digits (the output of sha256sum)")
    return digest


def _image_digest(value: str) -> str:
    digest = value.lower().removeprefix("sha256:")
    if not re.fullmatch(r"[0-9a-f]{12,64}", digest):
        raise ValueError("must be an image id: 12 to 64 hexadecimal digits, maybe after 'sha256:'")
    return digest


def _dpkg_state(value: str) -> str:
    if value != "absent" and not DPKG_STATE.match(value):
        raise ValueError(
            "must be 'absent' or a dpkg status like 'ii' (installed) or 'rc' (removed, "
            "config files remain)"
        )
    return value


def _package_name(value: str) -> str:
    if not PACKAGE_NAME.match(value):
        raise ValueError("must be a Debian package name, like 'webapp'")
    return value


def _python_function(value: str) -> str:
    if not PYTHON_FUNCTION.match(value):
        raise ValueError("must be 'module:function', like 'checks:motd_is_fresh'")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
Port = Annotated[int, Field(ge=1, le=65535)]
Remedy = Annotated[str, AfterValidator(_not_blank)]


def module_file(exercise_folder: Path, module: str) -> Path:
    """'checks' -> FOLDER/checks.py; 'checks.motd' -> FOLDER/checks/motd.py."""
    return exercise_folder.joinpath(*module.split(".")).with_suffix(".py")


class CheckSpec(FrozenModel):
    """Fields every check has: its kind, the sentence shown to the learner, where it applies."""

    kind: str  # each kind's model narrows this to its own name
    goal: Text
    # Server or group names; None means every server of the exercise.
    servers: tuple[Text, ...] | None = None


class CommandSpec(CheckSpec):
    """A command exits with the expected code, and its output says what it should."""

    kind: Literal["command"]
    command: Text
    exit_code: int = 0
    stdout_contains: str | None = None
    stdout_matches: Annotated[str, AfterValidator(_regex)] | None = None  # re.search, MULTILINE


class FileSpec(CheckSpec):
    """A file exists (or not), with the expected content, mode or digest."""

    kind: Literal["file"]
    path: Annotated[str, AfterValidator(_absolute_path)]
    exists: bool = True
    contains: str | None = None
    mode: Annotated[str, BeforeValidator(_file_mode)] | None = None
    sha256: Annotated[str, AfterValidator(_sha256)] | None = None

    @model_validator(mode="after")
    def _absent_file_has_no_content(self) -> FileSpec:
        if not self.exists and (self.contains or self.mode or self.sha256):
            raise ValueError(
                "a file expected to be absent cannot also have contains, mode or sha256"
            )
        return self


class PackageSpec(CheckSpec):
    """A Debian package is in the expected dpkg state (and version)."""

    kind: Literal["package"]
    name: Text
    version: str | None = None
    state: Annotated[str, AfterValidator(_dpkg_state)] = "ii"


class HttpSpec(CheckSpec):
    """A page, asked from the host through the published port, answers as expected."""

    kind: Literal["http"]
    port: Port = 80
    path: Annotated[str, AfterValidator(_url_path)] = "/"
    status: Annotated[int, Field(ge=100, le=599)] = 200
    # Text the page must contain, as a whole: where it begins or ends with a letter or digit,
    # no letter or digit (nor a dot then one) may continue it there, so "2.0" matches
    # "version 2.0" but not "2.0.1" or "12.0", and "ok" matches "ok" but not "okay".
    contains: Text | None = None


class ServiceSpec(CheckSpec):
    """A process runs and/or something listens on a TCP port."""

    kind: Literal["service"]
    process: Text | None = None
    listens: Port | None = None

    @model_validator(mode="after")
    def _something_to_look_for(self) -> ServiceSpec:
        if self.process is None and self.listens is None:
            raise ValueError("give 'process', 'listens', or both")
        return self


class FleetSpec(CheckSpec):
    """A probe command prints exactly the same thing on every server."""

    kind: Literal["fleet"]
    command: Text


class ImageSpec(CheckSpec):
    """A server runs from the expected image: by tag, digest or labels, or one the learner
    built with `lab build`."""

    kind: Literal["image"]
    tag: Text | None = None  # "name:tag"; a name alone means "name:latest", as in docker
    digest: Annotated[str, AfterValidator(_image_digest)] | None = None  # a prefix of the image id
    labels: dict[str, str] | None = None
    built: bool = False  # true: an image the learner built with `lab build`
    remedy: Remedy | None = None  # what to tell the learner when the goal does not hold

    @model_validator(mode="after")
    def _something_to_compare(self) -> ImageSpec:
        if self.tag is None and self.digest is None and not self.labels and not self.built:
            raise ValueError("give 'tag', 'digest', 'labels' or 'built: true'")
        return self


class SameImageSpec(CheckSpec):
    """Every server runs the very same image (one digest everywhere)."""

    kind: Literal["same-image"]
    built: bool = False  # true: and it is an image the learner built with `lab build`
    remedy: Remedy | None = None  # what to tell the learner when the goal does not hold


class DeploymentMatch(FrozenModel):
    """Which recorded deployments count (`lab history`): each field given must match."""

    # What made it: `lab deploy`, `lab rollback` or a reconcile pass (`kind` in the history).
    action: Literal["deploy", "rollback", "reconcile"] | None = None
    strategy: Text | None = None  # as the history records it: blue-green, "switch back", ...
    result: Literal["succeeded", "failed"] = "succeeded"  # how it ended


class DeploymentSpec(CheckSpec, DeploymentMatch):
    """The deployment history holds a deployment like this one (the newest such counts)."""

    kind: Literal["deployment"]
    # start: only deployments since the servers were last brought up (`lab start`, `lab
    # reset`); ever: any deployment of the exercise's history.
    since: Literal["start", "ever"] = "start"
    after: DeploymentMatch | None = None  # it must follow a deployment like this one
    remedy: Remedy | None = None  # what to tell the learner when the goal does not hold


class DownloadSpec(CheckSpec):
    """Each server downloaded a package's .deb from the lab's repository, or none did (the
    repository's access log, since the exercise's faults were armed)."""

    kind: Literal["download"]
    package: Annotated[str, AfterValidator(_package_name)]  # the package's name, like webapp
    downloaded: bool  # true: each server downloaded it; false: none did (no default)
    version: Text | None = None  # one version only; without it, any version counts
    remedy: Remedy | None = None  # what to tell the learner when the goal does not hold


class ReplacedSpec(CheckSpec):
    """A server's container is newer than a moment the lab recorded: it was replaced."""

    kind: Literal["replaced"]
    after: Literal["start"] = "start"  # "start": when the exercise's servers were last brought up


class PythonSpec(CheckSpec):
    """A custom check: a function in a module beside exercise.yaml, written against
    lab.authoring (docs/instructor/writing-exercises.md)."""

    kind: Literal["python"]
    # `module:function` in a .py file beside exercise.yaml, called as `function(ctx)` with a
    # lab.authoring.CheckContext; it returns `(ok, reason)` or a list of them.
    function: Annotated[str, AfterValidator(_python_function)]

    def module_file(self, exercise_folder: Path) -> Path:
        return module_file(exercise_folder, self.function.split(":")[0])


AnyCheckSpec = Annotated[
    CommandSpec
    | FileSpec
    | PackageSpec
    | HttpSpec
    | ServiceSpec
    | FleetSpec
    | ImageSpec
    | SameImageSpec
    | ReplacedSpec
    | DeploymentSpec
    | DownloadSpec
    | PythonSpec,
    Field(discriminator="kind"),
]


def spec_models() -> dict[str, type[CheckSpec]]:
    """Each check kind's name and its model, in the order of AnyCheckSpec."""
    union = get_args(AnyCheckSpec)[0]
    models: tuple[type[CheckSpec], ...] = get_args(union)
    return {get_args(model.model_fields["kind"].annotation)[0]: model for model in models}
