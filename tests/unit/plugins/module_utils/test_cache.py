"""The image cache API and the image_cache / image_cache_info modules against a fake Glance."""

from urllib.parse import urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _cache
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.modules.image_cache import ImageCacheModule
from ansible_collections.imagecat.glance.plugins.modules.image_cache_info import ImageCacheInfoModule
from fakes import FakeResponse, FakeSession, connect_modules_to

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
VERSIONS = FakeResponse(300, {"versions": [{"id": "v2.18", "status": "CURRENT"}, {"id": "v2.14", "status": "SUPPORTED"}]})


class FakeGlanceCache:
    """A cache that caches a queued image after ``delay`` listings; records the requests."""

    def __init__(self, cached=(), queued=(), delay=1, status=200, versions=VERSIONS):
        self.cached, self.queued, self.delay = list(cached), list(queued), delay
        self.status, self.versions = status, versions
        self.writes = []
        self.session = FakeSession(self.respond)

    def respond(self, method, url, kwargs):
        path = urlsplit(url).path
        if path == "/":
            return self.versions
        if method != "GET":
            self.writes.append((method, path, (kwargs.get("headers") or {}).get("x-image-cache-clear-target")))
        if path == "/v2/images/%s" % IMAGE_ID:
            return FakeResponse(200, {"id": IMAGE_ID, "name": "img", "status": "active"})
        if (method, path) == ("GET", "/v2/cache"):
            if self.status != 200:
                return FakeResponse(self.status, {"message": "no"})
            if self.queued and self.delay <= 0:
                self.cached, self.queued = self.cached + self.queued, []
            self.delay -= 1
            return FakeResponse(200, {"cached_images": [{"image_id": i, "size": 1} for i in self.cached],
                                      "queued_images": list(self.queued)})
        if (method, path) == ("PUT", "/v2/cache/%s" % IMAGE_ID):
            self.queued.append(IMAGE_ID)
            return FakeResponse(202, text="")
        if (method, path) == ("DELETE", "/v2/cache/%s" % IMAGE_ID):
            self.cached = [i for i in self.cached if i != IMAGE_ID]
            self.queued = [i for i in self.queued if i != IMAGE_ID]
            return FakeResponse(204, text="")
        if (method, path) == ("DELETE", "/v2/cache"):
            self.cached, self.queued = [], []
            return FakeResponse(204, text="")
        if (method, path) == ("POST", "/v2/cache/prune"):
            return FakeResponse(200, {"total_files_pruned": 0, "total_bytes_pruned": 0})
        if (method, path) == ("GET", "/v2/cache/nodes/%s" % IMAGE_ID):
            return FakeResponse(200, ["http://node-1"])
        raise AssertionError("unexpected %s %s" % (method, path))


@pytest.fixture
def glance(monkeypatch):
    monkeypatch.setattr(_cache.time, "sleep", lambda s: None)

    def use(fake):
        connect_modules_to(monkeypatch, fake.session, "http://glance-%d.test" % id(fake))
        return fake
    return use


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


def test_info_lists_one_image_with_its_nodes(glance):
    glance(FakeGlanceCache(cached=[IMAGE_ID, "other"]))
    result = run({"image": IMAGE_ID}, module=ImageCacheInfoModule)
    assert result["cache_state"] == "cached"
    assert [e["image_id"] for e in result["cached_images"]] == [IMAGE_ID]
    assert result["nodes"] == ["http://node-1"]


def test_waiting_gives_up_at_the_timeout():
    fake = FakeGlanceCache(queued=[IMAGE_ID], delay=10 ** 6)
    client = GlanceClient(fake.session, "http://glance.test", sleep=lambda s: None)
    clock = iter(range(0, 10 ** 6, 10))
    with pytest.raises(GlanceError, match="is not cached after 30 s"):
        _cache.wait_until_cached(client, IMAGE_ID, 30, sleep=lambda s: None, clock=lambda: next(clock))


def test_only_active_images_are_cached():
    with pytest.raises(InputError, match="Glance caches only active images"):
        _cache.check_cacheable({"id": IMAGE_ID, "name": "img", "status": "queued"})
