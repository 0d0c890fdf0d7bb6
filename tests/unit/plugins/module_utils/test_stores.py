"""image_store's plan and the store details (the module itself: tests/unit/plugins/modules/test_module_image_store.py)."""

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _stores
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from fakes import FakeResponse, FakeSession

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
STORES = [dict(id="fast", default=True, description="", read_only=False),
          dict(id="cheap", default=False, description="", read_only=False),
          dict(id="web", default=False, description="", read_only=True)]


def image(stores="fast", status="active"):
    return {"id": IMAGE_ID, "name": "img", "status": status, "stores": stores}


def test_present_adds_only_the_missing_stores():
    assert _stores.plan_stores(image("fast"), STORES, ["fast", "cheap"], "present") == (["cheap"], [])
    assert _stores.plan_stores(image("fast,cheap"), STORES, ["cheap"], "present") == ([], [])


def test_absent_removes_only_stores_that_hold_it():
    assert _stores.plan_stores(image("fast,cheap"), STORES, ["cheap", "web"], "absent") == ([], ["cheap"])
    assert _stores.plan_stores(image("fast"), STORES, ["cheap"], "absent") == ([], [])


@pytest.mark.parametrize("img, requested, state, says", [
    (image("fast"), ["fast"], "absent", "stores: removing fast would leave image .* without data"),
    (image("fast,cheap"), ["fast", "cheap"], "absent", "Glance refuses to delete the last copy"),
    (image("fast"), ["slow"], "present", "stores: this cloud has no store 'slow'; its stores: fast, cheap, web"),
    (image("", status="queued"), ["fast"], "present", "image: image img .* is queued"),
])
def test_refusals_name_the_option(img, requested, state, says):
    with pytest.raises(InputError, match=says):
        _stores.plan_stores(img, STORES, requested, state)


def test_a_single_store_cloud_is_refused():
    with pytest.raises(InputError, match="stores: this cloud has a single store"):
        _stores.plan_stores(image("fast"), [], ["fast"], "present")


def test_store_details_need_an_admin():
    responses = iter([FakeResponse(300, {"versions": [{"id": "v2.15", "status": "CURRENT"}]}),
                      FakeResponse(403, {"message": "forbidden"})])
    client = GlanceClient(FakeSession(lambda m, u, k: next(responses)), "http://details.test")
    assert _stores.store_details(client) == {}
    responses = iter([FakeResponse(300, {"versions": [{"id": "v2.15", "status": "CURRENT"}]}),
                      FakeResponse(200, {"stores": [{"id": "fast", "type": "file", "weight": 100,
                                                     "properties": {"data_dir": "/d"}}]})])
    client = GlanceClient(FakeSession(lambda m, u, k: next(responses)), "http://details2.test")
    assert _stores.store_details(client) == {"fast": {"type": "file", "weight": 100, "properties": {"data_dir": "/d"}}}
