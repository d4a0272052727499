"""The exercise's repository faults as files for the repo container, and arming them there.

The lab is gone while the learner works, so each fault lives in the repo container: a folder
/srv/lab/faults/N (N: the fault's index in exercise.yaml) with an `action` script, a
`describe` line and, for a fault with `after`, a `trigger` ("COUNT PATH") that
lab-repo-watch counts in nginx's access log. Outages are nginx snippets: a variable
$lab_fault_N that is 0 until the fault fires (`inactive.conf`) and then says which requests
fail (`active.conf`), and a rule answering those requests 444 or 503.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lab.docker.archives import Member, pack, put_archive
from lab.docker.containers import exec_run
from lab.errors import StateError
from lab.repo.sources import Entry
from lab.repo.specs import (
    FaultSpec,
    FlakyRepoSpec,
    PackageRef,
    PublishSpec,
    RepoDownSpec,
    RepositoryFault,
    WithdrawSpec,
)

FAULTS = "srv/lab/faults"
HTTP_SNIPPETS = "etc/nginx/lab/http.d"
SERVER_SNIPPETS = "etc/nginx/lab/server.d"
CLIENTS = "etc/nginx/lab/clients.geo"
LOG = "/var/log/lab/faults.log"
POOL_URI = "/pool"  # nginx's $uri of a published .deb: apt asks for /./pool/F, nginx cleans it
# 444 is nginx's "close the connection, answer nothing": apt reports "Connection failed", as
# for a repository that is down. Done in nginx rather than in the servers' /etc/hosts, so a
# fault can start mid-rollout without the lab, and no server file changes (no false drift).
UNREACHABLE = 444
UNAVAILABLE = 503  # a flaky mirror's answer
# What a flaky repository hashes: the server's name (stable across runs, unlike its address)
# and the path asked for, e.g. "web1 /pool/webapp_2.0_all.deb".
FLAKY_KEY = "${lab_server} ${uri}"
SCRIPT = 0o755
TEXT = 0o644

Filenames = Mapping[PackageRef, str]  # each package's .deb file name
Expand = Callable[[Sequence[str]], list[str]]  # server or group names -> server names


def repository_files(faults: Sequence[FaultSpec], expand: Expand,
                     filenames: Filenames) -> list[Entry]:
    """Every file the repository container needs to apply the exercise's repository faults."""
    entries: list[Entry] = []
    for index, fault in enumerate(faults):
        if isinstance(fault, RepositoryFault):
            # No `servers`: every client, even one the lab does not know (an empty list).
            chosen = expand(fault.target_servers) if fault.target_servers else []
            entries += fault_files(index, fault, chosen, filenames)
    return entries


def fault_files(index: int, fault: RepositoryFault, servers: list[str],
                filenames: Filenames) -> list[Entry]:
    """Fault `index`'s folder (describe, trigger, action) and, for an outage, its snippets."""
    folder = f"{FAULTS}/{index}"
    entries = [Entry(f"{folder}/describe", TEXT, f"{describe(fault, servers)}\n".encode())]
    if fault.after is not None:
        path = f"{POOL_URI}/{filenames[fault.after.fetched]}"
        entries.append(Entry(f"{folder}/trigger", TEXT, f"{fault.after.count} {path}\n".encode()))
    if isinstance(fault, (RepoDownSpec, FlakyRepoSpec)):
        return entries + _outage_files(index, fault, servers)
    assert isinstance(fault, (PublishSpec, WithdrawSpec))  # the other repository faults
    verb = "publish" if isinstance(fault, PublishSpec) else "withdraw"
    files = " ".join(filenames[ref] for ref in fault.packages)
    return [*entries, Entry(f"{folder}/action", SCRIPT,
                            f"exec /usr/local/sbin/lab-repo-{verb} {files}\n".encode())]


def _outage_files(index: int, fault: RepoDownSpec | FlakyRepoSpec,
                  servers: list[str]) -> list[Entry]:
    folder, variable = f"{FAULTS}/{index}", f"$lab_fault_{index}"
    inactive = f"map $lab_server {variable} {{ default 0; }}\n"
    active = (_down_map(variable, servers) if isinstance(fault, RepoDownSpec)
              else _flaky_map(index, variable, fault.percent, servers))
    status = UNREACHABLE if isinstance(fault, RepoDownSpec) else UNAVAILABLE
    live = f"{HTTP_SNIPPETS}/fault-{index}.conf"
    action = (f"cp {_abs(folder)}/active.conf {_abs(live)}\n"
              "nginx -s reload 2>/dev/null\n")  # quiet: its notice would clutter the log
    return [
        Entry(f"{folder}/inactive.conf", TEXT, inactive.encode()),
        Entry(f"{folder}/active.conf", TEXT, active.encode()),
        Entry(f"{folder}/action", SCRIPT, action.encode()),
        Entry(live, TEXT, inactive.encode()),
        Entry(f"{SERVER_SNIPPETS}/fault-{index}.conf", TEXT,
              f"if ({variable}) {{ return {status}; }}\n".encode()),
    ]


def _down_map(variable: str, servers: list[str]) -> str:
    if not servers:
        return f"map $lab_server {variable} {{ default 1; }}\n"
    chosen = "".join(f" {name} 1;" for name in servers)
    return f"map $lab_server {variable} {{ default 0;{chosen} }}\n"


def _flaky_map(index: int, variable: str, percent: int, servers: list[str]) -> str:
    """nginx's split_clients picks the failing (server, path) pairs: see `fails`."""
    pick = f"$lab_pick_{index}"
    split = f'split_clients "{FLAKY_KEY}" {pick} {{ {percent}% 1; * 0; }}\n'
    if not servers:
        return split + f"map {pick} {variable} {{ default 0; 1 1; }}\n"
    chosen = "".join(f' "1 {name}" 1;' for name in servers)
    return split + f'map "{pick} $lab_server" {variable} {{ default 0;{chosen} }}\n'


def describe(fault: RepositoryFault, servers: list[str]) -> str:
    """One line for the fault log: what happens, to whom, and when."""
    who = ", ".join(servers) if servers else "every server"
    if isinstance(fault, RepoDownSpec):
        what = f"repository unreachable for {who}"
    elif isinstance(fault, FlakyRepoSpec):
        what = f"{fault.percent}% of (server, file) requests answered 503 for {who}"
    elif isinstance(fault, PublishSpec):
        what = f"publish {', '.join(str(ref) for ref in fault.packages)}"
    else:
        assert isinstance(fault, WithdrawSpec)
        what = f"withdraw {', '.join(str(ref) for ref in fault.packages)}"
    when = (f"after {fault.after.count} server(s) fetched {fault.after.fetched}"
            if fault.after else "from the start")
    return f"{what}, {when}"


def clients_file(addresses: Mapping[str, str]) -> Entry:
    """nginx `geo` lines naming each server by its address on the exercise network."""
    lines = "".join(f"{address} {name};\n" for name, address in sorted(addresses.items()))
    return Entry(CLIENTS, TEXT, f"# address name; written by the lab\n{lines}".encode())


def _abs(path: str) -> str:
    return f"/{path}"


# -- which requests a flaky repository fails: nginx's split_clients, reproduced -------------

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur_hash2(data: bytes) -> int:
    """nginx's ngx_murmur_hash2 (src/core/ngx_murmurhash.c): the hash split_clients uses."""
    h = len(data) & _MASK
    whole = len(data) - len(data) % 4
    for start in range(0, whole, 4):
        k = int.from_bytes(data[start:start + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = data[whole:]
    if tail:
        for position in reversed(range(len(tail))):
            h ^= tail[position] << (8 * position)
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def fails(server: str, path: str, percent: int) -> bool:
    """Whether flaky-repo at `percent` answers 503 to `server` asking for `path` ($uri).

    split_clients gives the first `percent`% of the 32-bit hash range to the value 1: the same
    server asking for the same file gets the same answer on every run.
    """
    threshold = (percent * 100) * 0xFFFFFFFF // 10000
    return murmur_hash2(f"{server} {path}".encode()) < threshold


# -- in the repo container ----------------------------------------------------------------

def arm(repo_id: str) -> None:
    """Load the fault snippets, apply the faults without `after`, start the watcher."""
    _run(repo_id, "/usr/local/sbin/lab-repo-arm", "arm the exercise's faults")


def heal(repo_id: str) -> None:
    """End every outage now; published and withdrawn packages stay as they are."""
    _run(repo_id, "/usr/local/sbin/lab-repo-heal", "end the outages")


def refresh_clients(repo_id: str, addresses: Mapping[str, str]) -> None:
    """Servers restarted may have new addresses: tell nginx who is who again."""
    entry = clients_file(addresses)
    put_archive(repo_id, "/", pack([Member(entry.path, entry.mode, entry.data)]))
    _run(repo_id, "nginx -s reload", "reload its configuration")


def log(repo_id: str) -> str:
    """The fault log: what was armed, watched, fired and healed, one line each."""
    return exec_run(repo_id, f"cat {LOG} 2>/dev/null || true").stdout


def _run(repo_id: str, command: str, purpose: str) -> None:
    result = exec_run(repo_id, command)
    if result.exit_code != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise StateError(f"the repository could not {purpose}: "
                         f"{detail[-1] if detail else f'exit code {result.exit_code}'}",
                         "Run `lab reset` to start the exercise afresh.")
