"""imagecat.glance.catalogue (CatalogueModule): bad entries are refused before any write request."""

import json
import os
import sys

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import PROP_ENTRY, PROP_SOURCE, PROP_VERSION
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_record import Record, record_properties
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import apply_patch
from ansible_collections.imagecat.glance.plugins.modules.catalogue import CatalogueModule

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugin_utils"))
from glance_stub import Response  # noqa: E402


def run(images, check_mode=False, **options):
    return CatalogueModule.run_in_controller(
        "catalogue", dict({"cloud": "demo", "images": images, "hash_cache": False}, **options), check_mode=check_mode)


def entry(name, **more):
    return dict({"name": name, "disk_format": "raw", "container_format": "bare",
                 "versions": [{"version": "1", "uri": "https://example.test/x.raw"}]}, **more)


@pytest.mark.parametrize("images, says", [
    ([entry("x", versions=[{"version": "1", "uri": "file:///etc/passwd"}])],
     "uri 'file:///etc/passwd' is not an http or https URL"),
    ([entry("x", versions=[{"version": "1", "uri": "https://e.test/1"}, {"version": "2", "uri": "https://e.test/2"}]),
      entry("x (1)")], "the name 'x (1)' is what version 1 of this entry is renamed to"),
])
def test_bad_entries_fail_before_any_request(glance, images, says):
    result = run(images)
    assert result["failed"] is True
    assert says in result["msg"]
    assert glance.requests == []


def test_a_refused_run_reports_its_requests_none_of_them_a_write(glance):
    bad = run([entry("n" * 256), entry("t", tags=["ok", ""])])
    assert bad["failed"] is True and "images[0]: name: the image name 'nnnn" in bad["msg"]
    assert bad["api_requests"] == {"GET": 0, "POST": 0, "PATCH": 0, "PUT": 0, "DELETE": 0}
    assert glance.requests == []
    refused = run([entry("x", disk_format="qcow3")])
    assert refused["failed"] is True and "disk_format 'qcow3' is not one of this cloud's formats" in refused["msg"]
    # What it read (the version document, read once per process, is not the task's own).
    assert refused["api_requests"]["GET"] == len([r for r in glance.requests if r[1] != "/"]) > 0
    assert sum(refused["api_requests"][m] for m in ("POST", "PATCH", "PUT", "DELETE")) == 0 == len(glance.writes())


def test_in_a_loop_a_refused_item_counts_only_its_own_requests(glance):
    connections = {}

    def item(images):
        return CatalogueModule.run_in_controller("catalogue", {"cloud": "demo", "images": images, "hash_cache": False},
                                                 connections=connections)
    first = item([])
    assert first["api_requests"]["GET"] == 2
    second = item([entry("t", tags=[""])])
    assert second["failed"] is True
    assert second["api_requests"] == {"GET": 0, "POST": 0, "PATCH": 0, "PUT": 0, "DELETE": 0}
    third = item([entry("x", disk_format="qcow3")])
    assert third["failed"] is True and third["api_requests"]["GET"] > 0


def test_a_file_whose_header_disagrees_is_refused_before_any_write(glance, tmp_path):
    raw = tmp_path / "disk.raw"
    raw.write_bytes(b"\x01" * 65536)
    result = run([entry("x", disk_format="qcow2", versions=[{"version": "1", "filename": str(raw)}])])
    assert result["failed"] is True
    assert "images[0] (x) version 1: the header of %s says disk format raw, but disk_format is qcow2" % raw \
        in result["msg"]
    assert glance.writes() == []


def test_an_unchanged_plan_reads_only(glance):
    result = run([])
    assert result["changed"] is False
    assert result["api_requests"]["GET"] == 2
    # The two listings, after the version document that every writing module reads once.
    assert [request[1] for request in glance.requests] == ["/", "/v2/images", "/v2/images"]


# ---- listing that follows the catalogue, and the guards before mass changes -----------------

def managed(entry_name, version, index, tag="imagecat-managed", **more):
    return image("%s (%s)" % (entry_name, version), "00000000-0000-4000-8000-%012d" % index, tags=[tag],
                 imagecat_catalogue_entry=entry_name, imagecat_catalogue_version=version, **more)


def crowd(count):
    return [image("unrelated-%d" % i, "10000000-0000-4000-8000-%012d" % i, os_hidden=i % 3 == 0)
            for i in range(count)]


def test_the_listing_asks_for_the_managed_tag_and_the_catalogue_names_only(glance):
    namesake = image("a, b", "20000000-0000-4000-8000-000000000001", os_hidden=True)
    glance.images = crowd(40) + [namesake, managed("gone", "1", 1)]
    result = run([entry("a, b")], check_mode=True)
    listings = glance.list_requests()
    assert [dict(params).get("tag") or dict(params)["name"] for dummy, dummy, params in listings] == \
        ["imagecat-managed", "imagecat-managed", 'in:"a, b","a, b (1)"', 'in:"a, b","a, b (1)"']
    assert [dict(params)["os_hidden"] for dummy, dummy, params in listings] == ["false", "true"] * 2
    assert [u["id"] for u in result["unmanaged"]] == [namesake["id"]]
    assert [s["entry"] for s in result["superseded"]] == ["gone"]


@pytest.mark.parametrize("unrelated", [0, 2500])
def test_the_requests_of_a_run_do_not_follow_the_other_images(glance, unrelated):
    glance.images = crowd(unrelated) + [managed("gone", "1", 1)]
    result = run([entry("x")], check_mode=True)
    assert result["changed"] is True
    assert len(glance.list_requests()) == 4
    assert result["api_requests"]["GET"] == len([r for r in glance.requests if r[1] != "/"])


def test_an_empty_catalogue_with_prune_is_refused_before_any_request(glance):
    glance.images = [managed("gone", "1", 1)]
    result = run([], prune="delete")
    assert result["failed"] is True
    assert "images is empty and prune is 'delete'" in result["msg"]
    assert "allow_prune_all: true" in result["msg"]
    assert [r for r in glance.requests if r[1] != "/"] == []  # at most the version document


def test_an_empty_catalogue_prunes_when_allowed(glance):
    glance.images = [managed("gone", "1", 1)]
    result = run([], prune="hide", allow_prune_all=True, check_mode=True)
    assert result["changed"] is True
    assert [p["action"] for p in result["plan"]] == ["hide"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_max_prune_refuses_more_deletes_before_any_write(glance, check_mode):
    glance.images = [managed("gone", str(v), v) for v in range(1, 13)]
    result = run([entry("x")], prune="delete", check_mode=check_mode)
    assert result["failed"] is True
    assert "would delete or deactivate 12 images tagged imagecat-managed, more than max_prune (10)" in result["msg"]
    assert glance.writes() == []
    allowed = run([entry("x")], prune="delete", max_prune=12, check_mode=True)
    assert [p["action"] for p in allowed["plan"]].count("delete") == 12


def test_hiding_is_not_counted_by_max_prune(glance):
    glance.images = [managed("gone", str(v), v) for v in range(1, 13)]
    result = run([entry("x")], prune="hide", max_prune=0, check_mode=True)
    assert result["changed"] is True


def test_a_negative_max_prune_is_refused(glance):
    result = run([entry("x")], max_prune=-1)
    assert result["failed"] is True
    assert "max_prune must be 0 or more" in result["msg"]
    assert [r for r in glance.requests if r[1] != "/"] == []  # at most the version document


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_run_over_the_image_count_limit_fails_before_any_write(glance, check_mode):
    glance.usage = {"image_count_total": {"usage": 4, "limit": 5}, "image_size_total": {"usage": 0, "limit": -1}}
    result = run([entry("x"), entry("y")], check_mode=check_mode)
    assert result["failed"] is True
    assert "image_count_total: 4 images used + 2 images this run adds > limit 5" in result["msg"]
    assert glance.writes() == []


def test_a_run_over_the_size_limit_names_the_bytes(glance, tmp_path):
    disk = tmp_path / "disk.raw"
    disk.write_bytes(b"\0" * (3 * 1024 * 1024))
    glance.usage = {"image_size_total": {"usage": 1, "limit": 3}}
    result = run([entry("x", versions=[{"version": "1", "filename": str(disk)}])], check_mode=True)
    assert result["failed"] is True
    assert "image_size_total: 1 MiB used + 3 MiB this run adds > limit 3" in result["msg"]
    assert "the run adds 1 images, 3145728 bytes" in result["msg"]


def test_a_run_within_the_limits_and_a_cloud_without_limits_go_on(glance):
    glance.usage = {"image_count_total": {"usage": 3, "limit": 5}}
    assert run([entry("x"), entry("y")], check_mode=True)["changed"] is True
    glance.usage = {}
    assert run([entry("x"), entry("y")], check_mode=True)["changed"] is True


def test_the_summary_counts_a_planned_run(glance, tmp_path):
    disk = tmp_path / "disk.raw"
    disk.write_bytes(b"\0" * 4096)
    glance.images = [managed("gone", "1", 1), managed("gone", "2", 2)]
    result = run([entry("x", versions=[{"version": "1", "filename": str(disk)}]), entry("y")], prune="hide",
                 check_mode=True)
    assert result["summary"] == {"created": 2, "updated": 0, "pruned": 2, "unchanged": 0, "bytes_sent": 4096}


def test_distribution_without_a_keystone_login_is_refused_before_any_write(glance, tmp_path):
    disk = tmp_path / "disk.raw"
    disk.write_bytes(b"\0" * 4096)
    result = run([entry("x", versions=[{"version": "1", "filename": str(disk)}])], data_from_region="RegionTwo")
    assert result["failed"] is True
    assert "images[0] (x) version 1: data_from_region needs a Keystone login (cloud or auth)" in result["msg"]
    assert glance.writes() == []


class PolicyGlance:
    """A Glance session that refuses visibility public with 403 (publicize_image) and applies other patches."""

    def __init__(self, stub):
        self.stub = stub
        self.auth = None
        self.patches = []

    def request(self, url, method, **kwargs):
        if method != "PATCH":
            return self.stub.answer(method, url, kwargs.get("params"))
        self.stub.requests.append((method, url, []))
        ops = json.loads(kwargs["data"])
        self.patches.append(ops)
        if any(op["path"] == "/visibility" and op["value"] == "public" for op in ops):
            return Response(403, {"message": "You are not authorized to complete publicize_image action."})
        image = next(i for i in self.stub.images if url.endswith(i["id"]))
        return Response(200, apply_patch(image, ops))


def recorded(name, **more):
    image = {"id": "id-" + name, "name": name, "owner": "p1", "status": "active", "visibility": "shared", "protected": False,
             "os_hidden": False, "min_disk": 0, "min_ram": 0, "disk_format": "raw", "container_format": "bare",
             "tags": ["imagecat-managed"], PROP_ENTRY: name, PROP_VERSION: "1",
             PROP_SOURCE: "web-download:https://example.test/x.raw"}
    image.update(record_properties(Record()))
    image.update(more)
    return image


def test_a_refused_public_visibility_stops_the_run_before_any_other_write(glance, monkeypatch):
    glance.images = [recorded("x"), recorded("y")]
    session = PolicyGlance(glance)
    monkeypatch.setattr(glance, "session", lambda: session)
    result = run([entry("x", min_ram=64), entry("y", visibility="public")])
    assert result["failed"] is True and result["status"] == 403, result["msg"]
    assert "images[1] (y): Glance refused visibility public" in result["msg"]
    assert "publicize_image (by default: the admin role)" in result["msg"]
    # Only the refused write was sent: x's min_ram was not.
    assert [r[0] for r in glance.writes()] == ["PATCH"]
    assert session.patches == [[{"op": "replace", "path": "/visibility", "value": "public"},
                                session.patches[0][1]]]
    assert session.patches[0][1]["path"] == "/imagecat_catalogue_applied"
