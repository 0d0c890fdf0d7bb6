"""imagecat.glance.image_store (ImageStoreModule) against a fake multi-store Glance: copy and removal
through the right calls, check mode, idempotence, a refusal before any write."""

from urllib.parse import urlsplit

import pytest
from fakes import FakeResponse, FakeSession, connector

from ansible_collections.imagecat.glance.plugins.module_utils import _imports
from ansible_collections.imagecat.glance.plugins.modules.image_store import ImageStoreModule

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"


def image(stores="fast", status="active"):
    return {"id": IMAGE_ID, "name": "img", "status": status, "stores": stores}


class FakeGlance:
    def __init__(self, stores="fast", methods=("copy-image",)):
        self.stores, self.methods = stores, list(methods)
        self.writes = []
        self.session = FakeSession(self.respond)

    def respond(self, method, url, kwargs):
        path = urlsplit(url).path
        if path == "/":
            return FakeResponse(300, {"versions": [{"id": "v2.18", "status": "CURRENT"}]})
        if method != "GET":
            self.writes.append((method, path, kwargs.get("data")))
        if path == "/v2/info/stores":
            return FakeResponse(200, {"stores": [{"id": "fast", "default": "true"}, {"id": "cheap"}]})
        if path == "/v2/info/import":
            return FakeResponse(200, {"import-methods": {"value": self.methods}})
        if (method, path) == ("GET", "/v2/images/%s" % IMAGE_ID):
            return FakeResponse(200, image(self.stores))
        if (method, path) == ("POST", "/v2/images/%s/import" % IMAGE_ID):
            self.stores += ",cheap"
            return FakeResponse(202, text="")
        if path == "/v2/images/%s/tasks" % IMAGE_ID:
            return FakeResponse(200, {"tasks": [{"id": "t1", "status": "success", "created_at": "x"}]})
        if method == "DELETE" and path.startswith("/v2/stores/"):
            store = path.split("/")[3]
            self.stores = ",".join(s for s in self.stores.split(",") if s != store)
            return FakeResponse(204, text="")
        raise AssertionError("unexpected %s %s" % (method, path))


@pytest.fixture
def glance(monkeypatch):
    return connector(monkeypatch, _imports)


def run(args, check_mode=False):
    return ImageStoreModule.run_in_controller("image_store", dict(args, cloud="test"), check_mode=check_mode, diff=True)


def test_copy_goes_through_copy_image_for_the_missing_stores_only(glance):
    fake = glance(FakeGlance("fast"))
    result = run({"image": IMAGE_ID, "stores": ["fast", "cheap"]})
    assert result["changed"] is True and result["added"] == ["cheap"] and result["stores"] == ["cheap", "fast"]
    assert [(m, p) for m, p, d in fake.writes] == [("POST", "/v2/images/%s/import" % IMAGE_ID)]
    assert b'"stores": ["cheap"]' in fake.writes[0][2].encode()
    assert run({"image": IMAGE_ID, "stores": ["fast", "cheap"]})["changed"] is False
    assert len(fake.writes) == 1


def test_removal_and_its_check_mode(glance):
    fake = glance(FakeGlance("fast,cheap"))
    checked = run({"image": IMAGE_ID, "stores": ["fast"], "state": "absent"}, check_mode=True)
    assert checked["changed"] is True and checked["stores"] == ["cheap"] and fake.writes == []
    assert checked["diff"] == {"before": {"stores": ["cheap", "fast"]}, "after": {"stores": ["cheap"]}}
    removed = run({"image": IMAGE_ID, "stores": ["fast"], "state": "absent"})
    assert [(m, p) for m, p, d in fake.writes] == [("DELETE", "/v2/stores/fast/%s" % IMAGE_ID)]
    assert removed["stores"] == ["cheap"]
    assert run({"image": IMAGE_ID, "stores": ["fast"], "state": "absent"})["changed"] is False


def test_copy_image_disabled_is_refused_before_any_write(glance):
    fake = glance(FakeGlance("fast", methods=("glance-direct",)))
    result = run({"image": IMAGE_ID, "stores": ["cheap"]})
    assert result["failed"] is True
    assert "stores: adding an image to stores needs the copy-image import method" in result["msg"]
    assert fake.writes == []
