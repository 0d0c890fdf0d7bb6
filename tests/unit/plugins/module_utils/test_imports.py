import hashlib
from urllib.parse import urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    check_import_request,
    check_store_ids,
    download_digest,
    enabled_import_methods,
    import_body,
    import_running,
    is_in_progress_conflict,
    list_stores,
    probe_uri,
    start_import,
    stored_digest,
    wait_for_import,
)
from fakes import FakeResponse, FakeSession

IMAGE = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
STORES = [dict(id="fast", default=True, description="", read_only=False),
          dict(id="cheap", default=False, description="", read_only=False),
          dict(id="web", default=False, description="", read_only=True)]
METHODS = ["glance-direct", "web-download", "copy-image"]


def routed(table):
    """Answer (METHOD, path) from lists of responses in order; the last one repeats."""
    def responder(method, url, kwargs):
        queue = table[(method, urlsplit(url).path)]
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return responder


def client_for(table, root="http://glance.test"):
    session = FakeSession(routed(table))
    return GlanceClient(session, root, sleep=lambda s: None), session


def image(**fields):
    base = {"id": IMAGE, "status": "queued", "os_glance_failed_import": "", "os_glance_importing_to_stores": ""}
    base.update(fields)
    return FakeResponse(200, base)


def tasks(*entries):
    return FakeResponse(200, {"tasks": list(entries)})


# ---- discovery -----------------------------------------------------------------------------------

def test_discovery_reads_methods_and_stores_with_string_flags():
    client, unused = client_for({
        ("GET", "/"): [FakeResponse(300, {"versions": [{"id": "v2.17", "status": "CURRENT"}]})],
        ("GET", "/v2/info/import"): [FakeResponse(200, {"import-methods": {"value": METHODS}})],
        ("GET", "/v2/info/stores"): [FakeResponse(200, {"stores": [
            {"id": "fast", "default": "true"}, {"id": "web", "read-only": "true", "description": "d"}]})],
    }, root="http://discovery.test")
    assert enabled_import_methods(client) == METHODS
    assert list_stores(client) == [dict(id="fast", default=True, description="", read_only=False),
                                   dict(id="web", default=False, description="d", read_only=True)]


def test_single_store_cloud_has_no_stores_and_old_glance_no_methods():
    client, session = client_for({
        ("GET", "/"): [FakeResponse(300, {"versions": [{"id": "v2.5", "status": "CURRENT"}]})],
        ("GET", "/v2/info/stores"): [FakeResponse(404, {"message": "Multi backend is not supported"})],
    }, root="http://old.test")
    assert enabled_import_methods(client) == []
    assert list_stores(client) == []
    assert [urlsplit(c[1]).path for c in session.calls] == ["/", "/v2/info/stores"]


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(method="glance-download"), "method: this cloud does not enable the import method 'glance-download'; "
                                     "enabled methods: glance-direct, web-download, copy-image."),
    (dict(requested=["fast", "nowhere"]), "stores: this cloud has no store 'nowhere'; its stores: fast, cheap, web."),
    (dict(requested=["web"]), "stores: web is read-only; writable stores: fast, cheap."),
])
def test_what_the_cloud_lacks_is_refused_listing_what_it_has(kwargs, fragment):
    args = dict(method="web-download", enabled=METHODS, stores=STORES)
    args.update(kwargs)
    with pytest.raises(InputError) as caught:
        check_import_request(**args)
    assert caught.value.message == fragment


def test_import_targets():
    assert check_import_request("web-download", METHODS, STORES) == ["fast"]
    assert check_import_request("web-download", METHODS, STORES, ["cheap"]) == ["cheap"]
    assert check_import_request("copy-image", METHODS, STORES, all_stores=True) == ["fast", "cheap"]
    assert check_import_request("web-download", METHODS, []) is None


@pytest.mark.parametrize("kwargs, option", [
    (dict(requested=["fast"]), "stores"),
    (dict(all_stores=True), "all_stores"),
    (dict(all_stores_must_succeed=False), "all_stores_must_succeed"),
])
def test_store_options_on_a_single_store_cloud_are_refused(kwargs, option):
    with pytest.raises(InputError) as caught:
        check_import_request("web-download", METHODS, [], **kwargs)
    assert caught.value.message.startswith(option + ":")


# ---- the request --------------------------------------------------------------------------------

def test_import_bodies_per_method():
    assert import_body("web-download", uri="http://x/a") == {"method": {"name": "web-download", "uri": "http://x/a"}}
    assert import_body("glance-direct", stores=["a", "b"], all_stores_must_succeed=False) == {
        "method": {"name": "glance-direct"}, "stores": ["a", "b"], "all_stores_must_succeed": False}
    assert import_body("copy-image", all_stores=True, stores=["a"]) == {
        "method": {"name": "copy-image"}, "all_stores": True}
    assert import_body("glance-download", remote_region="R2", remote_image_id=IMAGE,
                       remote_service_interface="internal") == {
        "method": {"name": "glance-download", "glance_region": "R2", "glance_image_id": IMAGE,
                   "glance_service_interface": "internal"}}


def test_start_import_posts_once_and_returns_the_newest_task():
    client, session = client_for({
        ("POST", "/v2/images/%s/import" % IMAGE): [FakeResponse(202, text="")],
        ("GET", "/v2/images/%s/tasks" % IMAGE): [tasks(
            {"id": "old", "created_at": "2026-01-01T00:00:00.1"},
            {"id": "new", "created_at": "2026-01-02T00:00:00.1"})],
    })
    assert start_import(client, IMAGE, "web-download", uri="http://x/a", stores=["fast"]) == "new"
    method, url, kwargs = session.calls[0]
    assert method == "POST"
    assert '"uri": "http://x/a"' in kwargs["data"] and '"stores": ["fast"]' in kwargs["data"]


def test_an_import_in_progress_is_not_an_error_and_gives_the_running_task():
    client, session = client_for({
        ("POST", "/v2/images/%s/import" % IMAGE): [FakeResponse(409, {
            "message": "New operation on image '%s' is not permitted as prior operation is still in progress"
                       % IMAGE})],
        ("GET", "/v2/images/%s" % IMAGE): [image(status="importing", os_glance_import_task="running-task")],
    })
    assert start_import(client, IMAGE, "web-download", uri="http://x/a") == "running-task"
    assert [c[0] for c in session.calls] == ["POST", "GET"]


def test_other_conflicts_are_errors_and_never_retried():
    client, session = client_for({
        ("POST", "/v2/images/%s/import" % IMAGE): [FakeResponse(409, {"message": "Store for identifier x not found"})],
    })
    with pytest.raises(GlanceError) as caught:
        start_import(client, IMAGE, "web-download", uri="http://x/a")
    assert caught.value.status == 409
    assert not is_in_progress_conflict(caught.value)
    assert len(session.calls) == 1


def test_lock_conflict_markers():
    assert is_in_progress_conflict(GlanceError("POST ... failed with HTTP 409: Image has active task", status=409))
    assert not is_in_progress_conflict(GlanceError("Image has active task", status=400))


# ---- waiting ------------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_polls_with_capped_backoff_until_the_lock_is_gone():
    clock = Clock()
    running = image(status="importing", os_glance_import_task="t1")
    client, unused = client_for({
        ("GET", "/v2/images/%s" % IMAGE): [running] * 8 + [image(status="active", stores="fast")],
        ("GET", "/v2/images/%s/tasks" % IMAGE): [tasks({"id": "t1", "status": "success"})],
    })
    done = wait_for_import(client, IMAGE, 600, sleep=clock.sleep, clock=clock)
    assert done["status"] == "active"
    assert clock.sleeps == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0, 2.0]


def test_a_queued_image_holding_the_lock_is_still_importing():
    assert import_running({"status": "queued", "os_glance_import_task": "t"})
    assert not import_running({"status": "queued", "os_glance_importing_to_stores": "fast"})
    assert not import_running({"status": "active"})


def test_a_failed_import_names_the_failed_stores_and_the_task_message():
    client, unused = client_for({
        ("GET", "/v2/images/%s" % IMAGE): [image(status="queued", os_glance_failed_import="fast,cheap")],
        ("GET", "/v2/images/%s/tasks" % IMAGE): [tasks(
            {"id": "t2", "status": "failure", "message": "Remote returned 404", "created_at": "2"},
            {"id": "t1", "status": "success", "created_at": "1"})],
    })
    with pytest.raises(GlanceError) as caught:
        wait_for_import(client, IMAGE, 10, sleep=lambda s: None)
    assert caught.value.message == ("the import into image %s failed (image status queued; failed stores: fast, "
                                    "cheap); task t2 (failure): Remote returned 404." % IMAGE)


def test_a_partial_import_is_returned_and_a_copy_that_failed_everywhere_raises():
    partial = image(status="active", stores="fast", os_glance_failed_import="broken")
    client, unused = client_for({
        ("GET", "/v2/images/%s" % IMAGE): [partial],
        ("GET", "/v2/images/%s/tasks" % IMAGE): [tasks({"id": "t", "status": "success"})],
    })
    assert wait_for_import(client, IMAGE, 10, stores=["fast", "broken"])["stores"] == "fast"
    with pytest.raises(GlanceError) as caught:
        wait_for_import(client, IMAGE, 10, stores=["broken"])
    assert "failed stores: broken" in caught.value.message


def test_timeout_says_what_is_still_running():
    clock = Clock()
    client, unused = client_for({
        ("GET", "/v2/images/%s" % IMAGE): [image(status="active", os_glance_import_task="t",
                                                 os_glance_importing_to_stores="cheap")],
    })
    with pytest.raises(GlanceError) as caught:
        wait_for_import(client, IMAGE, 3, sleep=clock.sleep, clock=clock)
    assert "still running after 3 s" in caught.value.message and "stores to go: cheap" in caught.value.message
    assert clock.now <= 3


def test_an_image_deleted_while_importing():
    client, unused = client_for({("GET", "/v2/images/%s" % IMAGE): [FakeResponse(404, {"message": "gone"})]})
    with pytest.raises(GlanceError, match="disappeared"):
        wait_for_import(client, IMAGE, 10, sleep=lambda s: None)


# ---- digests ------------------------------------------------------------------------------------

def test_stored_digest_uses_what_glance_recorded():
    img = {"os_hash_algo": "sha512", "os_hash_value": "h", "checksum": "m"}
    assert stored_digest(img, "sha512") == "h"
    assert stored_digest(img, "md5") == "m"
    assert stored_digest(img, "sha256") is None


class StreamResponse(FakeResponse):
    def __init__(self, chunks):
        super().__init__(200, text="")
        self.chunks = chunks
        self.closed = False

    def iter_content(self, size):
        return iter(self.chunks)

    def close(self):
        self.closed = True


def test_download_digest_hashes_the_stream():
    response = StreamResponse([b"ab", b"c"])
    client, session = client_for({("GET", "/v2/images/%s/file" % IMAGE): [response]})
    assert download_digest(client, IMAGE, "sha256") == hashlib.sha256(b"abc").hexdigest()
    assert response.closed
    assert session.calls[0][2]["stream"] is True


def test_probe_uri_reports_how_a_url_answers():
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200 if self.path == "/here" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = "http://127.0.0.1:%d" % server.server_address[1]
        assert probe_uri(base + "/here") == "HTTP 200"
        assert probe_uri(base + "/gone").startswith("HTTP 404")
    finally:
        server.shutdown()
        server.server_close()
    assert probe_uri(base + "/here").startswith("no answer")


@pytest.mark.parametrize("stores, requested, says", [
    ([], ["fast"], "store: this cloud has a single store, so there are no stores to choose; remove store."),
    ([{"id": "fast", "read_only": False, "default": True}], ["slow"], "store: this cloud has no store 'slow'; its stores: fast."),
    ([{"id": "fast", "read_only": False, "default": True}, {"id": "ro", "read_only": True, "default": False}], ["ro"],
     "store: ro is read-only; writable stores: fast."),
])
def test_store_ids_are_checked_before_any_write(stores, requested, says):
    with pytest.raises(InputError) as caught:
        check_store_ids(stores, requested, "store")
    assert caught.value.message == says
    check_store_ids(stores, [], "store")
