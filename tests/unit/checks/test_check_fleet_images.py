"""The image kinds that read the learner's images: `image` with `built: true` (each server
runs an image the learner built) and `same-image` (every server runs one image)."""

from __future__ import annotations

from lab.checks.views import Image
from tests.unit.checks.fakes import FakeExecutor, make_check, server_info, verdicts

BUILT = "sha256:" + "b" * 64
LAB_SERVER = "sha256:" + "5" * 64
MINE = [Image(BUILT, "lab-learner/app:v2", ("lab-learner/app:v2",))]
WEBS = ["web1", "web2", "web3"]


def fleet(*image_ids: str) -> FakeExecutor:
    tags = {BUILT: ("lab-learner/app:v2",), LAB_SERVER: ("immutable-lab/server:latest",)}
    return FakeExecutor(infos={
        f"web{number}": server_info(f"web{number}", image_id=image_id, tags=tags[image_id])
        for number, image_id in enumerate(image_ids, start=1)})


def test_a_server_on_an_image_the_learner_built_passes_the_others_say_what_they_run() -> None:
    check = make_check({"kind": "image", "built": True, "remedy": "`lab deploy v2`"},
                       images=lambda: MINE)
    web1, web2 = verdicts(check, fleet(BUILT, LAB_SERVER), ["web1", "web2"])
    assert (web1.ok, web1.reason) == (
        True, "web1: runs lab-learner/app:v2 (bbbbbbbbbbbb), an image you built")
    assert (web2.ok, web2.reason) == (
        False, "web2: runs immutable-lab/server:latest (555555555555), not an image you "
               "built with `lab build`: `lab deploy v2`")


def test_one_image_everywhere_holds_and_names_it() -> None:
    check = make_check({"kind": "same-image"})
    [result] = verdicts(check, fleet(LAB_SERVER, LAB_SERVER, LAB_SERVER), WEBS)
    assert (result.ok, result.reason) == (
        True, "web1, web2, web3 all run immutable-lab/server:latest (555555555555)")


def test_a_split_fleet_is_told_group_by_group() -> None:
    check = make_check({"kind": "same-image", "built": True, "remedy": "`lab deploy v2`"},
                       images=lambda: MINE)
    [result] = verdicts(check, fleet(BUILT, LAB_SERVER, BUILT), WEBS)
    assert (result.ok, result.reason) == (
        False, "the fleet runs 2 different images: web1, web3 run lab-learner/app:v2 "
               "(bbbbbbbbbbbb); web2 runs immutable-lab/server:latest (555555555555): "
               "`lab deploy v2`")


def test_the_same_image_must_be_one_the_learner_built_when_asked() -> None:
    check = make_check({"kind": "same-image", "built": True}, images=lambda: MINE)
    [result] = verdicts(check, fleet(LAB_SERVER, LAB_SERVER, LAB_SERVER), WEBS)
    assert (result.ok, result.reason) == (
        False, "every server runs immutable-lab/server:latest (555555555555), not an image "
               "you built with `lab build`")
    [mine] = verdicts(check, fleet(BUILT, BUILT, BUILT), WEBS)
    assert (mine.ok, mine.reason) == (
        True, "web1, web2, web3 all run lab-learner/app:v2 (bbbbbbbbbbbb), the image you built")
