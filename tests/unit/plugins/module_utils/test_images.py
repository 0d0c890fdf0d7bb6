from urllib.parse import quote

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _images
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    GlanceError,
    InputError,
    build_list_query,
    delete_image,
    find_images,
    is_uuid,
    named_image_id,
    property_value_to_string,
)
from fakes import FakeResponse, FakeSession

UUID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"


def test_names_are_sent_with_eq_so_colons_survive():
    assert build_list_query({"name": "gamma:1"}) == [("name", "eq:gamma:1")]
    assert build_list_query({"name": 'in:"glass, darkly",beta'}) == [("name", 'in:"glass, darkly",beta')]
    assert build_list_query({"name": "eq:x"}) == [("name", "eq:x")]


def test_every_filter_maps_to_its_query_parameter():
    query = build_list_query({
        "id": UUID, "status": "in:active,queued", "visibility": "all", "member_status": "pending",
        "owner": "p1", "tag": ["a b", "ü"], "size_min": 0, "size_max": 10, "protected": False,
        "os_hidden": True, "disk_format": "qcow2", "container_format": "bare", "checksum": "c",
        "os_hash_value": "h", "created_at": "gte:2026-01-01T00:00:00Z", "updated_at": "2026-02-01T10:00:00",
        "sort": "name:asc,created_at",
    }, {"os_distro": "ubuntu", "hw_qemu_guest_agent": True, "idx": 3})
    assert query == [
        ("id", "eq:" + UUID), ("status", "in:active,queued"), ("disk_format", "eq:qcow2"),
        ("container_format", "eq:bare"), ("visibility", "all"), ("member_status", "pending"),
        ("owner", "p1"), ("checksum", "c"), ("os_hash_value", "h"), ("tag", "a b"), ("tag", "ü"),
        ("size_min", "0"), ("size_max", "10"), ("protected", "false"), ("os_hidden", "true"),
        ("created_at", "gte:2026-01-01T00:00:00Z"), ("updated_at", "eq:2026-02-01T10:00:00"),
        ("sort", "name:asc,created_at"), ("os_distro", "ubuntu"), ("hw_qemu_guest_agent", "true"),
        ("idx", "3"),
    ]


def test_unset_filters_send_nothing():
    assert build_list_query({"name": None, "tag": [], "protected": None}, {}) == []


@pytest.mark.parametrize("filters, fragment", [
    ({"status": "running"}, "filters.status: unknown status 'running'"),
    ({"created_at": "after:2026-01-01T00:00:00Z"}, "filters.created_at: unknown operator 'after'"),
    ({"updated_at": "gt:yesterday"}, "filters.updated_at: 'yesterday' is not an ISO 8601 time"),
    ({"sort": "colour:asc"}, "filters.sort: cannot sort by 'colour'"),
    ({"sort": "name:up"}, "filters.sort: direction 'up'"),
    ({"sort": "name", "sort_key": ["id"]}, "either sort"),
    ({"sort_key": ["bogus"]}, "filters.sort_key: cannot sort by 'bogus'"),
    ({"sort_key": ["name", "id", "size"], "sort_dir": ["asc", "desc"]}, "filters.sort_dir"),
    ({"size_min": -1}, "filters.size_min must be 0 or more"),
])
def test_bad_filters_are_refused_with_the_option_name(filters, fragment):
    with pytest.raises(InputError) as caught:
        build_list_query(filters)
    assert fragment in caught.value.message


def test_property_filters_refuse_reserved_keys_and_structures():
    with pytest.raises(InputError, match="properties.limit"):
        build_list_query({}, {"limit": 5})
    with pytest.raises(InputError, match="use filters.name"):
        build_list_query({}, {"name": "x"})
    with pytest.raises(InputError, match="properties.meta: .* not dict"):
        build_list_query({}, {"meta": {"a": 1}})


def test_property_values_are_strings_as_glance_stores_them():
    assert property_value_to_string(3) == "3"
    assert property_value_to_string("3") == "3"
    assert property_value_to_string(True) == "true"
    assert property_value_to_string(1.5) == "1.5"
    with pytest.raises(TypeError):
        property_value_to_string(None)


def test_is_uuid():
    assert is_uuid(UUID) and is_uuid(UUID.replace("-", "")) and not is_uuid("ubuntu")


def routed(routes):
    def responder(method, url, kwargs):
        path = url.split("9292", 1)[1]
        return routes[(method, path)](kwargs)
    return responder


def test_find_by_id_gets_directly_and_falls_back_to_name():
    image = {"id": UUID, "name": "x"}
    session = FakeSession(routed({
        ("GET", "/v2/images/" + UUID): lambda kw: FakeResponse(200, image),
    }))
    client = GlanceClient(session, "http://g:9292")
    assert find_images(client, UUID) == [image]
    assert len(session.calls) == 1

    named = {"id": "other", "name": UUID}
    session = FakeSession(routed({
        ("GET", "/v2/images/" + UUID): lambda kw: FakeResponse(404, {"message": "nope"}),
        ("GET", "/v2/images"): lambda kw: FakeResponse(200, {"images": [named]}),
    }))
    client = GlanceClient(session, "http://g:9292")
    assert find_images(client, UUID) == [named]
    assert session.calls[1][2]["params"] == [("name", "eq:" + UUID), ("limit", "1000")]


def test_find_by_id_with_filters_lets_glance_filter():
    session = FakeSession(routed({
        ("GET", "/v2/images"): lambda kw: FakeResponse(200, {"images": []}),
    }))
    client = GlanceClient(session, "http://g:9292")
    assert find_images(client, UUID, [("visibility", "public")], page_size=5) == []
    first, second = [call[2]["params"] for call in session.calls]
    assert first == [("visibility", "public"), ("id", "eq:" + UUID), ("limit", "5")]
    assert second == [("visibility", "public"), ("name", "eq:" + UUID), ("limit", "5")]


def test_named_ids_are_stable_and_differ_by_project_name_and_attempt():
    first = named_image_id("p1", "ubuntu")
    assert first == named_image_id("p1", "ubuntu", 0)
    assert is_uuid(first)
    assert len({first, named_image_id("p2", "ubuntu"), named_image_id("p1", "debian"),
                named_image_id("p1", "ubuntu", 1)}) == 4


def test_a_delete_that_meets_an_overlapping_delete_counts_as_gone():
    transition = FakeResponse(400, {"message": "Image status transition from deleted to deleted is not allowed"})
    for after in (FakeResponse(404, {"message": "gone"}), FakeResponse(200, {"id": UUID, "status": "deleted"})):
        session = FakeSession(routed({
            ("DELETE", "/v2/images/" + UUID): lambda kw: transition,
            ("GET", "/v2/images/" + UUID): lambda kw, after=after: after,
        }))
        assert delete_image(GlanceClient(session, "http://g:9292"), UUID) is False
    # A 400 for an image that is still there is a real refusal.
    session = FakeSession(routed({
        ("DELETE", "/v2/images/" + UUID): lambda kw: FakeResponse(400, {"message": "refused"}),
        ("GET", "/v2/images/" + UUID): lambda kw: FakeResponse(200, {"id": UUID, "status": "active"}),
    }))
    with pytest.raises(GlanceError, match="refused"):
        delete_image(GlanceClient(session, "http://g:9292"), UUID)


# ---- name filters of the catalogue's namesake listing ------------------------------------------

def test_name_filters_quote_every_name_and_chunk_by_count():
    names = ["n%03d" % i for i in range(250)]
    filters = _images.name_filters(names)
    assert len(filters) == 3
    assert filters[0].startswith('in:"n000","n001",')
    assert [f.count('"') // 2 for f in filters] == [100, 100, 50]


def test_name_filters_keep_each_listing_url_under_the_budget_by_default():
    names = ["ubuntu-24.04-server-cloudimg-amd64-%03d (2026%04d)" % (i, i) for i in range(100)]
    filters = _images.name_filters(names)
    assert len(filters) > 1
    assert all(len(quote(f, safe="")) <= _images.NAME_QUERY_BYTES for f in filters)
    assert sum(f.count('"') // 2 for f in filters) == 100


def test_name_filters_chunk_by_encoded_length():
    names = ["\u00e9" * 200 + str(i) for i in range(10)]
    filters = _images.name_filters(names, budget=3000)
    assert all(len(quote(f, safe="")) <= 3000 for f in filters)
    assert len(filters) > 1


def test_name_filters_carry_commas_quoted_and_quotes_alone():
    assert _images.name_filters(['glass, darkly', 'beta', 'say "hi"', "back\\slash"]) == [
        'eq:back\\slash', 'eq:say "hi"', 'in:"beta","glass, darkly"']
    assert _images.name_filters([]) == []


def test_an_upload_of_unknown_size_is_sent_in_pieces_uwsgi_takes():
    piece = _images.CHUNKED_PIECE
    chunks = [b"a" * (piece * 4 + 5), b"b" * 10]
    pieces = list(_images.chunked_pieces(iter(chunks)))
    assert [len(p) for p in pieces] == [piece] * 4 + [5, 10]
    assert b"".join(bytes(p) for p in pieces) == b"".join(chunks)
