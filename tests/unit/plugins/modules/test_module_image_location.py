"""imagecat.glance.image_location (ImageLocationModule): add a location once, check mode, refusals."""

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.modules.image_location import ImageLocationModule

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
URL = "https://mirror.example.com/disk.img"
LOCATIONS = "/v2/images/%s/locations" % IMAGE_ID


@pytest.fixture
def queued(cloud):
    cloud.images.append(image("a", IMAGE_ID, status="queued", size=None))
    return cloud


def run(args, **kwargs):
    return ImageLocationModule.run_in_controller("image_location", dict(args, cloud="demo"), diff=True, **kwargs)


def test_adds_the_location_waits_then_is_unchanged(queued):
    result = run({"image": "a", "url": URL})
    assert result["changed"] is True
    assert queued.bodies == [("POST", LOCATIONS, {"url": URL})]
    assert result["image"]["status"] == "active"
    assert result["task"]["type"] == "location_import" and result["task"]["status"] == "success"
    assert result["locations"] == [{"url": URL, "metadata": {}}]
    assert result["diff"] == {"before": {"locations": []}, "after": {"locations": [URL]}}

    again = run({"image": "a", "url": URL})
    assert again["changed"] is False and len(queued.writes()) == 1


def test_validation_data_is_sent_normalised(queued):
    digest = "AB" * 32
    run({"image": "a", "url": URL, "verify_url": False,
         "validation_data": {"os_hash_algo": "sha256", "os_hash_value": digest}})
    sent = {"url": URL, "validation_data": {"os_hash_algo": "sha256", "os_hash_value": digest.lower()}}
    assert queued.bodies[-1][2] == sent


def test_without_the_service_role_the_tasks_tell_that_it_is_done(queued):
    queued.locations_readable = False
    first = run({"image": "a", "url": URL})
    assert first["changed"] is True and first["locations"] is None
    again = run({"image": "a", "url": URL})
    assert again["changed"] is False and len(queued.writes()) == 1


def test_check_mode_predicts_without_a_write(queued):
    result = run({"image": "a", "url": URL}, check_mode=True)
    assert result["changed"] is True
    assert result["image"]["status"] == "active"
    assert result["locations"] == [{"url": URL, "metadata": {}}]
    assert queued.writes() == [] and queued.images[0]["status"] == "queued"


def test_listing_without_url(queued):
    queued.locations[IMAGE_ID] = [{"url": URL, "metadata": {}}]
    result = run({"image": "a"})
    assert result["changed"] is False and result["locations"] == [{"url": URL, "metadata": {}}]


@pytest.mark.parametrize("args, says", [
    ({"url": "disk.img"}, "url: 'disk.img' is not a URL"),
    ({"url": "file:///etc/passwd"}, "url: Glance refuses file:// locations from every caller"),
    ({"url": "https://x/" + "a" * 250}, "url: Glance stores location URLs of at most 255 characters"),
    ({"url": URL, "validation_data": {"os_hash_algo": "sha256", "os_hash_value": "abc"}},
     "validation_data.os_hash_value: a sha256 digest is 64 hexadecimal characters"),
])
def test_bad_urls_are_refused_before_any_request(queued, args, says):
    result = run(dict(args, image="a"))
    assert result["failed"] is True and says in result["msg"]
    assert queued.requests == []


def test_an_image_with_data_is_refused_before_a_write(queued):
    queued.images[0]["status"] = "active"
    result = run({"image": "a", "url": URL})
    assert result["failed"] is True
    assert "Glance adds locations only to an image without data (queued)" in result["msg"]
    assert queued.writes() == []


def test_a_cloud_without_the_location_api_is_named(queued):
    queued.versions = [{"id": "v2.16", "status": "CURRENT"}]
    result = run({"image": "a", "url": URL})
    assert result["failed"] is True and "has no location API (2.17, Dalmatian)" in result["msg"]
    assert queued.writes() == []
