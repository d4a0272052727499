"""The learner's images: tags, where they live, and which image a `lab deploy` means."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.deploy import builds
from lab.docker import images
from lab.docker.images import ImageInfo
from lab.errors import UsageError
from lab.settings import Settings

IMAGE = ImageInfo(id="sha256:" + "c" * 64, tags=("lab-ann/app:v2",), labels={},
                  created="", size=0)


def settings(student: str = "ann") -> Settings:
    return Settings(home=Path("/nonexistent"), student=student)


@pytest.mark.parametrize("tag", ["v2", "2.0", "latest", "release_1", "V2-rc.1", "x" * 128])
def test_valid_tags(tag: str) -> None:
    assert builds.check_tag(tag) == tag


@pytest.mark.parametrize("tag", ["v 2", "-x", ".x", "x" * 129, "", "a:b", "a/b"])
def test_invalid_tags_are_usage_errors(tag: str) -> None:
    with pytest.raises(UsageError, match="is not a valid image tag"):
        builds.check_tag(tag)


def test_each_student_has_a_repository_of_their_own() -> None:
    assert builds.repository(settings("ann")) == "lab-ann/app"
    assert builds.repository(settings("learner")) == "lab-learner/app"
    assert builds.repository(settings("a_b")) == "lab-a_b/app"


@pytest.mark.parametrize(("student", "neighbour"), [
    ("ann.", "ann"), ("ann-", "ann"), ("ann_", "ann"), ("a..b", "a-b"), ("a___b", "a_b"),
    ("a.-b", "a.b"),
])
def test_a_student_name_docker_would_refuse_still_gives_a_valid_repository(
    student: str, neighbour: str,
) -> None:
    """Student names allow what image names do not (`ann.`): the repository must still be
    valid, and not the one of a student whose name differs only in punctuation."""
    name = builds.repository(settings(student))
    assert name.endswith("/app")
    assert builds.IMAGE_PATH_COMPONENT.match(name.removesuffix("/app")), name
    assert name != builds.repository(settings(neighbour))
    assert name == builds.repository(settings(student)), "the same student, the same name"


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake engine holding one image, `lab-ann/app:v2` (also known by its id and
    `web:1`); returns the references asked for, in order."""
    asked: list[str] = []
    known = {"lab-ann/app:v2", IMAGE.id, "web:1"}

    def inspect(ref: str) -> ImageInfo | None:
        asked.append(ref)
        return IMAGE if ref in known else None

    monkeypatch.setattr(images, "inspect", inspect)
    return asked


def test_a_bare_tag_is_the_students_own_first(engine: list[str]) -> None:
    assert builds.resolve(settings(), " v2 ") == IMAGE
    assert engine == ["lab-ann/app:v2"]


def test_a_bare_name_falls_back_to_the_engines_meaning(engine: list[str]) -> None:
    with pytest.raises(UsageError):
        builds.resolve(settings(), "v9")
    assert engine == ["lab-ann/app:v9", "v9"]


def test_a_full_reference_is_taken_as_it_is(engine: list[str]) -> None:
    assert builds.resolve(settings(), "web:1") == IMAGE
    assert engine == ["web:1"]


def test_an_image_id_is_taken_as_it_is(engine: list[str]) -> None:
    assert builds.resolve(settings(), IMAGE.id) == IMAGE
    assert engine == [IMAGE.id]


def test_an_unknown_image_says_how_to_build_it(engine: list[str]) -> None:
    with pytest.raises(UsageError) as raised:
        builds.resolve(settings(), "v9")
    assert "there is no image 'v9'" in raised.value.line()
    assert "lab build v9" in raised.value.line()


def test_no_image_is_a_usage_error_before_the_engine(engine: list[str]) -> None:
    with pytest.raises(UsageError, match="no image given"):
        builds.resolve(settings(), "  ")
    assert engine == []


def test_display_name_prefers_the_students_tag() -> None:
    mixed = ImageInfo(id=IMAGE.id, tags=("web:1", "lab-ann/app:v2"), labels={}, created="",
                      size=0)
    assert builds.display_name(mixed, settings()) == "lab-ann/app:v2"
    assert builds.display_name(mixed, settings("bob")) == "web:1"
    untagged = ImageInfo(id=IMAGE.id, tags=(), labels={}, created="", size=0)
    assert builds.display_name(untagged, settings()) == "c" * 12
