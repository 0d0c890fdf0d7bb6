"""imagecat.glance.catalogue (CatalogueModule): bad entries are refused before any write request."""

import pytest

from ansible_collections.imagecat.glance.plugins.modules.catalogue import CatalogueModule


def run(images, **kwargs):
    return CatalogueModule.run_in_controller("catalogue", {"cloud": "demo", "images": images, "hash_cache": False},
                                             **kwargs)


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
