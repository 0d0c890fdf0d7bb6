"""imagecat.glance.image_tag (ImageTagModule): the tag patch it sends, check mode, idempotence, refusals."""

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.modules.image_tag import ImageTagModule

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
TAG_PATCH = ("PATCH", "/v2/images/" + IMAGE_ID)


@pytest.fixture
def tagged(cloud):
    cloud.images.append(image("a", IMAGE_ID, tags=["old", "keep"]))
    return cloud


def run(args, **kwargs):
    return ImageTagModule.run_in_controller("image_tag", dict(args, cloud="demo"), diff=True, **kwargs)


def test_adds_the_missing_tags_in_one_patch_then_is_unchanged(tagged):
    result = run({"image": "a", "tags": ["new", "keep"]})
    assert result["changed"] is True
    assert result["tags"] == ["keep", "new", "old"]
    assert result["diff"] == {"before": {"tags": ["keep", "old"]}, "after": {"tags": ["keep", "new", "old"]}}
    assert tagged.bodies == [TAG_PATCH + ([{"op": "replace", "path": "/tags", "value": ["keep", "new", "old"]}],)]
    assert tagged.images[0]["tags"] == ["keep", "new", "old"]

    again = run({"image": "a", "tags": ["new", "keep"]})
    assert again["changed"] is False
    assert again["tags"] == ["keep", "new", "old"]
    assert len(tagged.writes()) == 1


def test_purge_keeps_only_the_listed_tags(tagged):
    result = run({"image": IMAGE_ID, "tags": ["keep"], "purge": True})
    assert result["changed"] is True and result["tags"] == ["keep"]
    assert tagged.bodies[-1][2] == [{"op": "replace", "path": "/tags", "value": ["keep"]}]


def test_absent_removes_only_listed_tags_the_image_has(tagged):
    result = run({"image": "a", "tags": ["old", "never-there"], "state": "absent"})
    assert result["changed"] is True and result["tags"] == ["keep"]
    assert tagged.bodies[-1][2] == [{"op": "replace", "path": "/tags", "value": ["keep"]}]
    nothing = run({"image": "a", "tags": ["never-there"], "state": "absent"})
    assert nothing["changed"] is False and len(tagged.writes()) == 1


def test_check_mode_predicts_the_tags_without_a_write(tagged):
    result = run({"image": "a", "tags": ["new"], "purge": True}, check_mode=True)
    assert result["changed"] is True
    assert result["tags"] == ["new"]
    assert result["diff"]["after"] == {"tags": ["new"]}
    assert tagged.writes() == []
    assert tagged.images[0]["tags"] == ["old", "keep"]


@pytest.mark.parametrize("tags, says", [
    ([""], "tags: an empty tag ('') is listed; remove it"),
    (["x" * 256], "tags: the tag 'xxxx"),
    (["x" * 256], "is 256 characters long; Glance allows at most 255. Shorten it."),
    (["dup", "dup"], "tags: the tag 'dup' is listed twice."),
])
def test_bad_tags_fail_before_any_request(tagged, tags, says):
    result = run({"image": "a", "tags": tags})
    assert result["failed"] is True
    assert says in result["msg"]
    assert tagged.requests == []


def test_a_tag_of_255_characters_and_a_blank_one_are_sent(tagged):
    # Glance's schema allows 255 characters and no minimum: whitespace is a tag like any other.
    result = run({"image": "a", "tags": ["x" * 255, " "], "purge": True})
    assert result["changed"] is True
    assert tagged.bodies[-1][2][0]["value"] == sorted(["x" * 255, " "])


def test_an_unknown_image_is_a_clear_error_without_writes(tagged):
    result = run({"image": "nope", "tags": ["x"]})
    assert result["failed"] is True
    assert result["msg"] == "image: no image named or with id 'nope' is visible to this project."
    assert tagged.writes() == []


def test_the_tag_quota_is_named(tagged):
    tagged.refuse[TAG_PATCH] = (413, "Attempted: 3, Maximum: 2")
    result = run({"image": "a", "tags": ["new"]})
    assert result["failed"] is True and result["status"] == 413
    assert "image_tag_quota" in result["msg"] and "Attempted: 3, Maximum: 2" in result["msg"]
