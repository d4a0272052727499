"""The load balancer's pure parts: the upstream.conf the lab writes and reads back, the
container the exercise gets, and what exercise.yaml's `load_balancer` changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab import fleet
from lab.deploy import balancer
from lab.deploy.balancer import Backend, parse_upstream, upstream_text
from lab.docker import labels
from lab.exercises.schema import Exercise, ExerciseSpec
from lab.settings import Settings

WEB1 = Backend("web1", "172.18.0.3")
WEB2 = Backend("web2", "172.18.0.4", weight=9)


def test_each_backend_is_one_server_line_with_its_weight_and_passive_check() -> None:
    text = upstream_text([WEB1, WEB2])
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [
        "server 172.18.0.3:80 weight=1 max_fails=1 fail_timeout=2s;  # web1",
        "server 172.18.0.4:80 weight=9 max_fails=1 fail_timeout=2s;  # web2",
    ]
    assert text.endswith(";  # web2\n")


def test_no_backend_is_the_placeholder_that_is_always_down() -> None:
    text = upstream_text([])
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        "server 127.0.0.1:9 down;"]
    assert parse_upstream(text) == []


def test_what_is_written_reads_back_the_same() -> None:
    assert parse_upstream(upstream_text([WEB1, WEB2])) == [WEB1, WEB2]


def test_the_image_s_starting_file_has_no_backend() -> None:
    shipped = Path(__file__).parents[3] / "images/lb/rootfs/etc/nginx/lab/upstream.conf"
    assert parse_upstream(shipped.read_text()) == []


def test_a_line_written_by_hand_reads_as_nginx_would() -> None:
    text = "server 10.0.0.5:80;\nserver 10.0.0.6:80 max_fails=3 weight=4;   # canary\n" \
           "server 10.0.0.7:80 down;  # web9\n# server 10.0.0.8:80;\n"
    assert parse_upstream(text) == [Backend("10.0.0.5", "10.0.0.5"),
                                    Backend("canary", "10.0.0.6", 4)]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"weight": 0}, "leave it out"),
        ({"address": "web1"}, "not an IPv4 address"),
        ({"address": "172.18.0.3:80"}, "not an IPv4 address"),
        ({"address": "172.18.0.3;\nserver 1.2.3.4"}, "not an IPv4 address"),
        ({"server": "web1\nserver 1.2.3.4:80;"}, "not a server's name"),
        ({"server": ""}, "not a server's name"),
    ],
)
def test_a_backend_that_would_break_the_file_is_refused(fields: dict[str, Any],
                                                        problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Backend(**{"server": "web1", "address": "172.18.0.3", **fields})


def test_nginx_s_words_lose_their_time_and_process() -> None:
    said = ("2026/11/27 04:23:57 [emerg] 108#108: unexpected end of file, expecting \";\" in "
            "/etc/nginx/lab/upstream.conf:2\nnginx: configuration file test failed\n")
    assert balancer._nginx_words(said).startswith("emerg: unexpected end of file")
    assert balancer._nginx_words("") == "no explanation"


# --- exercise.yaml and the fleet -------------------------------------------------------


def spec(**fields: Any) -> ExerciseSpec:
    base: dict[str, Any] = {
        "format_version": 1, "id": "12-behind-a-balancer", "title": "T", "summary": "S.",
        "servers": [{"name": "web", "count": 3}],
        "checks": [{"kind": "package", "goal": "g", "name": "tree"}],
    }
    return ExerciseSpec.model_validate({**base, **fields})


def test_load_balancer_is_off_unless_asked_for() -> None:
    assert spec().load_balancer is False
    assert spec(load_balancer=True).load_balancer is True


def test_a_server_named_lb_clashes_with_the_balancer_only_when_there_is_one() -> None:
    servers = [{"name": "web", "count": 2}, {"name": "lb"}]
    assert spec(servers=servers).consistency_problems() == []
    problems = spec(servers=servers, load_balancer=True).consistency_problems()
    assert problems == [(("servers", 1, "name"),
                         "server 'lb' would clash with the load balancer's name; "
                         "choose another")]


def test_the_balancer_image_is_needed_only_with_a_balancer(tmp_path: Path) -> None:
    without = Exercise(tmp_path, spec(repository=False))
    with_lb = Exercise(tmp_path, spec(repository=False, load_balancer=True))
    assert fleet.lab_images_needed(without) == ["server"]
    assert fleet.lab_images_needed(with_lb) == ["server", "lb"]


def test_the_balancer_container_is_labelled_named_and_published_on_loopback(
        tmp_path: Path) -> None:
    names = fleet.Names("alice", "12-behind-a-balancer")
    made = fleet.balancer_spec(names, Settings(tmp_path, "alice", image_prefix="my-lab"))
    assert made.name == "lab-alice-12-behind-a-balancer-lb"
    assert made.labels == labels.managed(student="alice", exercise="12-behind-a-balancer",
                                         role="lb", server="lb")
    assert made.aliases == ("lb",) and made.network == names.network
    assert made.ports == (80,) and made.image == "my-lab/lb:latest"
    assert made.labels[labels.ROLE] != fleet.SERVER_ROLE  # never taken for a server


def test_the_desired_fleet_ends_with_the_balancer(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "home", "alice")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0t0y4e1Xo alice"
    with_lb = fleet.desired(Exercise(tmp_path, spec(load_balancer=True)), settings, key)
    assert [made.name.rsplit("-", 1)[1] for made in with_lb] == [
        "repo", "web1", "web2", "web3", "lb"]
    without = fleet.desired(Exercise(tmp_path, spec()), settings, key)
    assert not [made for made in without if made.labels[labels.ROLE] == "lb"]
