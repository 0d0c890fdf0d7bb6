"""The from_osism filter: openstack-image-manager image files as catalogue entries."""

import datetime

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.imagecat.glance.plugins.filter import osism
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import desired_images, validate_catalogue

SHA = "sha256:" + "ab" * 32

# An image file in openstack-image-manager's format (etc/schema.yaml), written for these tests.
IMAGE_FILE = """
images:
  - name: Distro 9
    enable: true
    format: qcow2
    login: distro
    min_disk: 8
    min_ram: 512
    status: active
    visibility: public
    multi: true
    meta:
      architecture: x86_64
      hw_disk_bus: scsi
      hw_vif_multiqueue_enabled: true
      os_distro: centos
      os_version: '9'
      replace_frequency: quarterly
    tags: [gold]
    versions:
      - version: '20250110'
        url: https://mirror.example.org/distro9/20250110.qcow2
        checksum: "%(sha)s"
        build_date: 2025-01-10
      - version: '20250301'
        url: https://upstream.example.org/distro9/20250301.qcow2
        mirror_url: https://mirror.example.org/distro9/20250301.qcow2
        checksum: "%(sha)s"
        build_date: 2025-03-01
        meta:
          patchlevel: '9.5'
  - name: Tool
    format: raw
    login: root
    min_disk: 1
    min_ram: 64
    status: active
    visibility: private
    multi: false
    separator: '-'
    meta:
      os_distro: debian
    tags: []
    versions:
      - version: '1.0'
        url: file:///srv/images/tool-1.0.raw
      - version: '2.0'
        url: https://example.org/tool-2.0.raw
        build_date: 2025-02-02
  - name: Old thing
    enable: false
    format: qcow2
    login: x
    min_disk: 1
    min_ram: 1
    status: active
    visibility: public
    multi: true
    meta: {os_distro: debian}
    tags: []
    versions:
      - version: '1'
        url: https://example.org/old-1.qcow2
""" % {"sha": SHA}


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(osism.display, "warning", seen.append)
    return seen


def convert(text, **options):
    return osism.from_osism(yaml.safe_load(text), **options)


def test_multi_image_is_one_entry_with_rotation_names(warnings):
    entries = convert(IMAGE_FILE)
    assert [e["name"] for e in entries] == ["Distro 9", "Tool-1.0", "Tool-2.0"]
    distro = entries[0]
    assert distro["disk_format"] == "qcow2" and distro["container_format"] == "bare"
    assert (distro["min_disk"], distro["min_ram"], distro["visibility"]) == (8, 512, "public")
    assert distro["version_order"] == "natural"
    assert distro["tags"] == ["gold", "os:centos"]
    assert distro["properties"] == {
        "image_description": "Distro 9", "image_name": "Distro 9", "image_original_user": "distro",
        "architecture": "x86_64", "hw_disk_bus": "scsi", "hw_vif_multiqueue_enabled": "true",
        "os_distro": "centos", "os_version": "9", "replace_frequency": "quarterly"}
    old, new = distro["versions"]
    assert old == {"version": "20250110", "uri": "https://mirror.example.org/distro9/20250110.qcow2",
                   "checksum": SHA, "properties": {"internal_version": "20250110",
                                                   "image_source": "https://mirror.example.org/distro9/20250110.qcow2",
                                                   "image_build_date": "2025-01-10"}}
    # mirror_url is where the data comes from; url stays the recorded source, as the image manager does.
    assert new["uri"] == "https://mirror.example.org/distro9/20250301.qcow2"
    assert new["properties"]["image_source"] == "https://upstream.example.org/distro9/20250301.qcow2"
    assert new["properties"]["patchlevel"] == "9.5"
    assert "enable" not in distro and "login" not in distro
    # Nothing in this file is unmapped, so nothing is warned about.
    assert warnings == []


def test_the_catalogue_accepts_the_entries_and_names_them_like_the_image_manager():
    entries = validate_catalogue(convert(IMAGE_FILE))
    desired = desired_images(entries, "imagecat-managed").values()
    assert sorted((image["name"], image["fields"]["os_hidden"]) for image in desired) == [
        ("Distro 9", False), ("Distro 9 (20250110)", True), ("Tool-1.0", False), ("Tool-2.0", False)]


def test_single_images_one_entry_per_version():
    entries = convert(IMAGE_FILE)
    tool_1, tool_2 = entries[1], entries[2]
    assert tool_1["versions"] == [{"version": "1.0", "filename": "/srv/images/tool-1.0.raw",
                                   "properties": {"internal_version": "1.0", "image_source": "file:///srv/images/tool-1.0.raw",
                                                  "os_version": "1.0"}}]
    assert tool_2["versions"][0]["uri"] == "https://example.org/tool-2.0.raw"
    assert tool_2["versions"][0]["properties"]["image_build_date"] == "2025-02-02"
    assert tool_1["properties"]["image_name"] == "Tool"
    assert tool_1["tags"] == ["os:debian"]
    assert "version_order" not in tool_1


def test_disabled_images_only_on_request():
    assert "Old thing" not in [e["name"] for e in convert(IMAGE_FILE)]
    assert "Old thing" in [e["name"] for e in convert(IMAGE_FILE, include_disabled=True)]


def test_a_bare_list_and_dates_as_timestamps():
    image = yaml.safe_load(IMAGE_FILE)["images"][0]
    image["versions"][0]["build_date"] = datetime.datetime(2025, 1, 10, 12, 30)
    entries = osism.from_osism([image])
    assert entries[0]["versions"][0]["properties"]["image_build_date"] == "2025-01-10"


def test_fields_that_do_not_map_are_warned_about(warnings):
    image = yaml.safe_load(IMAGE_FILE)["images"][0]
    image.update(password="secret", shortname="d9", latest_url="https://x/latest", status="deactivated",
                 separator="_", colour="blue")
    image["meta"]["hw_firmware_type"] = None
    image["versions"][0].update(hidden=False, id="3e7352b2-df5a-471c-8712-fca260089244", visibility="private",
                                checksum="sha1:" + "a" * 40)
    image["versions"].append({"version": "latest", "url": "https://x/latest", "checksums_url": "https://x/SUMS"})
    entries = osism.from_osism({"images": [image]})
    text = "\n".join(warnings)
    for needle in ("password does not map", "shortname does not map", "latest_url does not map",
                   "status deactivated does not map", "separator '_' does not map", "unknown key colour",
                   "meta hw_firmware_type is empty", "version 20250110: hidden does not map",
                   "version 20250110: id does not map", "visibility private differs",
                   "checksum sha1 is left out", 'version latest: "latest" follows a moving upstream file'):
        assert needle in text, needle
    assert all(w.startswith("imagecat.glance.from_osism: images[0] (Distro 9)") for w in warnings)
    # What maps is still converted; the secret is nowhere in the result.
    assert [v["version"] for v in entries[0]["versions"]] == ["20250110", "20250301"]
    assert "checksum" not in entries[0]["versions"][0]
    assert "hw_firmware_type" not in entries[0]["properties"]
    assert "secret" not in repr(entries)


def test_an_image_without_versions_is_left_out(warnings):
    image = {"name": "Empty", "format": "qcow2", "versions": [{"version": "latest", "url": "https://x/l",
                                                               "checksum_url": "https://x/l.sha"}]}
    assert osism.from_osism([image]) == []
    assert any("no version left to declare" in w for w in warnings)


@pytest.mark.parametrize("data, message", [
    ("not a file", "expects the content of an openstack-image-manager image file"),
    ({"images": [{"format": "raw"}]}, "images[0] must be a mapping with a name"),
    ({"images": [{"name": "x", "versions": [{"version": "1"}]}]}, "a version needs url (or mirror_url)"),
    ({"images": [{"name": "x", "versions": [{"url": "https://x"}]}]}, "a version needs a version string"),
])
def test_bad_input_names_the_image(data, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        osism.from_osism(data)


def test_the_filter_is_registered():
    assert osism.FilterModule().filters() == {"from_osism": osism.from_osism}
