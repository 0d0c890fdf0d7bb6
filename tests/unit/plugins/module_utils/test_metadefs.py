from urllib.parse import unquote, urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._metadefs import (
    check_catalogue_properties,
    check_image_properties,
    fetch_rules,
    get_namespace,
    get_namespace_item,
    property_problems,
    property_rules,
    value_problem,
)

from fakes import FakeResponse, FakeSession

DISK_BUS = {"type": "string", "enum": ["scsi", "virtio", "ide"]}
LIBVIRT = {"namespace": "OS::Compute::LibvirtImage", "properties": {
    "hw_disk_bus": DISK_BUS,
    "hw_vif_model": {"type": "string", "enum": ["e1000", "virtio"]},
    "hw_video_ram": {"type": "integer", "minimum": 0},
    "hw_firmware_stateless": {"type": "boolean"},
}}
VMWARE = {"namespace": "OS::Compute::VMware", "properties": {
    "hw_vif_model": {"type": "string", "enum": ["VirtualE1000", "VirtualVmxnet3"]},
}}
DBMS = {"namespace": "OS::Software::DBMS", "objects": [
    {"name": "MySQL", "properties": {"sw_database_mysql_listen_port": {"type": "integer", "minimum": 1,
                                                                       "maximum": 65535}}}]}
RULES = property_rules([LIBVIRT, VMWARE, DBMS])


def test_enum_type_and_bounds():
    assert value_problem(DISK_BUS, "virtio") is None
    assert "allowed values: scsi, virtio, ide" in value_problem(DISK_BUS, "scisi")
    assert value_problem({"type": "integer", "minimum": 0}, 3) is None
    assert value_problem({"type": "integer", "minimum": 0}, "-1") == "is below the minimum 0"
    assert value_problem({"type": "integer", "maximum": 8}, "9") == "is above the maximum 8"
    assert value_problem({"type": "integer"}, "4.5") == "is not an integer"
    assert value_problem({"type": "number"}, "4.5") is None
    assert value_problem({"type": "boolean"}, True) is None
    assert value_problem({"type": "boolean"}, "Yes") is None
    assert value_problem({"type": "boolean"}, "maybe") == "is not a boolean (true or false)"


def test_pattern_and_length():
    definition = {"type": "string", "pattern": "^[0-9]+[KMG]$", "maxLength": 4}
    assert value_problem(definition, "2M") is None
    assert value_problem(definition, "2 M") == "does not match the pattern ^[0-9]+[KMG]$"
    assert value_problem(definition, "1024M") == "is longer than 4 characters"


def test_operators_and_arrays():
    tpm = {"type": "string", "enum": ["tpm-tis", "tpm-crb"], "operators": ["<or>"]}
    assert value_problem(tpm, "<or> tpm-tis <or> tpm-crb") is None
    assert "has 'tpm-x'" in value_problem(tpm, "<or> tpm-tis <or> tpm-x")
    assert "uses the operator <all-in>" in value_problem(tpm, "<all-in> tpm-tis")
    array = {"type": "array", "items": {"type": "string", "enum": ["x86:AES", "x86:AVX"]}, "operators": ["<all-in>"]}
    assert value_problem(array, "<all-in> x86:AES x86:AVX") is None
    assert value_problem(array, "x86:AES,x86:AVX") is None
    assert value_problem(array, "x86:AES, x86:MMX").startswith("has the item 'x86:MMX'")


def test_a_property_of_several_namespaces_needs_one_to_accept():
    assert property_problems({"hw_vif_model": "VirtualVmxnet3"}, RULES) == []
    [problem] = property_problems({"hw_vif_model": "rtl"}, RULES)
    assert problem.startswith("properties.hw_vif_model: the value 'rtl' ")
    assert "e1000, virtio (namespace OS::Compute::LibvirtImage)" in problem
    assert "VirtualE1000, VirtualVmxnet3 (namespace OS::Compute::VMware)" in problem


def test_unknown_properties_and_object_properties():
    assert property_problems({"idx": "7", "os_distro": "cirros"}, RULES) == []
    [problem] = property_problems({"sw_database_mysql_listen_port": 0}, RULES, where="images[0] (db) properties")
    assert problem == ("images[0] (db) properties.sw_database_mysql_listen_port: the value '0' is below the "
                       "minimum 1 (namespace OS::Software::DBMS (object MySQL))")


def metadefs_client(namespaces, fail=None):
    """A client whose Glance serves these namespace details (names as given)."""
    def responder(method, url, kwargs):
        path = unquote(urlsplit(url).path)
        if fail:
            return FakeResponse(fail, {"message": "no"})
        if path == "/v2/metadefs/namespaces":
            query = dict(kwargs.get("params") or [])
            assert query["resource_types"] == "OS::Glance::Image"
            return FakeResponse(200, {"namespaces": [{"namespace": ns["namespace"]} for ns in namespaces]})
        for ns in namespaces:
            if path == "/v2/metadefs/namespaces/" + ns["namespace"]:
                assert dict(kwargs.get("params"))["resource_type"] == "OS::Glance::Image"
                return FakeResponse(200, ns)
        return FakeResponse(404, {"message": "not found"})
    session = FakeSession(responder)
    return GlanceClient(session, "http://g:9292"), session


def test_rules_are_read_once_per_client():
    client, session = metadefs_client([LIBVIRT, VMWARE])
    assert set(fetch_rules(client)) == {"hw_disk_bus", "hw_vif_model", "hw_video_ram", "hw_firmware_stateless"}
    fetch_rules(client)
    assert len(session.calls) == 3


def test_fail_refuses_before_any_write_and_warn_warns():
    client, session = metadefs_client([LIBVIRT])
    with pytest.raises(InputError) as refused:
        check_image_properties(client, {"hw_disk_bus": "scisi"}, None, "fail", None)
    assert "properties.hw_disk_bus: the value 'scisi' is not one of the allowed values: scsi, virtio, ide " \
           "(namespace OS::Compute::LibvirtImage)" in refused.value.message
    assert all(method == "GET" for method, _url, _kw in session.calls)
    warnings = []
    check_image_properties(client, {"hw_disk_bus": "scisi", "hw_video_ram": 8}, None, "warn", warnings.append)
    assert len(warnings) == 1 and "scisi" in warnings[0]


def test_only_properties_that_change_are_checked_and_off_reads_nothing():
    client, session = metadefs_client([LIBVIRT])
    current = {"hw_disk_bus": "scisi", "hw_video_ram": "8"}
    check_image_properties(client, {"hw_disk_bus": "scisi", "hw_video_ram": 8}, current, "fail", None)
    check_image_properties(client, {"hw_disk_bus": "scisi"}, None, "off", None)
    assert session.calls == []
    with pytest.raises(InputError):
        check_image_properties(client, {"hw_disk_bus": "scisi"}, {"hw_disk_bus": "virtio"}, "fail", None)


def test_unreadable_metadefs():
    client, _session = metadefs_client([], fail=403)
    warnings = []
    check_image_properties(client, {"hw_disk_bus": "scisi"}, None, "warn", warnings.append)
    assert "could not be read" in warnings[0]
    client, _session = metadefs_client([], fail=403)
    with pytest.raises(InputError, match="cannot read the cloud's metadata definitions"):
        check_image_properties(client, {"hw_disk_bus": "scisi"}, None, "fail", None)


def test_catalogue_entries_and_versions_are_named():
    client, session = metadefs_client([LIBVIRT])
    images = [{"name": "ok", "properties": {"hw_disk_bus": "virtio"}, "versions": [{"version": "1"}]},
              {"name": "bad", "properties": {"os_distro": "x"},
               "versions": [{"version": "2", "properties": {"hw_disk_bus": "scisi"}}]}]
    with pytest.raises(InputError) as refused:
        check_catalogue_properties(client, images, "fail", None)
    assert "images[1] (bad) version 2 properties.hw_disk_bus: the value 'scisi'" in refused.value.message
    calls = len(session.calls)
    check_catalogue_properties(client, [{"name": "none", "versions": [{"version": "1"}]}], "fail", None)
    assert len(session.calls) == calls


def test_an_invisible_namespace_object_or_property_is_named():
    client, _session = metadefs_client([LIBVIRT])
    with pytest.raises(InputError, match="namespace: no metadefs namespace 'OS::No::Such' is visible"):
        get_namespace(client, "OS::No::Such")
    with pytest.raises(InputError, match="property: namespace 'OS::Compute::LibvirtImage' has no property 'x'"):
        get_namespace_item(client, "OS::Compute::LibvirtImage", "property", "x")
