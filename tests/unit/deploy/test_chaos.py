"""`lab chaos`'s choice of victims: seeded, whatever the order of the servers, and checked."""

from __future__ import annotations

import pytest

from lab.deploy.chaos import FAULTS, Plan, choose
from lab.errors import UsageError

SERVERS = ["web1", "web2", "web3", "web4", "web5"]


def test_the_same_seed_picks_the_same_victims_whatever_the_order() -> None:
    first = choose(SERVERS, 42, kill=2, stop=1)
    again = choose(list(reversed(SERVERS)), 42, kill=2, stop=1)
    shuffled = choose(["web3", "web5", "web1", "web4", "web2"], 42, kill=2, stop=1)
    assert first == again == shuffled
    assert len(first.kill) == 2 and len(first.stop) == 1
    assert not set(first.kill) & set(first.stop), "one server is not hit twice"
    assert set(first.kill) | set(first.stop) <= set(SERVERS)


def test_seeds_differ_in_their_victims() -> None:
    picks = {choose(SERVERS, seed, kill=1).kill for seed in range(1, 40)}
    assert len(picks) > 1, "a seed must matter"


def test_more_victims_than_servers_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot take down 6 servers: the fleet has 5"):
        choose(SERVERS, 1, kill=4, stop=2)


def test_the_whole_fleet_may_go_down() -> None:
    plan = choose(SERVERS, 1, kill=3, stop=2)
    assert sorted(plan.kill + plan.stop) == SERVERS


def test_an_unknown_server_to_edit_names_the_fleet() -> None:
    with pytest.raises(UsageError) as raised:
        choose(["web2", "web1"], 1, edit=["web9"])
    line = raised.value.line()
    assert "unknown server 'web9'" in line and "web1, web2" in line


def test_editing_a_known_server_hits_only_it() -> None:
    assert choose(SERVERS, 7, edit=["web3"]) == Plan(edit=("web3",))


def test_random_picks_one_fault_on_one_server() -> None:
    for seed in range(1, 30):
        plan = choose(SERVERS, seed, random_fault=True)
        hits = [(fault, name) for fault in FAULTS for name in getattr(plan, fault)]
        assert len(hits) == 1 and hits[0][1] in SERVERS, (seed, plan)
        assert plan == choose(list(reversed(SERVERS)), seed, random_fault=True)


def test_random_covers_every_kind_of_fault() -> None:
    kinds = {next(fault for fault in FAULTS if getattr(choose(SERVERS, seed, random_fault=True),
                                                         fault))
             for seed in range(1, 60)}
    assert kinds == set(FAULTS)


def test_random_on_an_empty_fleet_does_nothing() -> None:
    assert choose([], 3, random_fault=True).empty
