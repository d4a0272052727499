"""The service check: processes and listening ports, read from /proc rather than ss."""

from __future__ import annotations

from lab.checks.service import listening_ports, process_running
from tests.unit.checks.fakes import FakeExecutor, make_check, verdicts

# Real /proc/net/tcp and tcp6 lines: sshd on 22 and nginx on 80 listen (state 0A), and
# an established connection from port 8080 must not count as listening.
PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:1F90 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 3 1
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 0 0
"""
COMM = "init\nsshd\nnginx\nnginx\nbash\n"


def test_listening_ports_come_from_both_tables_and_only_in_listen_state() -> None:
    assert listening_ports(PROC_NET_TCP) == {22, 80, 443}


def test_process_names_match_whole_names_only() -> None:
    assert process_running(COMM, "nginx")
    assert not process_running(COMM, "ngin")


def test_a_long_process_name_matches_the_kernel_s_15_character_cut() -> None:
    assert process_running("unattended-upgr\n", "unattended-upgrades")


def test_running_and_listening_service_passes() -> None:
    fake = FakeExecutor().when("comm", stdout=COMM).when("/proc/net/tcp", stdout=PROC_NET_TCP)
    [result] = verdicts(make_check({"kind": "service", "process": "nginx", "listens": 80}), fake)
    assert result.ok
    assert result.reason == "web1: nginx is running and TCP port 80 is listening"


def test_stopped_service_names_both_problems() -> None:
    fake = (
        FakeExecutor()
        .when("comm", stdout="init\nsshd\n")
        .when("/proc/net/tcp", stdout=PROC_NET_TCP)
    )
    [result] = verdicts(make_check({"kind": "service", "process": "nginx", "listens": 8080}), fake)
    assert not result.ok
    assert result.reason == (
        "web1: no process named nginx is running; nothing listens on TCP port 8080"
    )
