"""What each check kind accepts: author mistakes are caught when exercise.yaml is loaded."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from lab.checks.specs import AnyCheckSpec, FileSpec, PackageSpec

ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyCheckSpec)


def parse(**fields: Any) -> Any:
    return ADAPTER.validate_python({"goal": "goal", **fields})


def test_defaults_are_those_the_format_documents() -> None:
    package = parse(kind="package", name="tree")
    assert isinstance(package, PackageSpec)
    assert (package.state, package.version, package.servers) == ("ii", None, None)
    assert parse(kind="http").port == 80
    assert parse(kind="http").status == 200
    assert parse(kind="command", command="true").exit_code == 0


def test_a_digest_is_stored_bare_and_lower_case() -> None:
    file = parse(kind="file", path="/etc/motd", sha256="sha256:" + "AB" * 32)
    assert isinstance(file, FileSpec)
    assert file.sha256 == "ab" * 32


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "file", "path": "etc/motd"}, "must be an absolute path on the server"),
        ({"kind": "file", "path": "/x", "mode": 420}, 'quoted string, like "0644"'),
        ({"kind": "file", "path": "/x", "mode": "rw-r--r--"}, "must be an octal mode"),
        ({"kind": "file", "path": "/x", "sha256": "abc"}, "64 hexadecimal digits"),
        ({"kind": "file", "path": "/x", "exists": False, "contains": "y"}, "expected to be absent"),
        ({"kind": "package", "name": "tree", "state": "installed"}, "'absent' or a dpkg status"),
        ({"kind": "command", "command": "x", "stdout_matches": "("}, "not a valid regular expr"),
        ({"kind": "http", "path": "index.html"}, "must start with '/'"),
        ({"kind": "http", "port": 70000}, "less than or equal to 65535"),
        ({"kind": "service"}, "give 'process', 'listens', or both"),
        ({"kind": "image"}, "give 'tag', 'digest', 'labels' or 'built: true'"),
        ({"kind": "image", "digest": "abc"}, "12 to 64 hexadecimal digits"),
        ({"kind": "replaced", "after": "lunch"}, "input should be 'start'"),
        ({"kind": "python", "function": "checks.py"}, "'module:function'"),
        ({"kind": "fleet", "command": "  "}, "must not be empty"),
        ({"kind": "command", "command": "x", "timeout": 3}, "extra inputs are not permitted"),
    ],
)
def test_mistakes_are_rejected_with_a_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(**fields)
    assert message.lower() in str(caught.value).lower()
