"""catalogue_update over real files, upstream answered by a fake fetch."""

import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _catalogue_update
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_file import CatalogueFile
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._upstream import UpstreamError

BASE = "http://mirror.test/debian/latest/"
DIGEST = "e" * 128
CATALOGUE = """---
# Debian, followed from upstream (this comment stays)
images:
  - name: debian-13
    disk_format: qcow2   # the cloud image
    tags: [lts, debian]
    upstream:
      checksum_url: http://mirror.test/debian/latest/SHA512SUMS
      file: debian-13-generic-amd64.qcow2
    versions:
      - version: "20261101"
        uri: http://mirror.test/debian/20261101/debian-13-generic-amd64.qcow2
        checksum: 'sha512:%s'

  - name: local-only
    versions:
      - {version: "1", filename: local.raw}
""" % ("d" * 128)
ADDED = """      - version: "20261201"
        uri: http://mirror.test/debian/latest/debian-13-generic-amd64.qcow2
        checksum: sha512:%s
""" % DIGEST


def upstream(method, url):
    if url == BASE + "SHA512SUMS":
        return 200, {}, "%s  debian-13-generic-amd64.qcow2\n" % DIGEST
    if url == BASE + "debian-13-generic-amd64.qcow2":
        return 200, {"Last-Modified": "Tue, 01 Dec 2026 03:04:05 GMT"}, ""
    return 404, {}, ""


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    monkeypatch.setattr(_catalogue_update, "http_fetch", lambda timeout, validate_certs: upstream)
    path = tmp_path / "debian.yml"
    path.write_text(CATALOGUE)
    return path


def params(*paths, **more):
    value = {"path": [str(p) for p in paths], "entries": None, "timeout": 5, "validate_certs": True}
    value.update(more)
    return value


def test_round_trip_keeps_the_file_as_written(catalogue):
    assert CatalogueFile(str(catalogue)).render() == CATALOGUE


def test_new_build_is_appended_and_nothing_else_changes(catalogue):
    changed, updates, current, diffs = _catalogue_update.update_catalogues(params(catalogue), check_mode=False)
    assert changed and current == []
    assert updates == [{"path": str(catalogue), "entry": "debian-13", "file": "debian-13-generic-amd64.qcow2",
                        "version": "20261201", "uri": BASE + "debian-13-generic-amd64.qcow2",
                        "checksum": "sha512:" + DIGEST}]
    text = catalogue.read_text()
    marker = "        checksum: 'sha512:%s'\n" % ("d" * 128)
    assert text == CATALOGUE.replace(marker, marker + ADDED)
    assert diffs == [{"before": CATALOGUE, "after": text, "before_header": str(catalogue),
                      "after_header": str(catalogue)}]
    # The second run finds the build listed.
    assert _catalogue_update.update_catalogues(params(catalogue), check_mode=False)[:3] == (False, [], ["debian-13"])
    assert catalogue.read_text() == text


def test_check_mode_reports_and_writes_nothing(catalogue):
    changed, updates, dummy, diffs = _catalogue_update.update_catalogues(params(catalogue), check_mode=True)
    assert changed and updates[0]["version"] == "20261201" and ADDED in diffs[0]["after"]
    assert catalogue.read_text() == CATALOGUE


def test_file_mode_is_kept(catalogue):
    os.chmod(str(catalogue), 0o640)
    _catalogue_update.update_catalogues(params(catalogue), check_mode=False)
    assert os.stat(str(catalogue)).st_mode & 0o777 == 0o640


def test_a_failing_entry_leaves_every_file_as_it_was(catalogue, tmp_path):
    broken = tmp_path / "zz-broken.yml"
    broken.write_text("images:\n- name: gone\n  upstream: {checksum_url: 'http://mirror.test/gone/SUMS', file: x}\n"
                      "  versions: [{version: '1', uri: 'http://mirror.test/x'}]\n")
    with pytest.raises(UpstreamError, match="zz-broken.yml: images\\[0\\] \\(gone\\): upstream.checksum_url "
                                            "http://mirror.test/gone/SUMS answers HTTP 404"):
        _catalogue_update.update_catalogues(params(tmp_path), check_mode=False)
    assert catalogue.read_text() == CATALOGUE


def test_entries_filter(catalogue):
    assert _catalogue_update.update_catalogues(params(catalogue, entries=["debian-13"]), False)[0]
    with pytest.raises(InputError, match="entries: no entry with an upstream block is named local-only"):
        _catalogue_update.update_catalogues(params(catalogue, entries=["local-only"]), False)


@pytest.mark.parametrize("text, message", [
    ("images: [\n", "is not valid YAML"),
    ("- just a list\n", "needs a top-level 'images' list"),
])
def test_bad_files(tmp_path, text, message):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        _catalogue_update.update_catalogues(params(path), False)


def test_missing_paths(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        _catalogue_update.catalogue_paths([str(tmp_path / "nope.yml")])
    with pytest.raises(InputError, match="holds no \\*.yml"):
        _catalogue_update.catalogue_paths([str(tmp_path)])


def test_sequence_indentation_is_read_from_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_catalogue_update, "http_fetch", lambda timeout, validate_certs: upstream)
    flat = ("images:\n- name: debian-13\n  upstream:\n    checksum_url: %sSHA512SUMS\n"
            "    file: debian-13-generic-amd64.qcow2\n  versions:\n  - version: '1'\n    uri: %sold.qcow2\n"
            % (BASE, BASE))
    path = tmp_path / "flat.yml"
    path.write_text(flat)
    _catalogue_update.update_catalogues(params(path), False)
    assert path.read_text() == flat + ('  - version: "20261201"\n    uri: %sdebian-13-generic-amd64.qcow2\n'
                                       "    checksum: sha512:%s\n" % (BASE, DIGEST))


def test_end_of_line_comment_stays_on_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(_catalogue_update, "http_fetch", lambda timeout, validate_certs: upstream)
    text = ("images:\n  - name: debian-13\n    upstream: {checksum_url: '%sSHA512SUMS', file: debian-13-generic-amd64.qcow2}\n"
            "    versions:\n      - version: '1'\n        uri: %sold.qcow2  # the first one\n\n# the end\n" % (BASE, BASE))
    path = tmp_path / "eol.yml"
    path.write_text(text)
    _catalogue_update.update_catalogues(params(path), False)
    assert path.read_text() == text.replace("# the first one\n", "# the first one\n" + ADDED)


def test_an_upstream_with_a_transfer_gets_url_versions(tmp_path, monkeypatch):
    monkeypatch.setattr(_catalogue_update, "http_fetch", lambda timeout, validate_certs: upstream)
    text = ("images:\n  - name: debian-13\n    upstream:\n      checksum_url: %sSHA512SUMS\n"
            "      file: debian-13-generic-amd64.qcow2\n      transfer: controller\n    versions: []\n" % BASE)
    path = tmp_path / "controller.yml"
    path.write_text(text)
    changed, updates, dummy, dummy2 = _catalogue_update.update_catalogues(params(path), False)
    assert changed and updates[0]["transfer"] == "controller"
    assert path.read_text() == text.replace("versions: []\n", (
        'versions:\n      - version: "20261201"\n        url: %sdebian-13-generic-amd64.qcow2\n'
        "        checksum: sha512:%s\n        transfer: controller\n" % (BASE, DIGEST)))
