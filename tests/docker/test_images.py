"""The lab's images on a real engine: rebuild rules, bundles, prune and the root's origin."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from lab.docker import engine
from lab.environment import current_settings
from lab.images import definitions
from lab.settings import Settings
from tests.docker.conftest import docker
from tests.helpers import run_lab

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

DEFAULTS = Settings(home=Path("/nonexistent"), student="learner")  # the images' names and folder
LAB_REFS = [spec.ref_for(DEFAULTS) for spec in definitions.SPECS]


def image_ids(refs: list[str], host: str | None = None) -> dict[str, str]:
    return {ref: docker("image", "inspect", "-f", "{{.Id}}", ref, host=host) for ref in refs}


def test_build_with_nothing_changed_keeps_every_image() -> None:
    before = image_ids(LAB_REFS)
    result = run_lab("images", "build")
    assert result.returncode == 0, result.stderr
    assert f"{len(definitions.SPECS)} images up to date" in result.stdout
    assert image_ids(LAB_REFS) == before


def test_a_changed_file_rebuilds_that_image_only(tmp_path: Path) -> None:
    prefix = f"lab-test-{os.getpid()}"
    images = tmp_path / "images"
    shutil.copytree(DEFAULTS.images_dir, images)
    env = {"LAB_IMAGES": str(images), "LAB_IMAGE_PREFIX": prefix}
    try:
        first = run_lab("images", "build", env=env)
        assert first.returncode == 0, first.stderr
        page = images / "server" / "rootfs" / "usr" / "local" / "sbin" / "lab-version-page"
        page.write_text(page.read_text() + "# a learner's change\n")
        second = run_lab("images", "build", env=env)
        assert second.returncode == 0, second.stderr
        assert f"{prefix}/server:latest built" in second.stdout
        assert f"{prefix}/base:latest built" not in second.stdout
        assert f"{prefix}/repo:latest built" not in second.stdout
        marker = docker(
            "run",
            "--rm",
            "--entrypoint",
            "tail",
            f"{prefix}/server:latest",
            "-n1",
            "/usr/local/sbin/lab-version-page",
        )
        assert marker == "# a learner's change"
    finally:
        for name in definitions.BY_NAME:
            docker("rmi", f"{prefix}/{name}:latest", check=False)


def test_bundle_round_trip_into_a_clean_engine(tmp_path: Path, second_engine: str) -> None:
    bundle = tmp_path / "classroom.tar"
    saved = run_lab("images", "save", str(bundle))
    assert saved.returncode == 0, saved.stderr
    assert f"saved {len(LAB_REFS) + 1} images" in saved.stdout  # and the Debian root

    clean = {"DOCKER_HOST": second_engine}
    empty = run_lab("images", "list", env=clean)
    assert "No lab images yet" in empty.stdout

    loaded = run_lab("images", "load", str(bundle), env=clean)
    assert loaded.returncode == 0, loaded.stderr
    listed = run_lab("images", "list", "--json", env=clean)
    names = {row["name"] for row in __import__("json").loads(listed.stdout)}
    assert names == {"root", *definitions.BY_NAME}
    assert image_ids(LAB_REFS, host=second_engine) == image_ids(LAB_REFS)


def test_prune_leaves_images_the_lab_did_not_make(tmp_path: Path, second_engine: str) -> None:
    bundle = tmp_path / "classroom.tar"
    assert run_lab("images", "save", str(bundle)).returncode == 0
    clean = {"DOCKER_HOST": second_engine}
    assert run_lab("images", "load", str(bundle), env=clean).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "hello").write_text("not a lab image\n")
    docker(
        "import",
        "--change",
        'CMD ["/hello"]',
        str(_tar(empty, tmp_path)),
        "someone-else:1",
        host=second_engine,
    )

    pruned = run_lab("images", "prune", "--all", env=clean)
    assert pruned.returncode == 0, pruned.stderr
    assert "No lab images yet" in run_lab("images", "list", env=clean).stdout
    assert docker("image", "inspect", "-f", "{{.Id}}", "someone-else:1", host=second_engine)


def test_a_learners_image_is_theirs_not_the_labs(
    tmp_path: Path, second_engine: str, student: str
) -> None:
    """Listed apart as "Your images", never pruned or bundled as the lab's; `--mine` prunes."""
    from lab.images import bundle

    saved = tmp_path / "classroom.tar"
    assert run_lab("images", "save", str(saved)).returncode == 0
    clean = {"DOCKER_HOST": second_engine, "LAB_STUDENT": student}
    assert run_lab("images", "load", str(saved), env=clean).returncode == 0
    with engine.using(engine.Engine(host=second_engine)):
        rebuilt = _learner_image(tmp_path, student, "1.0")  # then t1 again: this one is untagged
        mine = _learner_image(tmp_path, student, "2.0")
        bundled = bundle.bundle_refs(DEFAULTS)

    listed = run_lab("images", "list", env=clean)
    assert listed.returncode == 0, listed.stderr
    lab_part, _, my_part = listed.stdout.partition("Your images")
    assert f"lab-{student}/app:t1" in my_part and "2.0" in my_part
    assert mine.removeprefix("sha256:")[:12] in my_part
    assert "<untagged> (was t1)" in my_part and rebuilt.removeprefix("sha256:")[:12] in my_part
    assert "immutable-lab/server:latest" in lab_part and student not in lab_part
    as_json = json.loads(run_lab("images", "list", "--json", env=clean).stdout)
    assert {row["name"] for row in as_json} == {"root", *definitions.BY_NAME}
    assert not [ref for ref in bundled if student in ref]

    pruned = run_lab("images", "prune", "--all", env=clean)
    assert pruned.returncode == 0, pruned.stderr
    assert student not in pruned.stdout
    assert _image_id(f"lab-{student}/app:t1", second_engine) == mine
    assert _image_id(rebuilt, second_engine) == rebuilt

    only_untagged = run_lab("images", "prune", "--mine", env=clean)
    assert only_untagged.returncode == 0, only_untagged.stderr
    assert only_untagged.stdout.split() == ["removed", rebuilt.removeprefix("sha256:")[:12]]
    assert _image_id(f"lab-{student}/app:t1", second_engine) == mine
    everything = run_lab("images", "prune", "--mine", "--all", env=clean)
    assert everything.stdout.split() == ["removed", f"lab-{student}/app:t1"], everything.stderr
    assert "You have built no images yet" in run_lab("images", "list", "--mine", env=clean).stdout
    # The lab's images a learner's image was built on went with it, once it was gone.
    assert run_lab("images", "prune", env=clean).returncode == 0
    assert "No lab images yet" in run_lab("images", "list", env=clean).stdout


def _learner_image(where: Path, student: str, version: str) -> str:
    """`lab-STUDENT/app:t1` as `lab build` makes one: the same engine call, the same labels."""
    from datetime import datetime, timezone

    from lab.docker import images, labels

    context = where / f"context-{version}"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {definitions.BY_NAME['server'].ref_for(DEFAULTS)}\nLABEL version={version}\n")
    image_labels = labels.managed(
        student=student, exercise="07-golden-image", role="app", tag="t1",
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return images.build(context, f"lab-{student}/app:t1", image_labels, {}, lambda _: None)


def _image_id(ref: str, host: str) -> str:
    return docker("image", "inspect", "-f", "{{.Id}}", ref, host=host)


def _tar(folder: Path, where: Path) -> Path:
    import tarfile

    path = where / "plain.tar"
    with tarfile.open(path, "w") as archive:
        archive.add(folder, arcname=".")
    return path


def test_no_registry_means_a_fast_failed_pull_then_bootstrap(second_engine: str) -> None:
    """On an engine with no Debian image and no registry, the root is bootstrapped."""
    from lab.images import root

    settings = current_settings()  # online: this test's LAB_HOME, LAB_OFFLINE unset
    notes: list[tuple[float, str]] = []
    started = time.monotonic()
    with engine.using(engine.Engine(host=second_engine)):
        resolved = root.resolve(lambda note: notes.append((time.monotonic() - started, note)),
                                settings)
        again: list[str] = []
        resolved_again = root.resolve(again.append, settings)
    assert resolved == root.BOOTSTRAPPED
    said = [note for _, note in notes]
    assert said[0] == f"pulling {root.OFFICIAL}"
    assert "registry failed" in said[1] and "lab images bootstrap" in said[1]
    assert notes[1][0] < 10, "the failed pull must not keep the learner waiting"
    labels = docker(
        "image", "inspect", "-f", "{{json .Config.Labels}}", root.BOOTSTRAPPED, host=second_engine
    )
    assert '"lab.image":"root"' in labels and '"lab.managed":"true"' in labels

    assert resolved_again == root.BOOTSTRAPPED
    assert again == [], "a root image already present is used without any pull"
