from urllib.parse import urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._locations import (
    check_location_request,
    has_location,
    wait_for_location,
)
from ansible_collections.imagecat.glance.plugins.module_utils._tasks import filter_tasks, get_task, list_tasks

from fakes import FakeResponse, FakeSession

URL = "http://127.0.0.1:8000/disk.raw"
SHA256 = "a" * 64


def test_location_request_checks():
    assert check_location_request(URL, None) is None
    data = check_location_request(URL, {"os_hash_algo": "sha256", "os_hash_value": SHA256.upper()})
    assert data == {"os_hash_algo": "sha256", "os_hash_value": SHA256}
    with pytest.raises(InputError, match="is not a URL"):
        check_location_request("disk.raw", None)
    with pytest.raises(InputError, match="refuses file:// locations"):
        check_location_request("file:///etc/passwd", None)
    with pytest.raises(InputError, match="at most 255 characters"):
        check_location_request("http://h/" + "x" * 250, None)
    with pytest.raises(InputError, match="a md5 digest is 32 hexadecimal characters"):
        check_location_request(URL, {"os_hash_algo": "md5", "os_hash_value": SHA256})
    with pytest.raises(InputError, match="a sha256 digest"):
        check_location_request(URL, {"os_hash_algo": "sha256", "os_hash_value": "g" * 64})


def client_for(routes):
    """routes: path -> list of responses (the last one repeats)."""
    def responder(method, url, kwargs):
        queue = routes[(method, urlsplit(url).path)]
        return queue.pop(0) if len(queue) > 1 else queue[0]
    session = FakeSession(responder)
    return GlanceClient(session, "http://g:9292", sleep=lambda s: None), session


def task(status, url=URL, kind="location_import", created="2026-01-01T00:00:01"):
    return {"id": "t-" + status, "type": kind, "status": status, "input": {"loc_url": url}, "created_at": created,
            "message": "boom" if status == "failure" else ""}


def test_presence_from_the_list_or_from_the_tasks():
    client, _s = client_for({("GET", "/v2/images/i/locations"): [FakeResponse(200, [{"url": URL, "metadata": {}}])]})
    assert has_location(client, {"id": "i", "status": "active"}, URL) == (True, [{"url": URL, "metadata": {}}])
    client, _s = client_for({("GET", "/v2/images/i/locations"): [FakeResponse(403, {"message": "no"})],
                             ("GET", "/v2/images/i/tasks"): [FakeResponse(200, {"tasks": [task("success")]})]})
    assert has_location(client, {"id": "i", "status": "active"}, URL) == (True, None)
    assert has_location(client, {"id": "i", "status": "active"}, URL + "2") == (False, None)
    assert has_location(client, {"id": "i", "status": "queued"}, URL) == (False, None)


def test_wait_reports_the_task_message():
    pending = FakeResponse(200, {"tasks": [task("processing")]})
    failed = FakeResponse(200, {"tasks": [task("failure")]})
    client, _s = client_for({("GET", "/v2/images/i/tasks"): [pending, failed],
                             ("GET", "/v2/images/i"): [FakeResponse(200, {"id": "i", "status": "queued"})]})
    with pytest.raises(GlanceError, match="failed \\(image status queued\\); task t-failure: boom"):
        wait_for_location(client, "i", URL, timeout=60)
    done = FakeResponse(200, {"tasks": [task("success"), task("failure", created="2025-01-01")]})
    client, _s = client_for({("GET", "/v2/images/i/tasks"): [done],
                             ("GET", "/v2/images/i"): [FakeResponse(200, {"id": "i", "status": "active"})]})
    assert wait_for_location(client, "i", URL, timeout=60)["status"] == "active"


def test_task_filters_apply_to_image_tasks():
    tasks = [task("success", created="2"), task("failure", created="3"),
             task("success", kind="api_image_import", created="1")]
    assert [t["created_at"] for t in filter_tasks(tasks, {})] == ["3", "2", "1"]
    assert [t["created_at"] for t in filter_tasks(tasks, {"status": "success", "sort_dir": "asc"})] == ["1", "2"]
    assert [t["created_at"] for t in filter_tasks(tasks, {"type": "api_image_import"})] == ["1"]


def test_the_tasks_api_is_admin_only_and_unknown_tasks_are_named():
    client, session = client_for({("GET", "/v2/tasks"): [FakeResponse(403, {"message": "not authorized"})]})
    with pytest.raises(GlanceError, match="admin-only in Glance's default policy"):
        list_tasks(client, {"status": "success", "type": "location_import"})
    assert session.calls[0][2]["params"] == [("status", "success"), ("limit", "100")]
    task_id = "00000000-0000-4000-8000-000000000000"
    client, _s = client_for({("GET", "/v2/tasks/" + task_id): [FakeResponse(404, {"message": "nope"})]})
    with pytest.raises(InputError, match="task: no task with id"):
        get_task(client, task_id)
    with pytest.raises(InputError, match="is not a task id"):
        get_task(client, "t1")
