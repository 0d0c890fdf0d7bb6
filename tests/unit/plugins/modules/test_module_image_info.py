"""imagecat.glance.image_info (ImageInfoModule): the queries it sends and what it returns; it never writes."""

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.modules.image_info import ImageInfoModule

IDS = ["3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f0%d" % n for n in range(4)]


@pytest.fixture
def listed(cloud):
    cloud.images.extend([
        image("cirros", IDS[0], tags=["ci"], os_distro="cirros"),
        image("ubuntu", IDS[1], tags=["ci", "lts"], disk_format="qcow2"),
        image("ubuntu", IDS[2], status="deactivated"),
        image("secret", IDS[3], os_hidden=True),
    ])
    return cloud


def run(args, **kwargs):
    return ImageInfoModule.run_in_controller("image_info", dict(args, cloud="demo"), **kwargs)


def names(result):
    return [(i["name"], i["id"]) for i in result["images"]]


def list_queries(cloud):
    return [params for method, path, params in cloud.requests if path == "/v2/images"]


def test_filters_become_one_list_query_and_return_the_matches(listed):
    result = run({"filters": {"tag": ["ci", "lts"], "disk_format": "qcow2", "status": "active"}})
    assert result["changed"] is False
    assert names(result) == [("ubuntu", IDS[1])]
    query = list_queries(listed)[0]
    assert ("tag", "ci") in query and ("tag", "lts") in query
    assert ("disk_format", "eq:qcow2") in query and ("status", "eq:active") in query
    assert listed.writes() == []


def test_a_custom_property_filter_is_sent_as_it_is(listed):
    result = run({"properties": {"os_distro": "cirros"}})
    assert names(result) == [("cirros", IDS[0])]
    assert ("os_distro", "cirros") in list_queries(listed)[0]


def test_an_id_is_read_directly_and_finds_a_hidden_image(listed):
    result = run({"image": IDS[3]})
    assert names(result) == [("secret", IDS[3])]
    assert [(m, p) for m, p, q in listed.requests if p.startswith("/v2/images")] == [("GET", "/v2/images/" + IDS[3])]


def test_a_name_lists_every_image_of_that_name(listed):
    result = run({"name": "ubuntu"})
    assert sorted(names(result)) == [("ubuntu", IDS[1]), ("ubuntu", IDS[2])]
    assert ("name", "eq:ubuntu") in list_queries(listed)[0]


def test_check_mode_returns_the_same_images(listed):
    assert run({"name": "ubuntu"}, check_mode=True)["images"] == run({"name": "ubuntu"})["images"]
    assert listed.writes() == []


def test_pages_are_followed(listed):
    result = run({"page_size": 1})
    assert len(result["images"]) == 3
    assert len(list_queries(listed)) == 4  # three pages of one, then an empty one
    assert all(("limit", "1") in query for query in list_queries(listed))


def test_nothing_found_is_an_empty_list(listed):
    result = run({"name": "none-such"})
    assert result["images"] == [] and "failed" not in result


@pytest.mark.parametrize("args, says", [
    ({"page_size": 0}, "page_size must be 1 or more."),
    ({"filters": {"status": "broken"}}, "filters.status: unknown status 'broken'"),
    ({"filters": {"size_min": -1}}, "filters.size_min must be 0 or more bytes."),
    ({"properties": {"tag": "x"}}, "properties.tag: 'tag' is a list filter, not a custom property; use filters.tag"),
])
def test_bad_filters_are_refused_before_any_list(listed, args, says):
    result = run(args)
    assert result["failed"] is True
    assert says in result["msg"]
    assert list_queries(listed) == []
