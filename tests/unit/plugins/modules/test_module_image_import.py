"""imagecat.glance.image_import (ImageImportModule): bad input is refused before any request; a glance-direct
run after an interrupted staging repairs what an earlier run of the task made, and nothing else."""

import hashlib

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.module_utils._images import named_image_id
from ansible_collections.imagecat.glance.plugins.modules.image_import import ImageImportModule


@pytest.mark.parametrize("args, says", [
    ({"method": "web-download", "uri": "file:///etc/passwd"}, "uri: 'file:///etc/passwd' is not an http or https URL"),
    ({"method": "web-download", "uri": "https://e.test/x", "timeout": 0}, "timeout: give a number of seconds"),
    ({"method": "glance-direct", "filename": "EMPTY"}, "is empty (0 bytes)"),
    ({"method": "glance-direct"}, "filename: method glance-direct needs filename"),
])
def test_bad_input_fails_before_any_request(glance, tmp_path, args, says):
    empty = tmp_path / "empty.raw"
    empty.write_bytes(b"")
    args = dict(args, name="x", cloud="demo", disk_format="raw", container_format="bare")
    if args.get("filename") == "EMPTY":
        args["filename"] = str(empty)
    result = ImageImportModule.run_in_controller("image_import", args)
    assert result["failed"] is True
    assert says in result["msg"]
    assert glance.requests == []


@pytest.mark.parametrize("name, says", [
    ("", "name: the image name is empty; give the image's name."),
    ("   ", "name: the image name is empty (only whitespace)"),
    ("n" * 256, "is 256 characters long; Glance allows at most 255. Shorten it."),
])
def test_bad_names_fail_before_any_request(glance, name, says):
    result = ImageImportModule.run_in_controller("image_import", dict(
        name=name, cloud="demo", method="web-download", uri="https://e.test/x", disk_format="raw",
        container_format="bare"))
    assert result["failed"] is True and says in result["msg"]
    assert glance.requests == []


# ---- glance-direct after an interrupted staging ------------------------------------------------------

DATA = b"\x07" * 65536


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "disk.raw"
    path.write_bytes(DATA)
    return str(path)


def direct(filename, **more):
    args = dict(name="a", cloud="demo", method="glance-direct", filename=filename, disk_format="raw",
                container_format="bare", timeout=5)
    args.update(more)
    return ImageImportModule.run_in_controller("image_import", args)


def left_by_a_cut_staging(cloud, status, size=None, attempt=0, **fields):
    """The image an earlier run of the task made (its deterministic id) and whose staging was cut."""
    image_id = named_image_id("p1", "a", attempt)
    cloud.images.append(image("a", image_id, status=status, size=size, os_hash_value=None, os_hash_algo=None,
                              tags=["keep"], min_ram=512, **fields))
    return image_id


def writes(cloud):
    return [(method, path) for method, path, dummy in cloud.bodies]


def test_a_staging_left_in_glance_is_repaired_by_a_new_image(cloud, data_file):
    old = left_by_a_cut_staging(cloud, "queued")
    cloud.staged[old] = DATA[:1000]  # what the cut staging left; Glance refuses to stage again (409)
    result = direct(data_file)
    assert result["changed"] is True, result.get("msg")
    new = named_image_id("p1", "a", 1)
    assert result["image"]["id"] == new and result["image"]["status"] == "active"
    assert result["image"]["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    assert writes(cloud) == [("PUT", "/v2/images/%s/stage" % old), ("DELETE", "/v2/images/" + old),
                             ("POST", "/v2/images"), ("POST", "/v2/images"),
                             ("PUT", "/v2/images/%s/stage" % new), ("POST", "/v2/images/%s/import" % new)]
    # The new image carries what the old one had; its first id was the deleted image's.
    created = [body for method, path, body in cloud.bodies if path == "/v2/images"]
    assert [body["id"] for body in created] == [old, new]
    assert created[1]["tags"] == ["keep"] and created[1]["min_ram"] == 512
    assert any("after an interrupted staging" in w and "was deleted" in w for w in result["warnings"])
    assert [i["id"] for i in cloud.images if i["name"] == "a"] == [new]
    again = direct(data_file)
    assert again["changed"] is False and len(cloud.writes()) == 6


def test_an_image_left_uploading_without_its_size_is_made_afresh(cloud, data_file):
    old = left_by_a_cut_staging(cloud, "uploading")
    result = direct(data_file)
    assert result["changed"] is True, result.get("msg")
    assert ("DELETE", "/v2/images/" + old) in writes(cloud)
    assert [(i["id"], i["status"]) for i in cloud.images] == [(named_image_id("p1", "a", 1), "active")]


def test_a_complete_staging_is_imported_and_checked_against_the_file(cloud, data_file):
    old = left_by_a_cut_staging(cloud, "uploading", size=len(DATA))
    cloud.staged[old] = DATA
    result = direct(data_file)
    assert result["changed"] is True, result.get("msg")
    assert writes(cloud) == [("POST", "/v2/images/%s/import" % old)]
    assert result["image"]["id"] == old and result["image"]["status"] == "active"


def test_check_mode_predicts_the_import_without_a_write(cloud, data_file):
    left_by_a_cut_staging(cloud, "uploading")
    result = ImageImportModule.run_in_controller("image_import", dict(
        name="a", cloud="demo", method="glance-direct", filename=data_file, disk_format="raw",
        container_format="bare"), check_mode=True)
    assert result["changed"] is True and result["image"]["status"] == "active"
    assert cloud.writes() == []


def test_an_image_given_by_id_is_never_deleted(cloud, data_file):
    given = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
    cloud.images.append(image("a", given, status="queued", size=None))
    cloud.staged[given] = b"cut"
    result = direct(data_file, id=given)
    assert result["failed"] is True
    assert "after an interrupted staging, and Glance takes no data into it again" in result["msg"]
    assert "it was not made by this task under name 'a', so it was left alone: delete it" in result["msg"]
    assert writes(cloud) == [("PUT", "/v2/images/%s/stage" % given)]
    assert [i["id"] for i in cloud.images] == [given]


def test_a_staging_at_work_for_another_run_is_not_deleted(cloud, data_file):
    old = left_by_a_cut_staging(cloud, "queued")
    stage = ("PUT", "/v2/images/%s/stage" % old)
    # Another run of the task starts staging between this run's read and its own stage.
    cloud.hooks[stage] = lambda: cloud.record(old).update(status="uploading")
    cloud.refuse[stage] = (409, "Image status transition from uploading to uploading is not allowed")
    result = direct(data_file)
    assert result["failed"] is True
    assert result["msg"] == ("image %s: another run is staging data into it (status uploading); run again once it "
                             "is done." % old)
    assert writes(cloud) == [stage]
