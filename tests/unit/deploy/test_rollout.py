"""`lab deploy`'s pure parts: the --volume options, and what a stopped rollout says."""

from __future__ import annotations

import pytest

from lab.deploy.rollout import _failure_message, parse_volumes
from lab.errors import UsageError


def test_volumes_name_and_path() -> None:
    assert parse_volumes(["data:/var/lib/guestbook", "logs-{server}:/var/log/app"]) == {
        "data": "/var/lib/guestbook", "logs-{server}": "/var/log/app"}


def test_no_volumes() -> None:
    assert parse_volumes([]) == {}


@pytest.mark.parametrize(
    "option",
    ["data", "Data:/x", "data:relative", ":/x", "data:", "-data:/x", "da ta:/x",
     "data{server}{server}:/x"],
)
def test_a_malformed_volume_is_a_usage_error(option: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_volumes(["data:/fine", option])
    line = raised.value.line()
    assert f"--volume {option!r} is not NAME:/PATH" in line
    assert "--volume data:/var/lib/guestbook" in line


def test_the_failure_names_the_server_the_detail_and_the_untouched() -> None:
    message = _failure_message("web2", "/health answered 'fail'", "lab-learner/app:v3",
                               ["web3", "web4"])
    assert message.startswith("web2 failed its health check on lab-learner/app:v3: "
                              "/health answered 'fail'.")
    assert message.endswith("web3, web4 were not touched")


def test_the_failure_of_the_last_server_touched_them_all() -> None:
    message = _failure_message("web1", "its container exited with code 1", "v3", [])
    assert message == ("web1 failed its health check on v3: its container exited with code 1. "
                       "The rollout stopped")


def test_one_untouched_server_is_singular() -> None:
    assert _failure_message("web1", "x", "v3", ["web2"]).endswith("web2 was not touched")
