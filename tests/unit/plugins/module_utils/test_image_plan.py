import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    apply_patch,
    build_patch,
    create_body,
    desired_fields,
    desired_tags,
    managed_view,
    parse_checksum,
    validate_id,
    validate_name,
    validate_properties,
    validate_tags,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError

IMAGE = {
    "id": "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00", "name": "ubuntu", "status": "active",
    "disk_format": "qcow2", "container_format": "bare", "visibility": "shared", "protected": False,
    "os_hidden": False, "min_disk": 0, "min_ram": 0, "tags": ["b", "a"], "size": 10,
    "os_hash_algo": "sha512", "os_hash_value": "ff", "checksum": "00", "os_distro": "ubuntu", "idx": "3",
    "kernel_id": "k", "os_glance_importing_to_stores": "", "self": "/v2/images/x",
}


def test_properties_become_the_strings_glance_stores():
    assert validate_properties({"idx": 3, "flag": True, "ratio": 1.5, "s": "x"}) == {
        "idx": "3", "flag": "true", "ratio": "1.5", "s": "x"}


@pytest.mark.parametrize("properties, fragment", [
    ({"os_glance_import_task": "x"}, "properties.os_glance_import_task: 'os_glance_import_task' is reserved"),
    ({"checksum": "x"}, "properties.checksum"),
    ({"size": 3}, "properties.size"),
    ({"visibility": "public"}, "Use the visibility option instead"),
    ({"os_hidden": True}, "Use the hidden option instead"),
    ({"meta": {"a": 1}}, "properties.meta: values must be strings, numbers or booleans, not dict"),
    ({"list": [1]}, "not list"),
    ({"nothing": None}, "not null"),
    ({"k" * 256: "v"}, "256 characters long"),
])
def test_bad_properties_are_refused_naming_the_key(properties, fragment):
    with pytest.raises(InputError) as caught:
        validate_properties(properties)
    assert fragment in caught.value.message


def test_tags_are_checked_for_length_emptiness_and_duplicates():
    # Glance's schema sets a maximum length and no minimum: a blank tag is a tag like any other.
    assert validate_tags(["a b", "ü", " ", "t" * 255]) == ["a b", "ü", " ", "t" * 255]
    with pytest.raises(InputError, match="listed twice"):
        validate_tags(["a", "a"])
    with pytest.raises(InputError, match="256 characters"):
        validate_tags(["t" * 256])
    with pytest.raises(InputError) as caught:
        validate_tags(["a", ""], option="managed_tag")
    assert caught.value.message == ("managed_tag: an empty tag ('') is listed; remove it (Glance's tag calls "
                                    "cannot name an empty tag).")


def test_names_are_checked_for_length_and_emptiness():
    assert validate_name(None) is None
    assert validate_name("n" * 255) == "n" * 255
    assert validate_name("ü" * 255) == "ü" * 255  # characters, not bytes, as Glance's JSON schema counts
    with pytest.raises(InputError) as caught:
        validate_name("n" * 256)
    assert caught.value.message == ("name: the image name '%s...' is 256 characters long; Glance allows at most "
                                    "255. Shorten it." % ("n" * 40))
    with pytest.raises(InputError, match="^name: the image name is empty; give the image's name.$"):
        validate_name("")
    with pytest.raises(InputError, match=r"^x: the image name is empty \(only whitespace\)"):
        validate_name(" \t", option="x")


def test_checksum_forms():
    assert parse_checksum("SHA256:" + "AB" * 32) == ("sha256", "ab" * 32)
    assert parse_checksum(None) is None
    with pytest.raises(InputError, match="<algorithm>:<hex digest>"):
        parse_checksum("abcdef")
    with pytest.raises(InputError, match="<algorithm>:<hex digest>"):
        parse_checksum("sha1:" + "a" * 40)
    with pytest.raises(InputError, match="a md5 digest is 32 hexadecimal characters; got 3"):
        parse_checksum("md5:abc")
    with pytest.raises(InputError, match="32 hexadecimal"):
        parse_checksum("md5:" + "z" * 32)


def test_id_must_be_a_uuid():
    assert validate_id(IMAGE["id"]) == IMAGE["id"]
    with pytest.raises(InputError, match="id: 'not-a-uuid' is not a UUID"):
        validate_id("not-a-uuid")


def test_only_set_options_are_desired():
    params = {"disk_format": None, "visibility": "private", "hidden": True, "min_ram": 0, "protected": None}
    assert desired_fields(params, {"owner": "p1", "kernel_id": None}) == {
        "visibility": "private", "os_hidden": True, "min_ram": 0, "owner": "p1"}


def test_unchanged_desired_state_gives_an_empty_patch():
    ops = build_patch(IMAGE, fields={"disk_format": "qcow2", "min_ram": 0}, properties={"idx": "3"},
                      tags=desired_tags(IMAGE["tags"], ["a"], purge=False))
    assert ops == []


def test_patch_holds_only_differences():
    ops = build_patch(IMAGE, name="renamed", fields={"visibility": "private", "min_disk": 0, "ramdisk_id": "r"},
                      properties={"idx": "4", "new/key": "v", "os_distro": "ubuntu"},
                      tags=desired_tags(IMAGE["tags"], ["c"], purge=False))
    assert ops == [
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/ramdisk_id", "value": "r"},
        {"op": "replace", "path": "/visibility", "value": "private"},
        {"op": "replace", "path": "/idx", "value": "4"},
        {"op": "add", "path": "/new~1key", "value": "v"},
        {"op": "replace", "path": "/tags", "value": ["b", "a", "c"]},
    ]


def test_purge_removes_only_unlisted_custom_properties():
    ops = build_patch(IMAGE, properties={"idx": "3"}, purge_properties=True)
    # kernel_id belongs to the kernel option; os_glance_* and base fields are not properties.
    assert ops == [{"op": "remove", "path": "/os_distro"}]


def test_purged_tags_are_the_exact_set():
    assert desired_tags(["a", "b"], ["b"], purge=True) == ["b"]
    assert desired_tags(["a", "b"], None, purge=True) is None
    assert build_patch(IMAGE, tags=["a", "b"]) == []
    assert build_patch(IMAGE, tags=["a"]) == [{"op": "replace", "path": "/tags", "value": ["a"]}]


def test_apply_patch_predicts_glance():
    ops = build_patch(IMAGE, properties={"idx": "4", "new/key": "v"}, purge_properties=True)
    predicted = apply_patch(IMAGE, ops)
    assert predicted["idx"] == "4" and predicted["new/key"] == "v" and "os_distro" not in predicted
    assert IMAGE["idx"] == "3"


def test_create_body_carries_everything_in_one_request():
    body = create_body("i", "n", {"disk_format": "raw"}, {"idx": "1"}, ["t"])
    assert body == {"id": "i", "name": "n", "disk_format": "raw", "idx": "1", "tags": ["t"]}


def test_managed_view_for_diff():
    view = managed_view(IMAGE)
    assert view["tags"] == ["a", "b"]
    assert view["properties"] == {"idx": "3", "kernel_id": "k", "os_distro": "ubuntu"}
    assert "self" not in view and "size" not in view and "checksum" not in view
    assert managed_view(None) == {}
