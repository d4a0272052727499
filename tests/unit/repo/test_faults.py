"""Faults as files for the repo container, and which requests a flaky repository fails."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from lab.repo.faults import clients_file, describe, fails, murmur_hash2, repository_files
from lab.repo.specs import (
    FaultSpec,
    FlakyRepoSpec,
    HoldSpec,
    PackageRef,
    PublishSpec,
    RepoDownSpec,
    Trigger,
    WithdrawSpec,
)

WEBAPP_2 = PackageRef("webapp", "2.0")
WEBAPP_21 = PackageRef("webapp", "2.1")
FILENAMES = {WEBAPP_2: "webapp_2.0_all.deb", WEBAPP_21: "webapp_2.1_all.deb"}

# What nginx 1.22's split_clients answered at 30% (the lab's repo image, asked over HTTP).
NGINX_SAYS_FAILING = {
    ("web1", "/pool/webapp_1.0_all.deb"), ("web2", "/InRelease"),
    ("web2", "/pool/webapp_2.0_all.deb"), ("web4", "/Release"), ("web4", "/Packages.gz"),
}
NGINX_SAYS_SERVED = {
    ("web1", "/InRelease"), ("web1", "/pool/webapp_2.0_all.deb"), ("web3", "/Release"),
    ("web3", "/pool/webapp_2.0_all.deb"), ("web6", "/Packages.gz"),
}


def expand(names: Sequence[str]) -> list[str]:
    return [f"web{n}" for n in range(1, 4)] if "web" in names else list(names)


def files(*faults: FaultSpec) -> dict[str, str]:
    return {entry.path: (entry.data or b"").decode()
            for entry in repository_files(faults, expand, FILENAMES)}


def test_the_flaky_choice_is_nginx_s_choice() -> None:
    assert all(fails(server, path, 30) for server, path in NGINX_SAYS_FAILING)
    assert not any(fails(server, path, 30) for server, path in NGINX_SAYS_SERVED)


def test_murmur_hash2_handles_every_tail_length() -> None:
    assert murmur_hash2(b"") == 0
    hashes = {murmur_hash2(b"webapp"[:length]) for length in range(1, 7)}
    assert len(hashes) == 6 and all(0 <= value < 2**32 for value in hashes)


@pytest.mark.parametrize("percent", [10, 30, 70])
def test_about_the_given_share_of_requests_fails(percent: int) -> None:
    chooser = random.Random(4)
    pairs = [(f"web{chooser.randrange(50)}", f"/pool/p{chooser.randrange(10**6)}.deb")
             for _ in range(20000)]
    share = sum(fails(server, path, percent) for server, path in pairs) / len(pairs)
    assert abs(share - percent / 100) < 0.02


def test_a_repo_down_for_some_servers_waits_for_its_trigger() -> None:
    found = files(RepoDownSpec(kind="repo-down", servers=("web",),
                               after=Trigger(fetched=WEBAPP_2, count=2)))
    assert found["srv/lab/faults/0/trigger"] == "2 /pool/webapp_2.0_all.deb\n"
    assert found["etc/nginx/lab/http.d/fault-0.conf"] == (
        "map $lab_server $lab_fault_0 { default 0; }\n")
    assert found["srv/lab/faults/0/active.conf"] == (
        "map $lab_server $lab_fault_0 { default 0; web1 1; web2 1; web3 1; }\n")
    assert found["etc/nginx/lab/server.d/fault-0.conf"] == (
        "if ($lab_fault_0) { return 444; }\n")
    assert found["srv/lab/faults/0/describe"] == (
        "repository unreachable for web1, web2, web3, after 2 server(s) fetched webapp 2.0\n")


def test_a_repo_down_for_everyone_from_the_start_has_no_trigger() -> None:
    found = files(RepoDownSpec(kind="repo-down"))
    assert "srv/lab/faults/0/trigger" not in found
    assert found["srv/lab/faults/0/active.conf"] == (
        "map $lab_server $lab_fault_0 { default 1; }\n")


def test_a_flaky_repository_answers_503_to_its_share() -> None:
    found = files(HoldSpec(kind="hold", package="libwebapp"),
                  FlakyRepoSpec(kind="flaky-repo", percent=30, servers=("web2",)))
    assert not any(path.startswith("srv/lab/faults/0/") for path in found)
    assert found["srv/lab/faults/1/active.conf"] == (
        'split_clients "${lab_server} ${uri}" $lab_pick_1 { 30% 1; * 0; }\n'
        'map "$lab_pick_1 $lab_server" $lab_fault_1 { default 0; "1 web2" 1; }\n')
    assert found["etc/nginx/lab/server.d/fault-1.conf"] == (
        "if ($lab_fault_1) { return 503; }\n")


def test_publish_and_withdraw_run_the_repository_s_scripts() -> None:
    found = files(PublishSpec(kind="publish", packages=(WEBAPP_21,),
                              after=Trigger(fetched=WEBAPP_2, count=1)),
                  WithdrawSpec(kind="withdraw", packages=(WEBAPP_2,)))
    assert found["srv/lab/faults/0/action"] == (
        "exec /usr/local/sbin/lab-repo-publish webapp_2.1_all.deb\n")
    assert found["srv/lab/faults/1/action"] == (
        "exec /usr/local/sbin/lab-repo-withdraw webapp_2.0_all.deb\n")
    assert describe(WithdrawSpec(kind="withdraw", packages=(WEBAPP_2,)), []) == (
        "withdraw webapp 2.0, from the start")


def test_the_clients_file_names_servers_by_address() -> None:
    entry = clients_file({"web2": "10.0.0.3", "web1": "10.0.0.2"})
    assert entry.path == "etc/nginx/lab/clients.geo"
    assert entry.data is not None
    assert entry.data.decode().splitlines()[1:] == ["10.0.0.2 web1;", "10.0.0.3 web2;"]
