"""imagecat.glance.service_info (ServiceInfoModule): what it reads of the service and how it reports it."""

from ansible_collections.imagecat.glance.plugins.module_utils import _glance
from ansible_collections.imagecat.glance.plugins.modules.service_info import ServiceInfoModule

STORES = [{"id": "fast", "default": True, "description": "SSD"}, {"id": "cheap", "read-only": "true"}]


def run(**kwargs):
    return ServiceInfoModule.run_in_controller("service_info", {"cloud": "demo"}, **kwargs)


def test_a_single_store_cloud_without_cache_or_limits(cloud):
    cloud.import_methods = ["glance-direct", "web-download"]
    result = run()
    assert result["changed"] is False
    assert result["endpoint"] == "http://glance.test:9292"
    assert result["versions"] == [{"id": "v2.17", "status": "CURRENT"}]
    assert result["current_version"] == "2.17"
    assert result["features"] == {"import_methods": ["glance-direct", "web-download"], "stores": [],
                                  "cache": False, "usage": {}}
    assert cloud.writes() == []


def test_stores_with_details_where_the_caller_may_read_them(cloud):
    cloud.stores = STORES
    cloud.store_details = [{"id": "fast", "type": "file", "weight": 100, "properties": {"data_dir": "/a"}}]
    stores = run()["features"]["stores"]
    assert stores == [
        {"id": "fast", "default": True, "description": "SSD", "read_only": False, "type": "file", "weight": 100,
         "properties": {"data_dir": "/a"}},
        {"id": "cheap", "default": False, "description": "", "read_only": True},
    ]


def test_store_details_refused_leave_the_plain_list(cloud):
    cloud.stores = STORES
    stores = run()["features"]["stores"]
    assert [s["id"] for s in stores] == ["fast", "cheap"] and "type" not in stores[0]
    assert ("GET", "/v2/info/stores/detail", []) in cloud.requests


def test_cache_and_usage_are_reported(cloud):
    cloud.cache = {"cached_images": [], "queued_images": []}
    cloud.usage = {"image_count_total": {"usage": 3, "limit": 10}}
    features = run()["features"]
    assert features["cache"] is True
    assert features["usage"] == {"image_count_total": {"usage": 3, "limit": 10}}


def test_a_cache_api_refused_to_a_non_admin_counts_as_enabled_when_2_14_is_listed(cloud):
    cloud.refuse[("GET", "/v2/cache")] = (403, "Access was denied to this resource.")
    assert run()["features"]["cache"] is False
    # A fresh process: the version document is read once per process.
    _glance._VERSION_CACHE.clear()
    cloud.versions = [{"id": "v2.17", "status": "CURRENT"}, {"id": "v2.14", "status": "SUPPORTED"}]
    assert run()["features"]["cache"] is True


def test_check_mode_reads_the_same(cloud):
    assert run(check_mode=True) == run()
    assert cloud.writes() == []
