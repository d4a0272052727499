"""The lab's APT repository on a real engine: packages built in a container, installed by real
apt on real servers, and each fault happening on cue, the same way on every run.

Each test works as its own student on exercises written into tmp_path (LAB_EXERCISES), with
the lab's shared package sources beside them, and removes what it made by label.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from lab.repo.faults import fails
from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

SHARED_PACKAGES = Path(__file__).resolve().parents[2] / "exercises" / "packages"
WEBS = ("web1", "web2", "web3")
# Tests skip apt's retries (3, with 1+2+4 s pauses): the failures are the same, only sooner.
NO_RETRY = "-o Acquire::Retries=0"

HEADER = """\
format_version: 1
id: {id}
title: Repository test
summary: Used by tests/docker/test_repo.py.
servers:
  - {{name: web, count: 3}}
checks:
  - {{kind: package, goal: webapp is installed, name: webapp}}
"""

STORY = """\
publish: [webapp 1.0, libwebapp 1.0, webapp 2.0]
provision:
  - install: [webapp=1.0]
    servers: [web1, web2]
  - publish: [libwebapp 1.1]
  - install: [webapp=1.0]
    servers: [web3]
faults:
  - kind: hand-edit
    servers: [web2]
    describe: a hotfix file beside webapp's conffile
    run: echo 'patched by hand' > /etc/webapp/hotfix
  - kind: hold
    servers: [web3]
    package: libwebapp
  - kind: publish
    packages: [webapp 2.1]
    after: {fetched: webapp 2.0, count: 1}
  - kind: repo-down
    servers: [web3]
    after: {fetched: webapp 2.0, count: 2}
"""

FLAKY = """\
publish: [webapp 1.0, libwebapp 1.0]
faults:
  - kind: flaky-repo
    percent: 20
"""


# --- helpers -----------------------------------------------------------------------------




def write_exercise(root: Path, exercise_id: str, body: str) -> dict[str, str]:
    """An exercise in root/exercises/, with the shared package sources beside it."""
    exercises = root / "exercises"
    (exercises / exercise_id).mkdir(parents=True)
    if not (exercises / "packages").exists():
        (exercises / "packages").symlink_to(SHARED_PACKAGES)
    (exercises / exercise_id / "exercise.yaml").write_text(
        HEADER.format(id=exercise_id) + body)
    return {"LAB_EXERCISES": str(exercises)}


def lab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lab ARGS` that must succeed."""
    result = run_lab(*args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def on(student: str, exercise_id: str, server: str, command: str) -> tuple[int, str]:
    """A probe on a server (docker exec, not the learner's SSH): exit code, stdout+stderr."""
    result = subprocess.run(
        ["docker", "exec", f"lab-{student}-{exercise_id}-{server}", "sh", "-c", command],
        capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def dpkg_states(student: str, exercise_id: str) -> dict[str, str]:
    """Per server: `name=version:state` of webapp and libwebapp, as dpkg sees them."""
    probe = ("dpkg-query -W -f='${Package}=${Version}:${db:Status-Abbrev}\\n' "
             "webapp libwebapp 2>/dev/null | tr -d ' ' | sort | paste -sd' '")
    return {server: on(student, exercise_id, server, probe)[1].strip() for server in WEBS}


def page(student: str, exercise_id: str, server: str, path: str) -> str:
    """What the server's nginx answers the host at `path`, through the published port."""
    name = f"lab-{student}-{exercise_id}-{server}"
    port = docker("port", name, "80/tcp").splitlines()[0].rsplit(":", 1)[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
        return str(answer.read().decode()).strip()


def fault_log(student: str, exercise_id: str) -> str:
    """The repository's fault log, without the times (which differ from run to run)."""
    log = docker("exec", f"lab-{student}-{exercise_id}-repo", "cat", "/var/log/lab/faults.log")
    return "\n".join(line.split(" ", 1)[1] for line in log.splitlines())


def served(env: dict[str, str]) -> dict[tuple[str, str], str]:
    document = json.loads(lab("repo", "list", "--json", env=env).stdout)
    return {(row["name"], row["version"]): row["state"] for row in document["packages"]}


def install(env: dict[str, str], server: str, package: str) -> subprocess.CompletedProcess[str]:
    """The learner's rollout step on one server, over SSH."""
    return run_lab("run", "-s", server, "--",
                   f"apt-get update {NO_RETRY} && apt-get install -y {NO_RETRY} {package}",
                   env=env)


# --- building ----------------------------------------------------------------------------


def test_packages_build_in_a_container_and_a_second_build_is_a_cache_hit(
        tmp_path: Path, student: str) -> None:
    from lab.environment import current_settings
    from lab.images import definitions
    from lab.repo import build, sources
    from lab.repo.specs import PackageRef

    refs = [PackageRef(package.parent.name, package.name)
            for package in sorted(SHARED_PACKAGES.glob("*/*")) if package.is_dir()]
    staged = sources.stage_all(SHARED_PACKAGES.parent / "01-any", refs)
    labels = {"lab.managed": "true", "lab.student": student, "lab.role": "builder"}
    image = definitions.BY_NAME["repo"].ref_for(current_settings())
    cold = build.build(staged, tmp_path, image, labels, print)
    assert cold.fresh == len(refs)  # every shared package, built once
    assert sorted(package.path.name.split("-", 1)[1] for package in cold.packages) == sorted(
        f"{ref.name}_{ref.version}_all.deb" for ref in refs)
    assert all(package.path.read_bytes().startswith(b"!<arch>\n") for package in cold.packages)
    assert docker("ps", "--all", "--quiet", "--filter", f"label=lab.student={student}") == ""

    started = time.monotonic()
    warm = build.build(sources.stage_all(SHARED_PACKAGES.parent / "01-any", refs), tmp_path,
                       "no-such-image:never-used", labels, print)
    assert warm.fresh == 0, "nothing changed: every .deb comes from the cache"
    assert time.monotonic() - started < 1
    assert [package.path for package in warm.packages] == [p.path for p in cold.packages]


# --- a fresh start -----------------------------------------------------------------------


def test_a_fresh_start_publishes_provisions_from_snapshots_and_hand_edits(
        tmp_path: Path, student: str) -> None:
    exercise = "02-story"
    env = {**write_exercise(tmp_path, exercise, STORY), "LAB_STUDENT": student}
    lab("start", exercise, env=env)

    assert dpkg_states(student, exercise) == {
        "web1": "libwebapp=1.0:ii webapp=1.0:ii",
        "web2": "libwebapp=1.0:ii webapp=1.0:ii",
        "web3": "libwebapp=1.1:hi webapp=1.0:ii",  # a later snapshot, and held
    }
    assert [page(student, exercise, server, "/version") for server in WEBS] == ["1.0"] * 3
    assert page(student, exercise, "web1", "/health") == "ok"
    assert "rendered by libwebapp 1.1" in page(student, exercise, "web3", "/")
    assert "rendered by" not in page(student, exercise, "web1", "/")
    assert on(student, exercise, "web3", "apt-mark showhold")[1].split() == ["libwebapp"]
    assert on(student, exercise, "web2", "cat /etc/webapp/hotfix")[1] == "patched by hand\n"
    assert on(student, exercise, "web1", "test -e /etc/webapp/hotfix")[0] == 1

    assert served(env) == {
        ("jq", "1.6-2.1+deb12u2"): "published", ("libjq1", "1.6-2.1+deb12u2"): "published",
        ("libonig5", "6.9.8-1"): "published", ("tree", "2.1.0-1"): "published",
        ("libwebapp", "1.0"): "published", ("libwebapp", "1.1"): "published",
        ("webapp", "1.0"): "published", ("webapp", "2.0"): "published",
    }, "webapp 2.1 waits for its trigger and is not shown"
    table = lab("repo", "list", env=env).stdout
    assert "webapp" in table and "published" in table


# --- a rollout meeting the faults --------------------------------------------------------


def rollout(env: dict[str, str], student: str, exercise: str) -> list[str]:
    """webapp 2.0 one server at a time, as a learner's script would; returns what was seen."""
    seen = []
    first = install(env, "web1", "webapp=2.0")
    assert first.returncode == 0, first.stdout
    again = run_lab("run", "-s", "web1", "--",
                    "apt-get clean && apt-get install -y --reinstall webapp=2.0", env=env)
    assert again.returncode == 0 and "Get:1 http://repo ./ webapp 2.0" in again.stdout
    seen.append(fault_log(student, exercise))  # web1 fetched 2.0 twice: still one server
    second = install(env, "web2", "webapp=2.0")
    seen.append(f"web2 exit {second.returncode}: {'refusing to configure' in second.stdout}")
    seen.append(fault_log(student, exercise))
    update = run_lab("run", "-s", "web3", "--", f"apt-get update {NO_RETRY}", env=env)
    seen.append(f"web3 update exit {update.returncode}: {'W: Failed to fetch' in update.stdout}")
    third = install(env, "web3", "webapp=2.0")
    seen.append(f"web3 install exit {third.returncode}: "
                f"{'E: Failed to fetch http://repo/./pool/webapp_2.0_all.deb' in third.stdout}")
    return seen


def test_a_rollout_meets_each_fault_on_cue_and_ends_the_same_way_twice(
        tmp_path: Path, student: str) -> None:
    exercise = "03-rollout"
    env = {**write_exercise(tmp_path, exercise, STORY), "LAB_STUDENT": student}
    lab("start", exercise, env=env)
    seen = rollout(env, student, exercise)

    after_web1, web2, after_web2, web3_update, web3_install = seen
    assert "fault 2 fired: publish webapp 2.1" in after_web1, "the 1st fetch fires `publish`"
    assert "fault 3 fired" not in after_web1, "repo-down waits for the 2nd server"
    assert web2 == "web2 exit 1: True"  # the hotfix makes 2.0's postinst fail
    assert "fault 3 fired: repository unreachable for web3" in after_web2
    assert web3_update == "web3 update exit 0: True", "apt-get update only warns"
    assert web3_install == "web3 install exit 1: True", "apt-get install cannot fetch"
    states = dpkg_states(student, exercise)
    assert states == {
        "web1": "libwebapp=1.0:ii webapp=2.0:ii",
        "web2": "libwebapp=1.0:ii webapp=2.0:iF",  # half-configured
        "web3": "libwebapp=1.1:hi webapp=1.0:ii",  # cut off before it could upgrade
    }
    assert on(student, exercise, "web2", "dpkg --audit")[1].strip() != ""
    assert on(student, exercise, "web1", "dpkg --audit")[1].strip() == ""
    assert page(student, exercise, "web1", "/version") == "2.0"
    assert page(student, exercise, "web2", "/version") == "1.0", "2.0 never configured"
    assert served(env)[("webapp", "2.1")] == "published"

    lab("repo", "heal", env=env)
    assert install(env, "web3", "webapp=2.0").returncode == 0, "the repository is back"

    lab("reset", exercise, env=env)
    assert rollout(env, student, exercise) == seen
    assert dpkg_states(student, exercise) == states


# --- a flaky repository ------------------------------------------------------------------


def failed_requests(student: str, exercise: str) -> set[tuple[str, str]]:
    """(server, path) of every request the repository answered 503, from its access log."""
    log = docker("exec", f"lab-{student}-{exercise}-repo", "cat",
                 "/var/log/nginx/repo-access.log")
    return {(fields[1], fields[3]) for fields in map(str.split, log.splitlines())
            if fields[2] == "503"}


def requested(student: str, exercise: str) -> set[tuple[str, str]]:
    log = docker("exec", f"lab-{student}-{exercise}-repo", "cat",
                 "/var/log/nginx/repo-access.log")
    return {(fields[1], fields[3]) for fields in map(str.split, log.splitlines())}


def test_a_flaky_repository_fails_the_same_requests_on_every_run(
        tmp_path: Path, student: str) -> None:
    exercise = "04-flaky"
    env = {**write_exercise(tmp_path, exercise, FLAKY), "LAB_STUDENT": student}
    lab("start", exercise, env=env)
    first = flaky_run(env, student, exercise)
    lab("reset", exercise, env=env)
    second = flaky_run(env, student, exercise)

    assert second == first, "the same requests fail, the same servers miss webapp"
    failed, installed = first
    assert failed == {pair for pair in requested(student, exercise) if fails(*pair, 20)}, \
        "nginx fails exactly the (server, path) pairs the lab predicts"
    assert failed, "at 20% some requests fail"
    assert set(installed.values()) == {"1.0", ""}, "some servers got webapp, some did not"


def flaky_run(env: dict[str, str], student: str,
              exercise: str) -> tuple[set[tuple[str, str]], dict[str, str]]:
    run_lab("run", "--all", "--", f"apt-get update {NO_RETRY}; "
            f"apt-get install -y {NO_RETRY} webapp=1.0", env=env)
    installed = {server: on(student, exercise, server,
                            "dpkg-query -W -f='${Version}' webapp 2>/dev/null")[1]
                 for server in WEBS}
    return failed_requests(student, exercise), installed
