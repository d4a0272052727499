"""`lab drift`'s judgement with fakes: noise, packages, dpkg's answers, files and verdicts."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab import dpkg, drift
from lab.docker.containers import ExecResult
from lab.docker.diffs import Change
from lab.dpkg import Package
from lab.drift import Finding, FleetDrift, Kind, PackageSpread, Server, ServerDrift
from lab.drift.files import fold_subtrees
from lab.drift.noise import NOISE, is_noise, relevant_changes
from lab.drift.packages import (
    HOLDS_QUERY,
    PACKAGES_QUERY,
    held_findings,
    package_findings,
    package_spread,
    parse_holds,
)
from lab.drift.paths import (
    IMAGE_FACTS_SCRIPT,
    OWNERS_MARK,
    Fingerprint,
    batches,
    dpkg_names,
    parse_fingerprints,
)
from tests.helpers import assert_one_line_error, run_lab

DOCS = Path(__file__).resolve().parents[2] / "docs" / "drift.md"
IMAGE = "sha256:" + "ab" * 32
PACKAGES = ("ii |nginx-light|1.22.1-9\nii |nginx-common|1.22.1-9\nii |procps|2:4.0.2-3\n"
            "ii |base-files|12.4\n")

# What `docker diff` shows on a server that was just started: nothing of it is drift.
FRESH_SERVER = [
    ("C", "/run"), ("A", "/run/nginx.pid"), ("A", "/run/sshd"), ("A", "/run/sshd.pid"),
    ("A", "/run/motd.dynamic"), ("C", "/root"), ("A", "/root/.ssh"),
    ("A", "/root/.ssh/authorized_keys"), ("C", "/etc"), ("C", "/etc/ssh"),
    ("A", "/etc/ssh/ssh_host_ed25519_key"), ("A", "/etc/ssh/ssh_host_ed25519_key.pub"),
    ("C", "/var"), ("C", "/var/log"), ("C", "/var/log/nginx"),
    ("A", "/var/log/nginx/error.log"), ("A", "/var/log/nginx/access.log"), ("C", "/var/www"),
    ("C", "/var/www/html"), ("A", "/var/www/html/health.txt"),
    ("A", "/var/www/html/index.html"), ("A", "/var/www/html/version.txt"), ("C", "/var/lib"),
    ("C", "/var/lib/nginx"), ("A", "/var/lib/nginx/body"), ("A", "/var/lib/nginx/fastcgi"),
    ("A", "/var/lib/nginx/proxy"), ("A", "/var/lib/nginx/scgi"), ("A", "/var/lib/nginx/uwsgi"),
]
# ... and what `apt-get update && apt-get install -y tree` adds to it.
TREE_INSTALLED = [
    ("C", "/usr"), ("C", "/usr/bin"), ("A", "/usr/bin/tree"), ("C", "/usr/share"),
    ("C", "/usr/share/doc"), ("A", "/usr/share/doc/tree"), ("A", "/usr/share/doc/tree/copyright"),
    ("C", "/var/cache"), ("C", "/var/cache/apt"), ("A", "/var/cache/apt/pkgcache.bin"),
    ("C", "/var/lib/apt"), ("C", "/var/lib/apt/lists"), ("A", "/var/lib/apt/lists/lock"),
    ("A", "/var/lib/apt/lists/repo_._Packages"), ("C", "/var/lib/apt/extended_states"),
    ("C", "/var/lib/dpkg"), ("C", "/var/lib/dpkg/status"), ("C", "/var/lib/dpkg/status-old"),
    ("A", "/var/lib/dpkg/info/tree.list"), ("C", "/var/log/apt"), ("A", "/var/log/dpkg.log"),
]


def changes(entries: Sequence[tuple[str, str]]) -> list[Change]:
    return [Change(kind, path) for kind, path in entries]


def regular(digest: str, mode: str = "644") -> str:
    return f"regular file\t{mode}\t0\t0\t{digest}"


# --- noise ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/var/log/nginx/access.log", "/var/log/apt/history.log", "/run/sshd.pid",
    "/var/run/nginx.pid", "/tmp/x", "/var/tmp/x", "/var/lib/apt/lists/repo_._Packages",
    "/var/cache/apt/archives/tree_2.1.0-1_amd64.deb", "/var/lib/dpkg/status-old",
    "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub",
    "/root/.ssh/authorized_keys", "/var/www/html/version.txt", "/root/.bash_history",
    "/var/cache/debconf/templates.dat", "/var/cache/debconf/config.dat-old", "/etc/shadow-",
    "/usr/lib/python3/dist-packages/app/__pycache__", "/usr/lib/python3/x/__pycache__/y.pyc",
])
def test_what_every_server_writes_by_itself_is_noise(path: str) -> None:
    assert is_noise(path)


@pytest.mark.parametrize("path", [
    "/etc/motd", "/etc/nginx/nginx.conf", "/etc/ssh/sshd_config", "/root/.ssh/id_ed25519",
    "/var/cache/debconf/config.dat", "/var/www/html/hotfix.html", "/etc/hotfix-42",
    "/var/logs", "/etc/shadow", "/var/lib/dpkgx",
])
def test_configuration_is_never_noise(path: str) -> None:
    assert not is_noise(path)


def test_a_fresh_server_has_no_relevant_change() -> None:
    assert relevant_changes(changes(FRESH_SERVER)) == []


def test_installing_a_package_leaves_only_its_files() -> None:
    relevant = relevant_changes(changes(FRESH_SERVER + TREE_INSTALLED))
    assert [change.path for change in relevant] == [
        "/usr/bin/tree", "/usr/share/doc/tree", "/usr/share/doc/tree/copyright"]


def test_a_changed_folder_counts_only_when_nothing_below_it_changed() -> None:
    relevant = relevant_changes(changes([
        ("C", "/etc"), ("C", "/etc/nginx"), ("C", "/etc/nginx/nginx.conf"), ("C", "/srv")]))
    assert [change.path for change in relevant] == ["/etc/nginx/nginx.conf", "/srv"]


def test_the_docs_explain_every_allowlist_entry() -> None:
    page = DOCS.read_text()
    missing = [pattern for pattern in NOISE if f"`{pattern}`" not in page]
    assert not missing, f"docs/drift.md does not explain {missing}"


# --- packages ---------------------------------------------------------------------------


def packages(text: str) -> dict[str, Package]:
    return dpkg.parse(text)


def test_package_differences_are_named_by_kind() -> None:
    image = packages("ii |tree|2.0\nii |jq|1.6\nii |procps|4.0\nii |nginx|1.22\nii |same|1\n")
    server = packages("ii |tree|2.1\nrc |jq|1.6\niF |webapp|2.0\nii |nginx|1.22\nii |same|1\n")
    found = package_findings(image, server)
    assert found == [
        Finding(Kind.PACKAGE_REMOVED, "jq", "1.6 in the image, its config files remain"),
        Finding(Kind.PACKAGE_REMOVED, "procps", "4.0 in the image"),
        Finding(Kind.PACKAGE_VERSION, "tree", "2.0 → 2.1"),
        Finding(Kind.PACKAGE_ADDED, "webapp", "2.0, not in the image"),
        Finding(Kind.PACKAGE_STATE, "webapp",
                "half-configured (its postinst failed) (dpkg iF)"),
    ]


def test_a_state_the_image_already_had_is_not_drift() -> None:
    image = packages("iU |half|1.0\n")
    assert package_findings(image, packages("iU |half|1.0\n")) == []
    assert package_findings(image, packages("ii |half|1.0\n")) == []


def test_holds_are_drift_unless_the_image_held_them_too() -> None:
    image = packages("hi |nginx-light|1.22\nii |tree|2.1\n")
    server = packages("hi |nginx-light|1.22\nhi |tree|2.1\n")
    holds = parse_holds("nginx-light\ntree:amd64\n")
    assert held_findings(holds, image, server) == [
        Finding(Kind.HELD, "tree", "on hold at 2.1: apt will not upgrade it")]


# --- what a path is -----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "names"), [
    ("/usr/bin/ps", ("/usr/bin/ps", "/bin/ps")),
    ("/sbin/sysctl", ("/sbin/sysctl", "/usr/sbin/sysctl")),
    ("/usr/lib/systemd/system/ssh.service",
     ("/usr/lib/systemd/system/ssh.service", "/lib/systemd/system/ssh.service")),
    ("/etc/motd", ("/etc/motd",)),
    ("/usr/share/doc/tree", ("/usr/share/doc/tree",)),
])
def test_merged_usr_paths_are_asked_under_both_names(path: str, names: tuple[str, ...]) -> None:
    assert dpkg_names(path) == names


def test_fingerprints_say_what_changed() -> None:
    found = parse_fingerprints(
        f"F\t/etc/motd\t{regular('aa', '600')}\nF\t/etc/gone\tabsent\nnoise\n")
    before = Fingerprint("regular file", "644", "0", "0", "aa")
    assert before.differences(found["/etc/motd"]) == "mode 644 → 600"
    assert before.differences(Fingerprint("regular file", "644", "1000", "0", "bb")) == \
        "content changed, owner 0:0 → 1000:0"
    assert before.differences(found["/etc/gone"]) == "was a regular file, now absent"


def test_an_added_folder_stands_for_what_is_below_it() -> None:
    found = fold_subtrees([
        Finding(Kind.FILE_ADDED, "/opt/app", "not in the image"),
        Finding(Kind.FILE_ADDED, "/opt/app/conf", "not in the image"),
        Finding(Kind.FILE_ADDED, "/opt/app/conf/a", "not in the image"),
        Finding(Kind.FILE_REMOVED, "/opt/old", "deleted"),
        Finding(Kind.FILE_ADDED, "/etc/hotfix-42", "not in the image"),
    ])
    assert found == [
        Finding(Kind.FILE_ADDED, "/opt/app", "not in the image, with 2 entries below it"),
        Finding(Kind.FILE_REMOVED, "/opt/old", "deleted"),
        Finding(Kind.FILE_ADDED, "/etc/hotfix-42", "not in the image"),
    ]


def test_long_path_lists_are_cut_into_batches_under_the_limit() -> None:
    paths = [f"/etc/{index:04d}" for index in range(1000)]
    cut = list(batches(paths, limit=1000))
    assert [path for batch in cut for path in batch] == paths
    assert all(len(" ".join(batch)) <= 1000 for batch in cut)


# --- verdicts -----------------------------------------------------------------------------


def server_drift(name: str, *findings: Finding) -> ServerDrift:
    return ServerDrift(Server(name, f"id-{name}", "immutable-lab/server:latest", IMAGE),
                       tuple(findings))


def test_the_verdict_of_an_identical_fleet() -> None:
    fleet = FleetDrift("01", tuple(server_drift(name) for name in ("web1", "web2", "web3")))
    assert fleet.identical
    assert fleet.verdict == "identical: web1, web2, web3 match their image"
    assert FleetDrift("01", (server_drift("web2"),)).verdict == \
        "identical: web2 matches its image"


def test_the_verdict_of_a_drifted_fleet_says_where_and_how() -> None:
    fleet = FleetDrift("02", (
        server_drift("web1"),
        server_drift("web2",
                     Finding(Kind.CONFFILE_CHANGED, "/etc/webapp/webapp.conf", "content changed"),
                     Finding(Kind.FILE_CHANGED, "/etc/motd", "mode 644 → 600")),
        server_drift("web3", Finding(Kind.HELD, "libwebapp", "on hold at 1.0")),
    ))
    assert not fleet.identical
    assert fleet.verdict == "drifted: web2 (2 changes), web3 (1 change)"
    assert fleet.how == ("web2: conffile /etc/webapp/webapp.conf changed, /etc/motd mode "
                         "644 → 600; web3: libwebapp held")
    assert fleet.as_json()["servers"][2]["findings"] == [
        {"kind": "held", "subject": "libwebapp", "detail": "on hold at 1.0"}]


def test_servers_that_disagree_on_a_package_are_named() -> None:
    spread = package_spread({
        "web1": packages("ii |tree|2.1\nii |nginx|1.22\n"),
        "web2": packages("ii |tree|2.0\nii |nginx|1.22\n"),
        "web3": packages("rc |tree|2.1\nii |nginx|1.22\n"),
    })
    assert spread == [PackageSpread("tree", {"web1": "2.1", "web2": "2.0", "web3": None})]
    assert spread[0].summary == "tree: 2.1 on web1; 2.0 on web2; absent on web3"


# --- the whole comparison, with fake servers and images -----------------------------------


@dataclass
class FakeServer:
    diff: list[tuple[str, str]]
    packages: str = PACKAGES
    holds: str = ""
    owners: dict[str, str] = field(default_factory=dict)  # path -> `dpkg -S` owner
    verify: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict)  # path -> fingerprint fields


@dataclass
class FakeSources:
    """Servers and images that answer drift's questions as dpkg, apt and docker would."""

    servers: dict[str, FakeServer]
    image_packages: str = PACKAGES
    image_files: dict[str, str] = field(default_factory=dict)  # path -> fingerprint fields
    image_owners: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def changes(self, container_id: str) -> list[Change]:
        return changes(self.servers[container_id].diff)

    def run(self, container_id: str, command: str) -> ExecResult:
        self.calls.append(f"{container_id}: {command.split()[0]} {command.split()[1]}")
        server = self.servers[container_id]
        asked = [word for word in shlex.split(command.split("\n")[0]) if word.startswith("/")]
        if command == PACKAGES_QUERY:
            return ExecResult(0, server.packages, "")
        if command == HOLDS_QUERY:
            return ExecResult(0, server.holds, "")
        if command.startswith("dpkg -S"):
            return ExecResult(0, owned(server.owners, asked), "")
        if command.startswith("dpkg --verify"):
            return ExecResult(0, server.verify, "")
        return ExecResult(0, fingerprinted(server.fingerprints, asked), "")

    def run_in_image(self, image_id: str, argv: list[str]) -> ExecResult:
        self.calls.append(f"image: {argv[2][:20]}")
        if argv[2] == PACKAGES_QUERY:
            return ExecResult(0, self.image_packages, "")
        paths = argv[4:]
        return ExecResult(0, fingerprinted(self.image_files, paths)
                          + f"{OWNERS_MARK}\n" + owned(self.image_owners, paths), "")


def owned(owners: dict[str, str], paths: Sequence[str]) -> str:
    return "".join(f"{owners[path]}: {path}\n" for path in paths if path in owners)


def fingerprinted(files: dict[str, str], paths: Sequence[str]) -> str:
    return "".join(f"F\t{path}\t{files.get(path, 'absent')}\n" for path in paths)


def look(sources: FakeSources, cache: Path) -> FleetDrift:
    servers = [Server(name, name, "immutable-lab/server:latest", IMAGE)
               for name in sources.servers]
    return drift.drift_of(servers, sources, cache, "02-snowflakes")


def snowflakes() -> FakeSources:
    """web1 untouched; web2 with a hand-edited conffile and a chmod; web3 with a hotfix
    file, tree installed and held, and procps removed."""
    return FakeSources(
        servers={
            "web1": FakeServer(FRESH_SERVER),
            "web2": FakeServer(
                [*FRESH_SERVER, ("C", "/etc/nginx"), ("C", "/etc/nginx/nginx.conf"),
                 ("C", "/etc/motd")],
                owners={"/etc/nginx/nginx.conf": "nginx-common"},
                verify="??5?????? c /etc/nginx/nginx.conf\n??5?????? c /etc/nginx/sites-available"
                       "/default\n",
                fingerprints={"/etc/nginx/nginx.conf": regular("edited"),
                              "/etc/motd": regular("motd", "600")}),
            "web3": FakeServer(
                [*FRESH_SERVER, *TREE_INSTALLED, ("A", "/etc/hotfix-42"), ("D", "/bin/ps"),
                 ("C", "/var/lib/dpkg/status")],
                packages=PACKAGES.replace("ii |procps|2:4.0.2-3", "rc |procps|2:4.0.2-3")
                + "hi |tree|2.1.0-1\n",
                holds="tree\n",
                owners={"/usr/bin/tree": "tree", "/usr/share/doc/tree": "tree",
                        "/usr/share/doc/tree/copyright": "tree"}),
        },
        image_files={"/etc/nginx/nginx.conf": regular("image"), "/etc/motd": regular("motd")},
        image_owners={"/bin/ps": "procps"},
    )


def test_every_drift_is_found_on_its_own_server(tmp_path: Path) -> None:
    fleet = look(snowflakes(), tmp_path)
    assert fleet.verdict == "drifted: web2 (2 changes), web3 (4 changes)"
    assert fleet.server("web1").identical
    assert fleet.server("web2").findings == (
        Finding(Kind.CONFFILE_CHANGED, "/etc/nginx/nginx.conf", "content changed (nginx-common)"),
        Finding(Kind.FILE_CHANGED, "/etc/motd", "mode 644 → 600"),
    )
    assert [(f.kind, f.subject) for f in fleet.server("web3").findings] == [
        (Kind.PACKAGE_ADDED, "tree"), (Kind.PACKAGE_REMOVED, "procps"), (Kind.HELD, "tree"),
        (Kind.FILE_ADDED, "/etc/hotfix-42")]
    assert fleet.spread == (
        PackageSpread("procps", {"web1": "2:4.0.2-3", "web2": "2:4.0.2-3", "web3": None}),
        PackageSpread("tree", {"web1": None, "web2": None, "web3": "2.1.0-1"}),
    )


def test_a_server_whose_dpkg_database_is_untouched_is_not_asked_about_packages(
        tmp_path: Path) -> None:
    sources = snowflakes()
    look(sources, tmp_path)
    assert not [call for call in sources.calls if call.startswith("web1")]
    assert not [call for call in sources.calls if call.startswith("web2: dpkg-query")]
    assert "web3: dpkg-query -W" in sources.calls


def test_the_image_is_asked_once_then_read_from_the_cache(tmp_path: Path) -> None:
    first = snowflakes()
    look(first, tmp_path)
    assert [call for call in first.calls if call.startswith("image")] == [
        f"image: {PACKAGES_QUERY[:20]}", f"image: {IMAGE_FACTS_SCRIPT[:20]}"]
    again = snowflakes()
    assert look(again, tmp_path).verdict == look(first, tmp_path).verdict
    assert not [call for call in again.calls if call.startswith("image")]
    assert (tmp_path / "image-packages" / f"{IMAGE.removeprefix('sha256:')}.json").is_file()


def test_a_file_changed_back_is_not_drift(tmp_path: Path) -> None:
    sources = snowflakes()
    web2 = sources.servers["web2"]
    web2.fingerprints = {"/etc/nginx/nginx.conf": regular("image"),
                         "/etc/motd": regular("motd")}
    assert look(sources, tmp_path).server("web2").identical


def test_a_conffile_the_image_changed_is_not_drift_until_the_server_changes_it(
        tmp_path: Path) -> None:
    """The image itself edits nginx.conf, so dpkg --verify flags it on every server; a
    server where it was only touched (same content, mode and owner) has not drifted."""
    sources = snowflakes()
    web1 = sources.servers["web1"]
    web1.diff = [*FRESH_SERVER, ("C", "/etc/nginx"), ("C", "/etc/nginx/nginx.conf")]
    web1.verify = "??5?????? c /etc/nginx/nginx.conf\n"
    web1.owners = {"/etc/nginx/nginx.conf": "nginx-common"}
    web1.fingerprints = {"/etc/nginx/nginx.conf": regular("image")}
    assert look(sources, tmp_path).server("web1").identical


# --- the command --------------------------------------------------------------------------


@pytest.mark.parametrize(("fleet", "exit_code", "last_line"), [
    (FleetDrift("01", (server_drift("web1"), server_drift("web2"))), 0,
     "✓ identical: web1, web2 match their image"),
    (FleetDrift("01", (server_drift("web1"),
                       server_drift("web2", Finding(Kind.FILE_ADDED, "/etc/hotfix-42", "new")))),
     1, "✗ drifted: web2 (1 change)"),
])
def test_the_command_exits_0_only_when_identical(
        monkeypatch: pytest.MonkeyPatch, fleet: FleetDrift, exit_code: int,
        last_line: str) -> None:
    from lab.cli import app

    monkeypatch.setattr(drift, "exercise_drift", lambda settings, running, servers: fleet)
    result = CliRunner().invoke(app, ["drift"], env={"COLUMNS": "200"})
    assert result.exit_code == exit_code, result.output
    assert result.output.strip().splitlines()[-1] == last_line


def test_without_an_exercise_it_says_so_before_asking_the_engine() -> None:
    result = run_lab("drift", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert "no exercise is started" in assert_one_line_error(result, exit_code=5)
