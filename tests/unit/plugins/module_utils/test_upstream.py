"""Upstream blocks and new-build discovery, with upstream answered by a fake fetch."""

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import natural_key, validate_catalogue
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._upstream import (
    UpstreamError,
    is_known,
    newest_build,
    validate_upstream,
)

BASE = "http://mirror.test/ubuntu/current/"
SUMS = "%s *noble.img\n%s *noble-arm64.img\n" % ("a" * 64, "b" * 64)
FEDORA = "SHA256 (Fedora-41-1.3.qcow2) = %s\nSHA256 (Fedora-41-1.10.qcow2) = %s\n" % ("c" * 64, "d" * 64)


class Upstream:
    """Answers fetch(method, url) from a dict of url -> (status, headers, text); records the calls."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, method, url):
        self.calls.append((method, url))
        return self.answers.get(url, (404, {}, ""))


def spec(**more):
    value = {"checksum_url": BASE + "SHA256SUMS", "file": "noble.img"}
    value.update(more)
    return validate_upstream(value, "images[0] (ubuntu)")


def test_last_modified_names_the_version():
    upstream = Upstream({BASE + "SHA256SUMS": (200, {}, SUMS),
                         BASE + "noble.img": (200, {"Last-Modified": "Tue, 01 Dec 2026 06:00:00 GMT"}, "")})
    build = newest_build(spec(), "images[0] (ubuntu)", upstream, natural_key)
    assert build == {"file": "noble.img", "uri": BASE + "noble.img", "version": "20261201",
                     "checksum": "sha256:" + "a" * 64}
    assert upstream.calls == [("GET", BASE + "SHA256SUMS"), ("HEAD", BASE + "noble.img")]


def test_pattern_and_regex_pick_the_newest_build_naturally():
    url = "http://mirror.test/fedora/CHECKSUM"
    upstream = Upstream({url: (200, {}, FEDORA)})
    value = spec(checksum_url=url, file=None, pattern="Fedora-41-*.qcow2", version_from="regex",
                 version_regex=r"Fedora-(?P<version>41-[\d.]+)\.qcow2")
    build = newest_build(value, "e", upstream, natural_key)
    assert build["version"] == "41-1.10" and build["checksum"] == "sha256:" + "d" * 64
    assert all(method == "GET" for method, dummy in upstream.calls)


def test_url_option_moves_the_images():
    value = spec(url="http://files.test/images")
    assert value["url"] == "http://files.test/images/"
    upstream = Upstream({BASE + "SHA256SUMS": (200, {}, SUMS),
                         "http://files.test/images/noble.img": (200, {"Last-Modified": "Mon, 02 Nov 2026 0:0:0 GMT"}, "")})
    assert newest_build(value, "e", upstream, natural_key)["version"] == "20261102"


@pytest.mark.parametrize("answers, message", [
    ({}, "upstream.checksum_url http://mirror.test/ubuntu/current/SHA256SUMS answers HTTP 404"),
    ({BASE + "SHA256SUMS": (200, {}, "<html>not found</html>")}, "is not a checksum file: line 1"),
    ({BASE + "SHA256SUMS": (200, {}, "%s *other.img\n" % ("a" * 64))}, "does not list noble.img"),
    ({BASE + "SHA256SUMS": (200, {}, SUMS)}, "the image http://mirror.test/ubuntu/current/noble.img .* HTTP 404"),
    ({BASE + "SHA256SUMS": (200, {}, SUMS), BASE + "noble.img": (200, {}, "")}, "no usable Last-Modified"),
])
def test_upstream_failures_name_entry_and_url(answers, message):
    with pytest.raises(UpstreamError, match="^images\\[0\\] \\(ubuntu\\): .*" + message):
        newest_build(spec(), "images[0] (ubuntu)", Upstream(answers), natural_key)


def test_pattern_without_match_lists_what_is_there():
    upstream = Upstream({BASE + "SHA256SUMS": (200, {}, SUMS)})
    with pytest.raises(UpstreamError, match="no file matching upstream.pattern 'jammy-\\*'; it lists noble.img"):
        newest_build(spec(file=None, pattern="jammy-*"), "e", upstream, natural_key)


@pytest.mark.parametrize("value, message", [
    ("x", "upstream must be a mapping"),
    ({"checksum_url": "file:///etc/passwd", "file": "x"}, "checksum_url must be an http or https URL"),
    ({"checksum_url": BASE + "S"}, "exactly one of file"),
    ({"checksum_url": BASE + "S", "file": "a", "pattern": "b"}, "exactly one of file"),
    ({"checksum_url": BASE + "S", "file": "a", "url": "ftp://x/"}, "upstream.url must be an http"),
    ({"checksum_url": BASE + "S", "file": "a", "version_from": "mtime"}, "version_from must be one of"),
    ({"checksum_url": BASE + "S", "file": "a", "version_from": "regex"}, "version_regex is needed"),
    ({"checksum_url": BASE + "S", "file": "a", "version_from": "regex", "version_regex": "("}, "not a valid regular"),
    ({"checksum_url": BASE + "S", "file": "a", "version_from": "regex", "version_regex": "x"}, "needs a group"),
    ({"checksum_url": BASE + "S", "file": "a", "checksum": "x"}, "unknown key 'checksum'"),
    ({"checksum_url": BASE + "S", "file": "a", "transfer": "scp"}, "upstream.transfer must be one of web-download, "
                                                                   "controller"),
])
def test_bad_upstream_blocks(value, message):
    with pytest.raises(InputError, match=message):
        validate_upstream(value, "images[0] (ubuntu)")


def test_catalogue_checks_the_upstream_block():
    entry = {"name": "ubuntu", "disk_format": "raw", "container_format": "bare",
             "versions": [{"version": "1", "uri": BASE + "noble.img"}]}
    assert validate_catalogue([dict(entry, upstream={"checksum_url": BASE + "SHA256SUMS", "file": "noble.img"})])
    with pytest.raises(InputError, match="images\\[0\\] \\(ubuntu\\): upstream needs exactly one of file"):
        validate_catalogue([dict(entry, upstream={"checksum_url": BASE + "SHA256SUMS"})])


def test_known_build_by_version_or_checksum():
    build = {"version": "20261201", "checksum": "sha256:" + "a" * 64}
    assert is_known(build, [{"version": "20261201"}])
    assert is_known(build, [{"version": "older", "checksum": "SHA256:" + "A" * 64}])
    assert not is_known(build, [{"version": "20261101", "checksum": "sha256:" + "b" * 64}])
    assert not is_known(build, None)


def test_fetch_errors_get_the_entry_in_front():
    def failing(method, url):
        raise UpstreamError("%s %s failed: connection refused." % (method, url))
    with pytest.raises(UpstreamError, match="^images\\[0\\] \\(ubuntu\\): GET %sSHA256SUMS failed" % BASE):
        newest_build(spec(), "images[0] (ubuntu)", failing, natural_key)
