"""imagecat.glance.image (ImageModule): bad input is refused before any write request."""

import hashlib

import pytest

from ansible_collections.imagecat.glance.plugins.modules.image import ImageModule


@pytest.fixture
def files(tmp_path):
    raw = tmp_path / "disk.raw"
    raw.write_bytes(b"\x01" * 65536)
    empty = tmp_path / "empty.raw"
    empty.write_bytes(b"")
    return {"raw": str(raw), "empty": str(empty)}


def run(args, **kwargs):
    return ImageModule.run_in_controller("image", dict(args, cloud="demo", hash_cache=False), **kwargs)


@pytest.mark.parametrize("args, says", [
    ({"filename": "empty", "disk_format": "raw", "container_format": "bare"}, "is empty (0 bytes)"),
    ({"filename": "raw", "disk_format": "qcow2", "container_format": "bare"},
     "says disk format raw, but disk_format is qcow2"),
    ({"state": "deactivated"}, "state: deactivated needs data"),
    ({"filename": "raw", "timeout": 0}, "timeout: give a number of seconds greater than 0"),
    ({"filename": "raw"}, "disk_format is needed to upload filename to a new image"),
    ({"name": "n" * 256}, "name: the image name 'nnnn"),
    ({"name": ""}, "name: the image name is empty; give the image's name."),
    ({"tags": ["ok", ""]}, "tags: an empty tag ('') is listed; remove it"),
    ({"tags": ["t" * 256]}, "tags: the tag 'tttt"),
])
def test_bad_input_fails_before_any_write(glance, files, args, says):
    args = dict(dict(name="x"), **args)
    if "filename" in args:
        args["filename"] = files[args["filename"]]
    result = run(args)
    assert result["failed"] is True
    assert says in result["msg"]
    assert glance.writes() == []


def test_check_mode_predicts_the_create_without_writes(glance, files):
    result = run({"name": "x", "filename": files["raw"], "disk_format": "raw", "container_format": "bare"},
                 check_mode=True)
    assert result["changed"] is True
    assert result["image"]["status"] == "active"
    assert result["image"]["name"] == "x"
    assert glance.writes() == []


def test_a_replace_published_by_another_run_meanwhile_is_found_not_created_again(cloud, files, monkeypatch):
    """Another run replaces the image: this run's name look-up falls between its retire and its publish
    (no image has the name), and the staged one is published before this run looks for it."""
    data = open(files["raw"], "rb").read()
    published = dict(id="new-id", name="x", status="active", os_hidden=False,
                     disk_format="raw", container_format="bare", size=len(data), owner="p1", visibility="shared",
                     os_hash_algo="sha512", os_hash_value=hashlib.sha512(data).hexdigest(), tags=[],
                     protected=False, checksum=hashlib.md5(data).hexdigest())
    listings = []
    real_answer = cloud.answer

    def answer(method, url, params, data=None):
        if method == "GET" and url.endswith("/v2/images"):
            listings.append(params)
            if len(listings) == 2:  # the other run publishes its staged image just before this listing
                cloud.images.append(published)
        return real_answer(method, url, params, data)
    monkeypatch.setattr(cloud, "answer", answer)
    result = run({"name": "x", "filename": files["raw"]})
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False and result["image"]["id"] == "new-id"
    assert cloud.writes() == []
