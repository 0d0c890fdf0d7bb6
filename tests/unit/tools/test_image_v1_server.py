"""tools/image_v1_server.py answers in the shapes of the Image API v1 reference.

The documented shapes (glance-specs api/v1 and the v1.1 API guide): GET /v1/images lists
id, name, disk_format, container_format, size, checksum; GET /v1/images/detail adds
status, is_public, owner, created_at, updated_at, deleted_at, deleted, protected,
min_disk, min_ram and the custom properties under ``properties``; HEAD /v1/images/{id}
sends the same fields as x-image-meta-* headers (disk-format, container-format and
is-public with '-', created_at and the other times with '_'), custom properties as
x-image-meta-property-<key>, every value a string; GET / answers 300 with the versions.
"""

import http.client
import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer

import pytest

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools")
sys.path.insert(0, os.path.abspath(TOOLS))

import image_v1_server  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.imagecat.glance.plugins.module_utils import _legacy  # noqa: E402

DOCUMENTED_INDEX_KEYS = {"id", "name", "disk_format", "container_format", "size", "checksum"}
DOCUMENTED_DETAIL_KEYS = DOCUMENTED_INDEX_KEYS | {
    "status", "is_public", "owner", "created_at", "updated_at", "deleted_at", "deleted", "protected",
    "min_disk", "min_ram", "properties"}
DOCUMENTED_HEAD_HEADERS = {
    "x-image-meta-id", "x-image-meta-name", "x-image-meta-disk-format", "x-image-meta-container-format",
    "x-image-meta-size", "x-image-meta-checksum", "x-image-meta-created_at", "x-image-meta-updated_at",
    "x-image-meta-deleted_at", "x-image-meta-status", "x-image-meta-is-public", "x-image-meta-owner",
    "x-image-meta-deleted", "x-image-meta-protected", "x-image-meta-min-disk", "x-image-meta-min-ram"}

IMAGES = [
    {"id": "71c675ab-d94f-49cd-a114-e12490b328d9", "name": "Ubuntu 10.04 Plain 5GB", "disk_format": "vhd",
     "container_format": "ovf", "size": 5368709120, "checksum": "c2e5db72bd7fd153f53ede5da5a06de3",
     "created_at": "2010-02-03 09:34:01", "updated_at": "2010-02-03 09:34:01", "deleted_at": None,
     "deleted": False, "status": "active", "is_public": True, "owner": None, "protected": False,
     "min_disk": 0, "min_ram": 0, "properties": {"distro": "Ubuntu 10.04 LTS"}},
    {"id": "0b6d4c2a-3f1e-4a8b-9c7d-5e2f1a0b9c8d", "name": "private one", "disk_format": "qcow2",
     "container_format": "bare", "size": 1024, "checksum": "d41d8cd98f00b204e9800998ecf8427e",
     "created_at": "2011-05-01 10:00:00", "updated_at": "2011-05-02 10:00:00", "deleted_at": None,
     "deleted": False, "status": "active", "is_public": False, "owner": "p1", "protected": True,
     "min_disk": 1, "min_ram": 256, "properties": {}},
    {"id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "name": "gone", "disk_format": "raw",
     "container_format": "bare", "size": 1, "checksum": None, "created_at": "2011-01-01 00:00:00",
     "updated_at": "2012-01-01 00:00:00", "deleted_at": "2012-01-01 00:00:00", "deleted": True,
     "status": "deleted", "is_public": False, "owner": "p1", "protected": False, "min_disk": 0, "min_ram": 0,
     "properties": {}},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("v1") / "images.json"
    path.write_text(json.dumps(IMAGES))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), image_v1_server.handler_for(str(path)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def call(port, method, path, token="t"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers={"X-Auth-Token": token} if token else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(body) if body else None


def test_the_version_document_lists_v1_only(server):
    status, dummy, body = call(server, "GET", "/", token=None)
    assert status == 300
    assert [v["id"] for v in body["versions"]] == ["v1.1", "v1.0"]
    assert _legacy.classify_versions(body["versions"]) == "image_v1"


def test_the_index_and_detail_listings_have_the_documented_keys(server):
    status, dummy, index = call(server, "GET", "/v1/images")
    assert status == 200
    assert [set(i) for i in index["images"]] == [DOCUMENTED_INDEX_KEYS] * 2
    status, dummy, detail = call(server, "GET", "/v1/images/detail")
    assert status == 200 and len(detail["images"]) == 2  # the deleted one only with changes-since
    assert all(set(i) == DOCUMENTED_DETAIL_KEYS for i in detail["images"])
    assert detail["images"][0]["properties"] == {"distro": "Ubuntu 10.04 LTS"} or \
        detail["images"][1]["properties"] == {"distro": "Ubuntu 10.04 LTS"}


def test_head_sends_the_documented_headers_as_strings(server):
    status, headers, dummy = call(server, "HEAD", "/v1/images/71c675ab-d94f-49cd-a114-e12490b328d9")
    assert status == 200
    meta = {k: v for k, v in headers.items() if k.startswith("x-image-meta-")}
    assert set(meta) == DOCUMENTED_HEAD_HEADERS | {"x-image-meta-property-distro"}
    assert meta["x-image-meta-size"] == "5368709120"
    assert meta["x-image-meta-property-distro"] == "Ubuntu 10.04 LTS"
    assert call(server, "HEAD", "/v1/images/00000000-0000-4000-8000-000000000000")[0] == 404


def test_head_and_detail_map_to_the_same_v2_image(server):
    dummy, headers, dummy_body = call(server, "HEAD", "/v1/images/71c675ab-d94f-49cd-a114-e12490b328d9")
    dummy, dummy_headers, detail = call(server, "GET", "/v1/images/detail?name=Ubuntu%2010.04%20Plain%205GB")
    from_head = _legacy.map_v1_image(_legacy.v1_record_from_headers(headers))
    from_list = _legacy.map_v1_image(detail["images"][0])
    assert from_head == from_list
    assert from_list["size"] == 5368709120 and from_list["visibility"] == "public"


@pytest.mark.parametrize("query, names", [
    ("is_public=false", ["private one"]),
    ("size_min=2000", ["Ubuntu 10.04 Plain 5GB"]),
    ("property-distro=Ubuntu%2010.04%20LTS", ["Ubuntu 10.04 Plain 5GB"]),
    ("changes-since=2011-06-01T00:00:00Z", ["gone"]),
    ("sort_key=name&sort_dir=asc", ["Ubuntu 10.04 Plain 5GB", "private one"]),
    ("sort_key=name&sort_dir=asc&limit=1&marker=71c675ab-d94f-49cd-a114-e12490b328d9", ["private one"]),
])
def test_v1_filters_sorting_and_paging(server, query, names):
    status, dummy, body = call(server, "GET", "/v1/images/detail?" + query)
    assert status == 200
    assert [i["name"] for i in body["images"]] == names


def test_it_needs_a_token_and_refuses_writes(server):
    assert call(server, "GET", "/v1/images/detail", token=None)[0] == 401
    assert call(server, "POST", "/v1/images")[0] == 405
    assert call(server, "GET", "/v2/images")[0] == 404
    assert call(server, "GET", "/v1/images/detail?marker=nope")[0] == 400
