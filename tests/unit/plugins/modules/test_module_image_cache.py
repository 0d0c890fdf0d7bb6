"""imagecat.glance.image_cache (ImageCacheModule) against a fake image cache: queue and wait, clear,
clean and prune, check mode, idempotence, refusals before any write."""

import pytest
from fakes import CACHE_IMAGE_ID as IMAGE_ID, FakeGlanceCache, FakeResponse, connector

from ansible_collections.imagecat.glance.plugins.module_utils import _cache
from ansible_collections.imagecat.glance.plugins.modules.image_cache import ImageCacheModule


@pytest.fixture
def glance(monkeypatch):
    return connector(monkeypatch, _cache)


def run(args, module=ImageCacheModule, check_mode=False):
    return module.run_in_controller("image_cache", dict(args, cloud="test"), check_mode=check_mode, diff=True)


def test_queue_and_wait_until_cached_then_unchanged(glance):
    fake = glance(FakeGlanceCache(delay=2))
    result = run({"image": IMAGE_ID})
    assert result["changed"] is True and result["cache_state"] == "cached"
    assert fake.writes == [("PUT", "/v2/cache/%s" % IMAGE_ID, None)]
    assert result["diff"]["before"]["cached_images"] == [] and result["cache"]["cached_images"] == [IMAGE_ID]
    again = run({"image": IMAGE_ID})
    assert again["changed"] is False and len(fake.writes) == 1


def test_queued_or_cached_images_are_not_queued_again(glance):
    fake = glance(FakeGlanceCache(queued=[IMAGE_ID], delay=99))
    assert run({"image": IMAGE_ID, "state": "queued"})["changed"] is False
    assert fake.writes == []


def test_check_mode_predicts_without_writing(glance):
    fake = glance(FakeGlanceCache(cached=[IMAGE_ID]))
    deleted = run({"image": IMAGE_ID, "state": "absent"}, check_mode=True)
    cleared = run({"clear": "queue"}, check_mode=True)
    assert deleted["changed"] is True and deleted["cache"]["cached_images"] == []
    assert cleared["changed"] is False
    assert fake.writes == []


@pytest.mark.parametrize("target, header", [("cache", "cache"), ("queue", "queue"), ("both", None)])
def test_clear_sends_the_clear_target_header(glance, target, header):
    fake = glance(FakeGlanceCache(cached=["a"], queued=["b"], delay=99))
    result = run({"clear": target})
    assert result["changed"] is True
    assert fake.writes == [("DELETE", "/v2/cache", header)]


def test_prune_reports_what_it_pruned(glance):
    glance(FakeGlanceCache())
    result = run({"prune": True})
    assert result["changed"] is False and result["pruned"]["total_files_pruned"] == 0


def test_clean_and_prune_are_refused_before_2_18(glance):
    fake = glance(FakeGlanceCache(versions=FakeResponse(300, {"versions": [{"id": "v2.17", "status": "CURRENT"}]})))
    result = run({"clean": True})
    assert result["failed"] is True
    assert "clean: this Image service does not offer POST /v2/cache/clean (Image API 2.18" in result["msg"]
    assert fake.writes == []


@pytest.mark.parametrize("status, says", [(403, "the image cache API is for admins only"),
                                          (404, "this Image service has no image cache")])
def test_no_admin_or_no_cache_is_a_clear_error_before_any_write(glance, status, says):
    fake = glance(FakeGlanceCache(status=status))
    result = run({"image": IMAGE_ID})
    assert result["failed"] is True and result["status"] == status and says in result["msg"]
    assert fake.writes == []
