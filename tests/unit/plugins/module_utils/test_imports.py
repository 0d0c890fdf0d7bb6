"""Import calls and waiting for an import, against a fake HTTP layer."""

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    import_body,
    start_import,
    wait_for_import,
)
from fakes import FakeResponse, FakeSession, scripted


def make_client(*outcomes):
    session = FakeSession(scripted(*outcomes))
    return GlanceClient(session, "http://glance.test/", retries=0, sleep=lambda s: None), session


def test_bodies_carry_each_methods_keys():
    assert import_body("web-download", uri="http://h/x") == {"method": {"name": "web-download", "uri": "http://h/x"}}
    body = import_body("glance-download", remote_region="R2", remote_image_id="abc", remote_service_interface="internal",
                       stores=["fast"], all_stores_must_succeed=False)
    assert body == {"method": {"name": "glance-download", "glance_region": "R2", "glance_image_id": "abc",
                               "glance_service_interface": "internal"},
                    "stores": ["fast"], "all_stores_must_succeed": False}
    assert import_body("copy-image", all_stores=True)["all_stores"] is True


def test_start_import_posts_once_and_takes_in_progress_as_started_elsewhere():
    client, session = make_client(FakeResponse(202, text=""))
    assert start_import(client, "i1", "web-download", uri="http://h/x") is True
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("POST", "http://glance.test/v2/images/i1/import")
    busy = FakeResponse(409, {"message": "Image i1 has an import task in progress"})
    client = make_client(busy)[0]
    assert start_import(client, "i1", "web-download", uri="http://h/x") is False
    client = make_client(FakeResponse(409, {"message": "Store for identifier bogus not found"}))[0]
    with pytest.raises(GlanceError):
        start_import(client, "i1", "web-download", uri="http://h/x", stores=["bogus"])


def test_wait_returns_the_active_image():
    client = make_client(FakeResponse(200, {"id": "i1", "status": "importing", "os_glance_import_task": "t"}),
                         FakeResponse(200, {"id": "i1", "status": "active", "stores": "fast"}))[0]
    assert wait_for_import(client, "i1", timeout=60, sleep=lambda s: None)["status"] == "active"


def test_wait_reports_a_failed_import_with_the_task_message():
    client = make_client(FakeResponse(200, {"id": "i1", "status": "importing", "os_glance_import_task": "t"}),
                         FakeResponse(200, {"id": "i1", "status": "queued"}),
                         FakeResponse(200, {"tasks": [{"status": "failure", "message": "404 Not Found",
                                                       "updated_at": "2026"}]}))[0]
    with pytest.raises(GlanceError) as caught:
        wait_for_import(client, "i1", timeout=60, sleep=lambda s: None)
    assert "queued again (404 Not Found)" in caught.value.message


def test_wait_for_stores_waits_until_every_store_has_the_data():
    client = make_client(FakeResponse(200, {"id": "i1", "status": "active", "stores": "fast"}),
                         FakeResponse(200, {"id": "i1", "status": "active", "stores": "fast,cheap"}))[0]
    image = wait_for_import(client, "i1", timeout=60, stores=["cheap"], sleep=lambda s: None)
    assert image["stores"] == "fast,cheap"
