"""imagecat.glance.metadefs_info (MetadefsInfoModule): namespaces, one namespace, one object or property."""

import pytest

from ansible_collections.imagecat.glance.plugins.modules.metadefs_info import MetadefsInfoModule

NAMESPACE = {
    "namespace": "OS::Compute::Libvirt", "visibility": "public", "self": "/v2/metadefs/namespaces/OS::Compute::Libvirt",
    "schema": "/v2/schemas/metadefs/namespace",
    "properties": {"hw_rng_model": {"type": "string", "enum": ["virtio"]}},
    "objects": [{"name": "Watchdog", "properties": {}, "self": "/x", "schema": "/y"}],
}


@pytest.fixture
def metadefs(cloud):
    cloud.namespaces = [dict(NAMESPACE)]
    return cloud


def run(args, **kwargs):
    return MetadefsInfoModule.run_in_controller("metadefs_info", dict(args, cloud="demo"), **kwargs)


def test_the_namespaces_and_resource_types_without_links(metadefs):
    result = run({"resource_types": ["OS::Glance::Image"], "visibility": "public"})
    assert result["changed"] is False
    assert [n["namespace"] for n in result["namespaces"]] == ["OS::Compute::Libvirt"]
    assert "self" not in result["namespaces"][0] and "schema" not in result["namespaces"][0]
    assert "self" not in result["namespaces"][0]["objects"][0]
    assert result["resource_types"] == [{"name": "OS::Glance::Image"}]
    query = [q for m, p, q in metadefs.requests if p == "/v2/metadefs/namespaces"][0]
    assert ("resource_types", "OS::Glance::Image") in query and ("visibility", "public") in query
    assert metadefs.writes() == []


def test_one_namespace_and_one_property(metadefs):
    one = run({"namespace": "OS::Compute::Libvirt"})
    assert one["namespaces"][0]["properties"] == NAMESPACE["properties"]
    prop = run({"namespace": "OS::Compute::Libvirt", "property": "hw_rng_model"})
    assert prop["property"] == {"name": "hw_rng_model", "type": "string", "enum": ["virtio"]}
    obj = run({"namespace": "OS::Compute::Libvirt", "object": "Watchdog"})
    assert obj["object"] == {"name": "Watchdog", "properties": {}}


@pytest.mark.parametrize("args, says", [
    ({"namespace": "Nope"}, "namespace: no metadefs namespace 'Nope' is visible to this project"),
    ({"namespace": "OS::Compute::Libvirt", "property": "nope"},
     "property: namespace 'OS::Compute::Libvirt' has no property 'nope'"),
    ({"object": "Watchdog"}, "object needs namespace: the namespace that defines it."),
    ({"namespace": "OS::Compute::Libvirt", "details": True}, "mutually exclusive: namespace|details"),
])
def test_refusals_name_the_option(metadefs, args, says):
    result = run(args)
    assert result["failed"] is True and says in result["msg"]
