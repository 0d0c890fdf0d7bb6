"""Checksum files in the formats distributions publish (fixtures written from each format's documentation)."""

import hashlib
import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _checksums

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "checksums")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def digest(algorithm, text):
    return hashlib.new(algorithm, text.encode()).hexdigest()


def test_gnu_binary_mode_lines():
    entries = _checksums.parse(fixture("SHA256SUMS"), "SHA256SUMS")
    assert _checksums.names(entries) == ["noble-server-cloudimg-amd64.img", "noble-server-cloudimg-arm64.img",
                                         "noble-server-cloudimg-amd64.tar.gz"]
    assert _checksums.digest_for(entries, "noble-server-cloudimg-amd64.img") == (
        "sha256", digest("sha256", "noble-server-cloudimg-amd64.img"))


def test_gnu_text_mode_lines():
    entries = _checksums.parse(fixture("SHA512SUMS"), "SHA512SUMS")
    assert _checksums.digest_for(entries, "debian-13-generic-amd64.qcow2") == (
        "sha512", digest("sha512", "debian-13-generic-amd64.qcow2"))


def test_gnu_escaped_name_and_relative_path():
    entries = _checksums.parse(fixture("escaped.sha256"))
    assert _checksums.names(entries) == ["back\\slash.img", "plain.img"]
    assert _checksums.digest_for(entries, "plain.img")[1] == digest("sha256", "plain.img")
    assert _checksums.digest_for(entries, "back\\slash.img")[1] == digest("sha256", "back\\slash.img")


def test_bsd_style_clearsigned_with_comments():
    entries = _checksums.parse(fixture("Fedora-Cloud-41-1.4-x86_64-CHECKSUM"))
    name = "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2"
    assert _checksums.digest_for(entries, name) == ("sha256", digest("sha256", name))
    assert _checksums.matching(entries, "Fedora-Cloud-Base-Generic-*.x86_64.qcow2") == [
        name, "Fedora-Cloud-Base-Generic-41-1.3.x86_64.qcow2"]


def test_clearsign_armour_and_dash_escapes_are_removed():
    lines = _checksums.signed_text(fixture("Fedora-Cloud-41-1.4-x86_64-CHECKSUM"))
    assert lines[0].startswith("# Fedora-Cloud-Base-Generic-41-1.4")
    assert "# a dash-escaped line (RFC 4880 allows escaping any line)" in lines
    assert not any("PGP" in line or line.startswith("Hash:") for line in lines)


def test_strongest_allowed_algorithm_is_picked():
    entries = _checksums.parse(fixture("CHECKSUM.both"))
    assert _checksums.digest_for(entries, "Alma-10.qcow2")[0] == "sha512"
    assert _checksums.digest_for(entries, "Alma-10.qcow2", allowed=("sha256",)) == (
        "sha256", digest("sha256", "alma"))


def test_file_name_decides_between_algorithms_of_one_length():
    line = "%s  x.img\n" % ("a" * 64)
    assert _checksums.parse(line, "SHA256SUMS")[0][1] == "sha256"
    assert _checksums.parse(line)[0][1] == "sha256"
    assert _checksums.algorithm_hint("SHA512SUMS") == "sha512"
    assert _checksums.algorithm_hint("CHECKSUM") is None


@pytest.mark.parametrize("text, message", [
    ("", "lists no digest"),
    ("# only a comment\n", "lists no digest"),
    ("not a checksum line\n", "line 1 is neither"),
    ("%s  x.img\n" % ("a" * 63), "63 hex digits"),
    ("SHA256 (x.img) = %s\n" % ("a" * 128), "a sha256 digest cannot have 128"),
    ("WHIRLPOOL (x.img) = %s\n" % ("a" * 128), "unknown algorithm WHIRLPOOL"),
    ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n", "no signed text"),
])
def test_bad_files_are_refused(text, message):
    with pytest.raises(_checksums.ChecksumFileError, match=message):
        _checksums.parse(text)


def test_unlisted_and_contradictory_files():
    entries = _checksums.parse(fixture("SHA256SUMS"))
    with pytest.raises(_checksums.ChecksumFileError, match="does not list missing.img"):
        _checksums.digest_for(entries, "missing.img")
    twice = _checksums.parse("%s  x.img\n%s  x.img\n" % ("a" * 64, "b" * 64))
    with pytest.raises(_checksums.ChecksumFileError, match="twice with different sha256"):
        _checksums.digest_for(twice, "x.img")
    sha1 = _checksums.parse("%s  x.img\n" % ("a" * 40))
    with pytest.raises(_checksums.ChecksumFileError, match="only with sha1"):
        _checksums.digest_for(sha1, "x.img", allowed=("sha512", "sha256", "md5"))
