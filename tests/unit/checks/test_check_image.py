"""The image check: which image a server runs, by tag, id and labels."""

from __future__ import annotations

from lab.checks.image import full_reference
from tests.unit.checks.fakes import FakeExecutor, make_check, server_info, verdicts

V1_ID = "sha256:" + "1" * 64
V2_ID = "sha256:" + "2" * 64


def fleet() -> FakeExecutor:
    return FakeExecutor(
        infos={
            "web1": server_info("web1", image_id=V2_ID, tags=("lab/web:v2",), labels={"v": "2"}),
            "web2": server_info("web2", image_id=V1_ID, tags=("lab/web:v1",), labels={"v": "1"}),
        }
    )


def test_tag_check_names_the_server_still_on_the_old_image() -> None:
    results = verdicts(
        make_check({"kind": "image", "tag": "lab/web:v2"}), fleet(), ["web1", "web2"]
    )
    assert [result.ok for result in results] == [True, False]
    assert results[1].reason == "web2: runs lab/web:v1 (111111111111), expected lab/web:v2"


def test_a_name_without_tag_means_latest_like_docker() -> None:
    fake = FakeExecutor(infos={"web1": server_info("web1", tags=("lab/web:latest",))})
    assert verdicts(make_check({"kind": "image", "tag": "lab/web"}), fake)[0].ok
    assert full_reference("localhost:5000/web") == "localhost:5000/web:latest"


def test_digest_matches_a_prefix_of_the_image_id() -> None:
    check = make_check({"kind": "image", "digest": "sha256:222222222222"})
    results = verdicts(check, fleet(), ["web1", "web2"])
    assert [result.ok for result in results] == [True, False]
    assert results[1].reason == "web2: runs image 111111111111, expected 222222222222"


def test_labels_show_found_and_expected_values() -> None:
    check = make_check({"kind": "image", "labels": {"v": "2", "team": "web"}})
    [result] = verdicts(check, fleet(), ["web2"])
    assert result.reason == (
        "web2: its image has label v=1, expected v=2; "
        "its image has no label team, expected team=web"
    )


def test_an_untagged_image_says_so() -> None:
    fake = FakeExecutor(infos={"web1": server_info("web1", image_id=V1_ID, tags=())})
    [result] = verdicts(make_check({"kind": "image", "tag": "lab/web:v2"}), fake)
    assert result.reason == "web1: runs an untagged image (111111111111), expected lab/web:v2"
