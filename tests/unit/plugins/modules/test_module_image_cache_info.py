"""imagecat.glance.image_cache_info (ImageCacheInfoModule) against a fake image cache."""

import pytest
from fakes import CACHE_IMAGE_ID as IMAGE_ID, FakeGlanceCache
from test_module_image_cache import glance  # noqa: F401  pylint: disable=unused-import

from ansible_collections.imagecat.glance.plugins.modules.image_cache_info import ImageCacheInfoModule


def run(args):
    return ImageCacheInfoModule.run_in_controller("image_cache_info", dict(args, cloud="test"))


def test_info_lists_one_image_with_its_nodes(glance):  # noqa: F811
    glance(FakeGlanceCache(cached=[IMAGE_ID, "other"]))
    result = run({"image": IMAGE_ID})
    assert result["cache_state"] == "cached"
    assert [e["image_id"] for e in result["cached_images"]] == [IMAGE_ID]
    assert result["nodes"] == ["http://node-1"]


def test_info_without_image_lists_the_whole_cache(glance):  # noqa: F811
    fake = glance(FakeGlanceCache(cached=[IMAGE_ID, "other"], queued=["q1"], delay=99))
    result = run({})
    assert result["changed"] is False
    assert [e["image_id"] for e in result["cached_images"]] == sorted([IMAGE_ID, "other"])
    assert result["queued_images"] == ["q1"] and "cache_state" not in result
    assert fake.writes == []


@pytest.mark.parametrize("status, says", [(403, "the image cache API is for admins only"),
                                          (404, "this Image service has no image cache")])
def test_no_admin_or_no_cache_is_a_clear_error(glance, status, says):  # noqa: F811
    glance(FakeGlanceCache(status=status))
    result = run({})
    assert result["failed"] is True and result["status"] == status and says in result["msg"]
