"""Package sources become the exact trees dpkg-deb packs, with a digest that is the cache key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import UsageError
from lab.repo.sources import source_folder, stage, stage_all
from lab.repo.specs import PackageRef

SHARED = Path(__file__).resolve().parents[3] / "exercises" / "packages"
WEBAPP_2 = PackageRef("webapp", "2.0")


def write_source(root: Path, ref: PackageRef, files: dict[str, str]) -> Path:
    folder = root / "packages" / ref.name / ref.version
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def tree(ref: PackageRef, folder: Path) -> dict[str, tuple[int, bytes | None]]:
    return {entry.path: (entry.mode, entry.data) for entry in stage(ref, folder).entries}


def test_the_shared_webapp_has_its_control_conffile_and_scripts() -> None:
    staged = stage(WEBAPP_2, SHARED / "webapp" / "2.0")
    entries = {entry.path: entry for entry in staged.entries}
    control = entries["DEBIAN/control"].data
    assert control is not None
    assert control.decode().splitlines()[:5] == [
        "Package: webapp", "Version: 2.0", "Architecture: all",
        "Maintainer: immutable-lab <lab@immutable-lab.invalid>", "Installed-Size: 3"]
    assert "Depends: libwebapp (>= 1.0)" in control.decode()
    assert control.decode().splitlines()[-2].startswith("Description: ")
    assert entries["DEBIAN/conffiles"].data == b"/etc/webapp/webapp.conf\n"
    assert entries["DEBIAN/postinst"].mode == 0o755
    assert entries["etc/webapp/webapp.conf"].mode == 0o644
    assert staged.filename == "webapp_2.0_all.deb"


def test_every_shared_package_stages() -> None:
    refs = [PackageRef(package.parent.name, package.name)
            for package in sorted(SHARED.glob("*/*")) if package.is_dir()]
    assert len(refs) == 8
    assert len({package.digest for package in stage_all(SHARED.parent / "01-any", refs)}) == 8


def test_the_digest_is_stable_and_follows_every_byte_and_the_exec_bit(tmp_path: Path) -> None:
    ref = PackageRef("demo", "1.0")
    folder = write_source(tmp_path, ref, {"control": "Description: d\n",
                                          "files/usr/bin/demo": "#!/bin/sh\n"})
    first = stage(ref, folder).digest
    assert stage(ref, folder).digest == first
    (folder / "files/usr/bin/demo").chmod(0o755)
    executable = stage(ref, folder).digest
    assert executable != first
    (folder / "control").write_text("Description: changed\n")
    assert stage(ref, folder).digest not in (first, executable)


def test_an_exercise_s_own_source_wins_over_the_shared_one(tmp_path: Path) -> None:
    exercise = tmp_path / "02-demo"
    own = write_source(exercise, WEBAPP_2, {"control": "Description: own\n"})
    shared = write_source(tmp_path, WEBAPP_2, {"control": "Description: shared\n"})
    assert source_folder(exercise, WEBAPP_2) == own
    assert source_folder(exercise, PackageRef("webapp", "1.0")) is None
    (own / "control").unlink()
    own.rmdir()
    assert source_folder(exercise, WEBAPP_2) == shared


def test_control_fields_keep_continuations_and_drop_comments(tmp_path: Path) -> None:
    ref = PackageRef("demo", "1.0")
    folder = write_source(tmp_path, ref, {"control": (
        "# a comment\nDepends: libwebapp\nDescription: short\n long text\n .\n more\n"
        "Architecture: amd64\n")})
    control = tree(ref, folder)["DEBIAN/control"][1]
    assert control == (b"Package: demo\nVersion: 1.0\nArchitecture: amd64\n"
                       b"Maintainer: immutable-lab <lab@immutable-lab.invalid>\n"
                       b"Installed-Size: 0\nDepends: libwebapp\n"
                       b"Description: short\n long text\n .\n more\n")
    assert stage(ref, folder).filename == "demo_1.0_amd64.deb"


@pytest.mark.parametrize(("files", "message"), [
    ({"control": "Description: d\n", "postinstall": "#!/bin/sh\n"},
     "postinstall: unknown file in a package source"),
    ({"files/x": "x"}, "no control file"),
    ({"control": "Depends: x\n"}, "no Description field"),
    ({"control": "Description: d\nVersion: 2.0\n"}, "Version is '2.0' but the folder says '1.0'"),
    ({"control": "Description d\n"}, "control:1: expected 'Field: value'"),
    ({"control": "Description: d\n", "postinst": "set -e\n"},
     "postinst: a maintainer script must start with '#!'"),
])
def test_a_source_mistake_names_its_file(tmp_path: Path, files: dict[str, str],
                                         message: str) -> None:
    ref = PackageRef("demo", "1.0")
    folder = write_source(tmp_path, ref, files)
    with pytest.raises(UsageError, match=message):
        stage(ref, folder)


def test_a_missing_source_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        stage_all(tmp_path / "02-demo", [PackageRef("webapp", "9.9")])
    assert "package webapp 9.9 has no source" in caught.value.line()
    assert "02-demo/packages/webapp/9.9/" in caught.value.line()
