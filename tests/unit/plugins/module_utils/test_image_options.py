from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient
from ansible_collections.imagecat.glance.plugins.module_utils._image_options import (
    IMAGE_METADATA_ARGSPEC,
    ImageMetadata,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from fakes import FakeResponse, FakeSession

UUID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
KERNEL = "aaaaaaaa-1a0f-4a37-9b7e-0e8c6d1e5f00"
SCHEMA = {"properties": {"disk_format": {"enum": [None, "raw", "qcow2"]},
                         "container_format": {"enum": [None, "bare"]}}}


def params(**values):
    """Module params as AnsibleModule fills them: every option, with its default."""
    result = {name: spec.get("default") for name, spec in IMAGE_METADATA_ARGSPEC.items()}
    result.update(values)
    return result


class FakeConnection:
    has_keystone = False

    def project_id(self):
        return "p-own"


def client_answering(handler, root="http://options.test"):
    def responder(method, url, kwargs):
        query = dict(parse_qsl(urlsplit(url).query))
        query.update(dict(kwargs.get("params") or []))
        return handler(method, urlsplit(url).path, query, kwargs)
    session = FakeSession(responder)
    return GlanceClient(session, root, sleep=lambda s: None), session


@pytest.mark.parametrize("values, message", [
    (dict(id="not-a-uuid"), "id: 'not-a-uuid' is not a UUID"),
    (dict(properties={"os_glance_x": "1"}), "properties.os_glance_x: 'os_glance_x' is reserved"),
    (dict(properties={"visibility": "public"}), "Use the visibility option instead."),
    (dict(tags=["a", "a"]), "tags: the tag 'a' is listed twice."),
    (dict(min_ram=-1), "min_ram must be 0 or more."),
])
def test_bad_metadata_is_refused_without_the_cloud(values, message):
    with pytest.raises(InputError) as caught:
        ImageMetadata(params(name="x", **values))
    assert message in caught.value.message


def test_properties_and_tags_are_normalised():
    meta = ImageMetadata(params(name="x", properties={"idx": 3, "flag": True}, tags=["b", "a"]))
    assert meta.properties == {"idx": "3", "flag": "true"}
    assert meta.tags == ["b", "a"]


def test_the_owner_of_a_bare_endpoint_is_taken_as_an_id():
    meta = ImageMetadata(params(name="x", owner="p-other"))
    assert meta.resolve_owner(FakeConnection()) == "p-other"
    assert ImageMetadata(params(name="x")).resolve_owner(FakeConnection()) is None


def test_find_by_name_looks_in_the_callers_project_hidden_ones_included():
    seen = []

    def handler(method, path, query, kwargs):
        seen.append(query)
        hidden = query.get("os_hidden") == "true"
        return FakeResponse(200, {"images": [{"id": UUID, "name": "x", "created_at": "1"}] if hidden else []})
    client, unused = client_answering(handler)
    found = ImageMetadata(params(name="x")).find_current(client, FakeConnection())
    assert found["id"] == UUID
    sent = [(q["name"], q["owner"], q["os_hidden"]) for q in seen]
    assert sent == [("eq:x", "p-own", "false"), ("eq:x", "p-own", "true")]


def test_two_images_of_one_name_fail_listing_their_ids():
    other = "bbbbbbbb-1a0f-4a37-9b7e-0e8c6d1e5f00"

    def handler(method, path, query, kwargs):
        if query.get("os_hidden") == "true":
            return FakeResponse(200, {"images": []})
        return FakeResponse(200, {"images": [{"id": UUID, "created_at": "1"}, {"id": other, "created_at": "2"}]})
    client, unused = client_answering(handler)
    with pytest.raises(InputError) as caught:
        ImageMetadata(params(name="x")).find_current(client, FakeConnection())
    assert caught.value.message == "name: 2 images are named 'x': %s, %s. Give id to choose one." % (UUID, other)


def test_find_by_id_is_one_get():
    client, session = client_answering(lambda *a: FakeResponse(404, {"message": "no"}))
    assert ImageMetadata(params(id=UUID)).find_current(client, FakeConnection()) is None
    assert len(session.calls) == 1


def test_desired_resolves_kernel_and_checks_formats_against_the_schema():
    def handler(method, path, query, kwargs):
        if path == "/v2/schemas/image":
            return FakeResponse(200, SCHEMA)
        if path == "/v2/images/%s" % KERNEL:
            return FakeResponse(200, {"id": KERNEL, "name": "k"})
        raise AssertionError(path)
    client, unused = client_answering(handler, root="http://schema.test")
    meta = ImageMetadata(params(name="x", disk_format="raw", container_format="bare", kernel=KERNEL, hidden=True))
    assert meta.desired(client, None) == {"disk_format": "raw", "container_format": "bare", "os_hidden": True,
                                          "kernel_id": KERNEL}
    with pytest.raises(InputError) as caught:
        ImageMetadata(params(name="x", disk_format="vhd")).desired(client, None)
    assert caught.value.message == "disk_format: 'vhd' is not one of this cloud's formats: raw, qcow2."


def test_an_unchanged_format_is_not_checked_again():
    client, session = client_answering(lambda *a: FakeResponse(500, {"message": "not called"}))
    assert ImageMetadata(params(name="x", disk_format="raw")).desired(client, {"disk_format": "raw"}) == {
        "disk_format": "raw"}
    assert session.calls == []


def test_patch_renames_only_with_id_and_merges_tags_unless_purged():
    current = {"id": UUID, "name": "old", "tags": ["a"], "min_ram": 0, "keep": "1"}
    by_name = ImageMetadata(params(name="new", tags=["b"], properties={"p": 1}))
    assert by_name.patch(current, {"min_ram": 64}) == [
        {"op": "replace", "path": "/min_ram", "value": 64},
        {"op": "add", "path": "/p", "value": "1"},
        {"op": "replace", "path": "/tags", "value": ["a", "b"]},
    ]
    by_id = ImageMetadata(params(id=UUID, name="new", tags=["b"], purge_tags=True, purge_properties=True,
                                 properties={}))
    assert by_id.patch(current, {}) == [
        {"op": "replace", "path": "/name", "value": "new"},
        {"op": "remove", "path": "/keep"},
        {"op": "replace", "path": "/tags", "value": ["b"]},
    ]
    assert ImageMetadata(params(name="old", tags=["a"])).patch(current, {"min_ram": 0}) == []
