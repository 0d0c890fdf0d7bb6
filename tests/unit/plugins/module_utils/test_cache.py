"""The image cache API against a fake Glance (the modules: tests/unit/plugins/modules/test_module_image_cache*.py)."""

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _cache
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from fakes import CACHE_IMAGE_ID as IMAGE_ID, FakeGlanceCache


def test_waiting_gives_up_at_the_timeout():
    fake = FakeGlanceCache(queued=[IMAGE_ID], delay=10 ** 6)
    client = GlanceClient(fake.session, "http://glance.test", sleep=lambda s: None)
    clock = iter(range(0, 10 ** 6, 10))
    with pytest.raises(GlanceError, match="is not cached after 30 s"):
        _cache.wait_until_cached(client, IMAGE_ID, 30, sleep=lambda s: None, clock=lambda: next(clock))


def test_only_active_images_are_cached():
    with pytest.raises(InputError, match="Glance caches only active images"):
        _cache.check_cacheable({"id": IMAGE_ID, "name": "img", "status": "queued"})
