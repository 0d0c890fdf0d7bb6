"""_legacy: Image API v1 and Compute's images proxy read in the v2 shape (fake HTTP)."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _glance, _legacy, _module
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError, build_list_query
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

from fakes import FakeResponse, FakeSession

GLANCE_V2_VERSIONS = [{"id": "v2.17", "status": "CURRENT"}, {"id": "v2.1", "status": "SUPPORTED"}]
GLANCE_V1_VERSIONS = [{"id": "v1.1", "status": "CURRENT"}, {"id": "v1.0", "status": "SUPPORTED"}]
# As nova-api 34.0.0 answered GET / here.
NOVA_VERSIONS = [{"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": ""},
                 {"id": "v2.1", "status": "CURRENT", "version": "2.104", "min_version": "2.1"}]

UUID_A = "11111111-1111-4111-8111-111111111111"
UUID_B = "22222222-2222-4222-8222-222222222222"

# A v1 detail record in the documented shape (size as a string, time without a zone).
V1_RECORD = {"id": UUID_A, "name": "Ubuntu 10.04 Plain 5GB", "disk_format": "vhd", "container_format": "ovf",
             "size": "5368709120", "checksum": "c2e5db72bd7fd153f53ede5da5a06de3",
             "created_at": "2010-02-03 09:34:01", "updated_at": "2010-02-03T09:34:01.000000", "deleted_at": "",
             "deleted": False, "status": "active", "is_public": True, "owner": None, "protected": False,
             "min_disk": 0, "min_ram": 0, "properties": {"distro": "Ubuntu 10.04 LTS"}}

# An image as nova-api 34.0.0 proxied it from Glance 33 here.
COMPUTE_RECORD = {"id": UUID_B, "name": "probe-a", "minRam": 512, "minDisk": 1, "metadata": {"os_distro": "probe"},
                  "created": "2026-12-01T07:16:07Z", "updated": "2026-12-01T07:16:07Z", "status": "ACTIVE",
                  "progress": 100, "OS-EXT-IMG-SIZE:size": 1000,
                  "links": [{"rel": "self", "href": "http://nova/v2.1/images/%s" % UUID_B}]}


@pytest.fixture(autouse=True)
def fresh_version_cache():
    _glance._VERSION_CACHE.clear()
    yield
    _glance._VERSION_CACHE.clear()


def client_for(responder, endpoint="http://glance.test:9292"):
    return GlanceClient(FakeSession(responder), endpoint, retries=0)


def versions_then(versions, more=None):
    def responder(method, url, kwargs):
        if urlsplit(url).path in ("", "/"):
            return FakeResponse(300, {"versions": versions})
        if more is None:
            raise AssertionError("unexpected request %s %s" % (method, url))
        return more(method, url, kwargs)
    return responder


class FakeConnection:
    def __init__(self, client, has_keystone=False, compute=None, region_name=None):
        self.client = client
        self.session = client.session
        self.has_keystone = has_keystone
        self._compute = compute
        self.region_name = region_name

    def service_endpoint(self, service_type):
        return self._compute if service_type == "compute" else None


# ---- version documents ---------------------------------------------------------------------

@pytest.mark.parametrize("versions, kind", [
    (GLANCE_V2_VERSIONS, "image_v2"),
    (GLANCE_V1_VERSIONS + GLANCE_V2_VERSIONS, "image_v2"),
    (GLANCE_V1_VERSIONS, "image_v1"),
    (NOVA_VERSIONS, "compute"),
    ([], None),
])
def test_version_documents_are_told_apart(versions, kind):
    assert _legacy.classify_versions(versions) == kind


def test_writing_is_refused_on_v1_and_compute_endpoints_naming_them():
    v1 = client_for(versions_then(GLANCE_V1_VERSIONS), "http://old.test:9292")
    with pytest.raises(GlanceError, match=r"http://old.test:9292 serves only Image API v1 \(v1.1 \(CURRENT\)"):
        _legacy.require_image_v2(v1)
    nova = client_for(versions_then(NOVA_VERSIONS), "http://nova.test:8774")
    with pytest.raises(GlanceError, match="http://nova.test:8774 is a Compute API"):
        _legacy.require_image_v2(nova)
    _legacy.require_image_v2(client_for(versions_then(GLANCE_V2_VERSIONS)))


class WritingModule(GlanceModule):
    argument_spec = dict(name=dict(type="str", required=True))

    def run(self):
        self.client.request("POST", "/v2/images", json_body={"name": self.params["name"]}, expected=(201,))
        return self.result(changed=True)


def test_a_writing_module_fails_on_a_v1_endpoint_before_any_image_request(monkeypatch):
    session = FakeSession(versions_then(GLANCE_V1_VERSIONS))
    connection = FakeConnection(GlanceClient(session, "http://old.test:9292", retries=0))
    monkeypatch.setattr(_module, "connect", lambda adapter: connection)
    result = WritingModule.run_in_controller("writer", {"name": "x", "endpoint": "http://old.test:9292"})
    assert result["failed"] is True
    assert "http://old.test:9292 serves only Image API v1" in result["msg"]
    assert [(method, url) for method, url, dummy in session.calls] == [("GET", "http://old.test:9292/")]


# ---- Image API v1 --------------------------------------------------------------------------

def test_a_v1_record_maps_to_the_v2_shape():
    image = _legacy.map_v1_image(V1_RECORD)
    assert image["size"] == 5368709120
    assert image["visibility"] == "public"
    assert image["owner"] is None
    assert image["distro"] == "Ubuntu 10.04 LTS"
    assert image["created_at"] == "2010-02-03T09:34:01Z"
    assert image["updated_at"] == "2010-02-03T09:34:01Z"
    assert image["legacy"]["api"] == "image_v1"
    assert image["legacy"]["is_public"] is True
    assert "os_hash_value" in image["legacy"]["missing"] and "os_hash_value" not in image
    private = _legacy.map_v1_image(dict(V1_RECORD, is_public=False, owner="p1"))
    assert (private["visibility"], private["owner"]) == ("private", "p1")


def test_head_headers_become_a_v1_record():
    headers = {"x-image-meta-id": UUID_A, "x-image-meta-name": "n", "x-image-meta-size": "42",
               "x-image-meta-disk-format": "raw", "x-image-meta-is-public": "True",
               "x-image-meta-created_at": "2010-02-03 09:34:01", "x-image-meta-property-os_distro": "debian",
               "Content-Length": "0"}
    image = _legacy.map_v1_image(_legacy.v1_record_from_headers(headers))
    assert image["size"] == 42 and image["disk_format"] == "raw" and image["visibility"] == "public"
    assert image["os_distro"] == "debian"
    assert "Content-Length" not in image and "content_length" not in image


def test_v1_filters_are_sent_applied_or_refused():
    plan = _legacy.plan_v1_query(build_list_query(
        {"name": "a", "status": "in:active,queued", "visibility": "public", "size_min": 1, "owner": "p1",
         "updated_at": "gte:2026-01-01T00:00:00Z", "sort": "name:asc"}, {"os_distro": "debian"}))
    assert ("name", "a") in plan.params
    assert ("is_public", "true") in plan.params
    assert ("size_min", "1") in plan.params
    assert ("changes-since", "2026-01-01T00:00:00Z") in plan.params
    assert ("property-os_distro", "debian") in plan.params
    assert ("sort_key", "name") in plan.params and ("sort_dir", "asc") in plan.params
    assert not any(key == "status" for key, dummy in plan.params)
    kept = plan.apply([
        {"id": "1", "status": "active", "owner": "p1", "updated_at": "2026-02-01T00:00:00Z"},
        {"id": "2", "status": "killed", "owner": "p1", "updated_at": "2026-02-01T00:00:00Z"},
        {"id": "3", "status": "queued", "owner": "p2", "updated_at": "2026-02-01T00:00:00Z"},
    ])
    assert [i["id"] for i in kept] == ["1"]
    multi = _legacy.plan_v1_query(build_list_query({"sort": "status:asc,name:desc"}))
    assert multi.sort == [("status", "asc"), ("name", "desc")]
    assert not any(key.startswith("sort") for key, dummy in multi.params)


@pytest.mark.parametrize("filters, option", [
    ({"tag": ["a"]}, "tag"),
    ({"visibility": "shared"}, "visibility"),
    ({"member_status": "all"}, "member_status"),
    ({"os_hidden": True}, "os_hidden"),
    ({"os_hash_value": "ab"}, "os_hash_value"),
])
def test_v1_refuses_filters_it_has_no_data_for(filters, option):
    with pytest.raises(InputError, match=r"^filters\.%s: Image API v1 " % option):
        _legacy.plan_v1_query(build_list_query(filters))


def v1_server(records, page_limit=1000):
    """Answers /v1/images/detail with limit/marker as v1 does (no next link) and HEAD by id."""
    def answer(method, url, kwargs):
        path = urlsplit(url).path
        params = list(kwargs.get("params") or [])
        if method == "HEAD":
            found = [r for r in records if path.endswith(r["id"])]
            if not found:
                return FakeResponse(404, {"message": "not found"})
            record = found[0]
            headers = {"x-image-meta-%s" % k: str(v) for k, v in record.items() if k != "properties"}
            headers.update({"x-image-meta-property-%s" % k: v for k, v in record["properties"].items()})
            return FakeResponse(200, None, headers=headers, text="")
        assert path == "/v1/images/detail"
        query = dict(params)
        found = [r for r in records if all(r.get(k) == v for k, v in params if k == "name")]
        if "marker" in query:
            found = found[[r["id"] for r in found].index(query["marker"]) + 1:]
        return FakeResponse(200, {"images": found[:min(int(query["limit"]), page_limit)]})
    return versions_then(GLANCE_V1_VERSIONS, answer)


def test_v1_listing_follows_every_page_with_marker():
    records = [dict(V1_RECORD, id="%08d-0000-4000-8000-000000000000" % n, name="img-%d" % n) for n in range(5)]
    session_client = client_for(v1_server(records))
    find = _legacy.open_reader(FakeConnection(session_client), api="auto")
    assert isinstance(find, _legacy.ImageV1Reader)
    images = find(None, [], page_size=2)
    assert [i["name"] for i in images] == ["img-%d" % n for n in range(5)]
    markers = [dict(kw["params"]).get("marker") for m, u, kw in session_client.session.calls if m == "GET" and kw.get("params")]
    assert markers == [None, records[1]["id"], records[3]["id"]]


def test_v1_lookup_by_id_uses_head_and_by_name_the_name_filter():
    client = client_for(v1_server([V1_RECORD]))
    find = _legacy.open_reader(FakeConnection(client), api="image_v1")
    assert find(UUID_A)[0]["name"] == V1_RECORD["name"]
    assert client.session.calls[-1][0] == "HEAD"
    assert [i["id"] for i in find(V1_RECORD["name"])] == [UUID_A]
    assert ("name", V1_RECORD["name"]) in client.session.calls[-1][2]["params"]
    assert find("no-such-image") == []


def test_api_image_v1_against_a_v2_only_service_is_refused():
    client = client_for(versions_then(GLANCE_V2_VERSIONS))
    with pytest.raises(InputError, match=r"api: image_v1, but the image endpoint http://glance.test:9292 does not "
                                         r"serve Image API v1 \(its versions: v2.17 \(CURRENT\)"):
        _legacy.open_reader(FakeConnection(client), api="image_v1")


def test_auto_and_image_v2_use_the_v2_listing():
    client = client_for(versions_then(GLANCE_V2_VERSIONS))
    assert not isinstance(_legacy.open_reader(FakeConnection(client), api="auto"), _legacy.LegacyReader)
    silent = client_for(versions_then([]))
    _legacy.open_reader(FakeConnection(silent), api="image_v2")
    assert silent.session.calls == []  # image_v2 does not read the version document


# ---- Compute's images proxy -----------------------------------------------------------------

@pytest.mark.parametrize("status, progress, expected", [
    ("ACTIVE", 100, "active"), ("SAVING", 25, "queued"), ("SAVING", 50, "saving"),
    ("DELETED", 0, "deleted"), ("ERROR", 0, "killed"), ("UNKNOWN", 0, None),
])
def test_compute_status_and_progress_map_to_glance_status(status, progress, expected):
    assert _legacy.compute_status(status, progress) == expected


def test_a_compute_record_maps_to_the_v2_shape():
    image = _legacy.map_compute_image(COMPUTE_RECORD)
    assert (image["min_disk"], image["min_ram"], image["size"]) == (1, 512, 1000)
    assert image["os_distro"] == "probe" and "metadata" not in image
    assert image["created_at"] == "2026-12-01T07:16:07Z" and image["status"] == "active"
    assert image["legacy"]["status"] == "ACTIVE" and image["legacy"]["progress"] == 100
    assert image["legacy"]["links"] == COMPUTE_RECORD["links"]
    for field in ("visibility", "owner", "tags", "checksum", "os_hash_value"):
        assert field not in image and field in image["legacy"]["missing"]


def test_compute_filters_are_sent_applied_or_refused():
    plan = _legacy.plan_compute_query(build_list_query(
        {"name": "probe-a", "status": "active", "size_max": 2000, "updated_at": "gt:2026-01-01T00:00:00Z"},
        {"os_distro": "probe"}))
    assert plan.params == [("name", "probe-a"), ("status", "active"), ("changes-since", "2026-01-01T00:00:00Z")]
    image = _legacy.map_compute_image(COMPUTE_RECORD)
    assert plan.apply([image]) == [image]
    assert plan.apply([dict(image, os_distro="other")]) == []
    assert plan.apply([dict(image, size=5000)]) == []
    for option, filters in (("owner", {"owner": "p"}), ("tag", {"tag": ["x"]}), ("visibility", {"visibility": "all"}),
                            ("disk_format", {"disk_format": "raw"}), ("protected", {"protected": False})):
        with pytest.raises(InputError, match=r"^filters\.%s: Compute's images proxy " % option):
            _legacy.plan_compute_query(build_list_query(filters))


def compute_server(records, project_mismatch=False):
    def answer(method, url, kwargs):
        parts = urlsplit(url)
        if project_mismatch:
            return FakeResponse(400, {"badRequest": {"code": 400, "message": "Malformed request URL: URL's project_id "
                                                     "'p2' doesn't match Context's project_id 'p1'"}})
        assert parts.path == "/v2.1/images/detail", parts.path
        query = dict(kwargs.get("params") or [])
        found = list(records)
        if "marker" in query:
            found = found[[r["id"] for r in found].index(query["marker"]) + 1:]
        page = found[:int(query["limit"])]
        body = {"images": page}
        if len(page) == int(query["limit"]):
            body["images_links"] = [{"rel": "next", "href": "http://nova.test/v2.1/images/detail?limit=%s&marker=%s"
                                     % (query["limit"], page[-1]["id"])}]
        return FakeResponse(200, body)
    return answer


def test_compute_listing_follows_images_links_over_every_page():
    records = [dict(COMPUTE_RECORD, id="%08d-0000-4000-8000-000000000000" % n, name="c-%d" % n) for n in range(5)]
    glance = client_for(versions_then(GLANCE_V2_VERSIONS))
    session = FakeSession(compute_server(records))
    connection = FakeConnection(glance, has_keystone=True, compute="http://nova.test/v2.1")
    connection.session = session
    find = _legacy.open_reader(connection, api="compute")
    assert [i["name"] for i in find(None, [], page_size=2)] == ["c-%d" % n for n in range(5)]
    assert len(session.calls) == 3  # 2 + 2 + 1: the short last page has no next link
    assert all(dict(parse_qsl(urlsplit(u).query) or kw["params"]).get("limit") == "2" for m, u, kw in session.calls)


def test_compute_without_an_endpoint_is_refused():
    connection = FakeConnection(client_for(versions_then(GLANCE_V2_VERSIONS)))
    with pytest.raises(InputError, match="api: compute needs a Compute endpoint, and without Keystone"):
        _legacy.open_reader(connection, api="compute")
    keystone = FakeConnection(client_for(versions_then(GLANCE_V2_VERSIONS)), has_keystone=True, region_name="R1")
    with pytest.raises(InputError, match="catalogue lists no compute service in region R1"):
        _legacy.open_reader(keystone, api="compute")


def test_a_token_of_another_project_is_explained():
    connection = FakeConnection(client_for(versions_then(GLANCE_V2_VERSIONS)))
    connection.session = FakeSession(compute_server([], project_mismatch=True))
    find = _legacy.open_reader(connection, api="compute", compute_endpoint="http://nova.test/v2/p2")
    with pytest.raises(GlanceError) as raised:
        find(None, [])
    assert raised.value.status == 400
    assert "doesn't match Context's project_id" in raised.value.message
    assert "names another project than the one the token is scoped to" in raised.value.message


def test_client_side_sort_orders_by_several_keys():
    images = [{"id": "1", "name": "b", "size": 2}, {"id": "2", "name": "a", "size": 2}, {"id": "3", "name": "c", "size": 1}]
    assert [i["id"] for i in _legacy.sort_images(images, [("size", "desc"), ("name", "asc")])] == ["2", "1", "3"]


def test_v1_paging_goes_on_when_the_server_caps_pages_below_the_page_size():
    records = [dict(V1_RECORD, id="%08d-0000-4000-8000-000000000000" % n, name="img-%d" % n) for n in range(5)]
    client = client_for(v1_server(records, page_limit=2))
    images = _legacy.open_reader(FakeConnection(client), api="image_v1")(None, [], page_size=1000)
    assert len(images) == 5
    assert len([c for c in client.session.calls if c[2].get("params")]) == 3  # 2 + 2 + 1


def test_auto_reads_v2_when_the_root_answers_no_version_document():
    def responder(method, url, kwargs):
        if urlsplit(url).path in ("", "/"):
            return FakeResponse(404, {"message": "no such path"})
        return FakeResponse(200, {"images": [{"id": UUID_A, "name": "a"}]})
    find = _legacy.open_reader(FakeConnection(client_for(responder)), api="auto")
    assert find(None, []) == [{"id": UUID_A, "name": "a"}]
