"""The controller transfer: one pass from a source through decompression into a send callable."""

import gzip
import hashlib
import io
import lzma
import os
import threading

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import (
    Transfer,
    TransferError,
    http_fetch,
    listed_name,
    open_source,
    peek,
    resolve_checksum,
)
from ansible.module_utils.six.moves.urllib.error import HTTPError

DATA = b"image data " * 50000


def collect(into):
    def send(chunks):
        for chunk in chunks:
            into.append(chunk)
    return send


def test_xz_source_is_decompressed_and_both_digests_come_back():
    packed = lzma.compress(DATA)
    sent = []
    transfer = Transfer(io.BytesIO(packed), "http://mirror/x.raw.xz", ["sha512"], ["sha256"])
    digests, source = transfer.run(collect(sent))
    assert transfer.compression == "xz"
    assert b"".join(sent) == DATA
    assert digests == {"sha512": hashlib.sha512(DATA).hexdigest()}
    assert source == {"sha256": hashlib.sha256(packed).hexdigest()}


def test_empty_source_fails_before_anything_is_sent():
    calls = []
    with pytest.raises(TransferError, match="http://mirror/empty is empty"):
        Transfer(io.BytesIO(b""), "http://mirror/empty", ["sha512"]).run(calls.append)
    assert calls == []


def test_truncated_stream_is_reported_not_the_aborted_upload():
    packed = lzma.compress(DATA + bytes(range(256)) * 4000)

    def send(chunks):
        try:
            for dummy in chunks:
                pass
        except TransferError:
            # As requests does: the body iterator fails, the upload fails with a connection error.
            raise GlanceError("connection aborted")
    with pytest.raises(TransferError, match="http://mirror/x.xz: xz stream is truncated.*nothing of it was published"):
        Transfer(io.BytesIO(packed[:-20]), "http://mirror/x.xz", ["sha512"]).run(send)


class Response(io.BytesIO):
    def __init__(self, data, final):
        super().__init__(data)
        self.final = final

    def geturl(self):
        return self.final


def test_open_source_refuses_other_schemes_and_reports_http_errors():
    with pytest.raises(TransferError, match="only http and https"):
        open_source("file:///etc/passwd", 5)

    def not_found(url, **kwargs):
        raise HTTPError(url, 404, "Not Found", {}, None)
    with pytest.raises(TransferError, match="http://mirror/x answers HTTP 404"):
        open_source("http://mirror/x", 5, opener=not_found)

    def redirected(url, **kwargs):
        raise HTTPError(url, 302, "Found", {"Location": "ftp://elsewhere/x"}, None)
    with pytest.raises(TransferError, match="redirects to ftp://elsewhere/x"):
        open_source("http://mirror/x", 5, opener=redirected)
    assert open_source("http://mirror/x", 5, opener=lambda url, **kw: Response(b"x", url)).read() == b"x"


def test_a_source_that_does_not_match_its_checksum_never_completes_the_upload():
    data = os.urandom(1024 * 1024) + b"\0" * (3 * 1024 * 1024)
    packed = lzma.compress(data)
    sent = []

    def send(chunks):
        try:
            for chunk in chunks:
                sent.append(chunk)
        except TransferError:
            raise GlanceError("connection aborted")
    wrong = ("sha256", "0" * 64)
    with pytest.raises(TransferError, match="checksum: the data read has sha256 %s, not the expected 0{64}"
                       % hashlib.sha256(packed).hexdigest()):
        Transfer(io.BytesIO(packed), "http://mirror/x.xz", ["sha512"], expected=wrong).run(send)
    # Everything but the held-back last chunk went out: the upload ends short, Glance never activates it.
    assert 0 < len(b"".join(sent)) < len(data)


def test_a_matching_checksum_lets_every_chunk_through_in_order():
    data = os.urandom(3 * 1024 * 1024 + 17)
    packed = gzip.compress(data)
    sent = []
    expected = ("sha256", hashlib.sha256(packed).hexdigest())
    digests, source = Transfer(io.BytesIO(packed), "f.gz", ["sha512", "sha256"], expected=expected).run(collect(sent))
    assert b"".join(sent) == data
    assert digests == {"sha512": hashlib.sha512(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
    assert source == {"sha256": expected[1]}


def test_an_uncompressed_source_passes_through_unchanged():
    data = os.urandom(2 * 1024 * 1024)
    sent = []
    transfer = Transfer(io.BytesIO(data), "plain.raw", ["sha512"])
    digests, dummy = transfer.run(collect(sent))
    assert transfer.compression is None and transfer.bytes_sent == len(data)
    assert b"".join(sent) == data and digests == {"sha512": hashlib.sha512(data).hexdigest()}


def test_a_failed_upload_stops_the_reading_thread():
    class Endless(io.RawIOBase):
        reads = 0

        def read(self, size=-1):
            Endless.reads += 1
            return b"x" * 65536

    def send(chunks):
        next(chunks)
        raise GlanceError("413 over quota", status=413)
    with pytest.raises(GlanceError, match="413 over quota"):
        Transfer(Endless(), "endless", ["sha512"]).run(send)
    reads = Endless.reads
    assert not [t for t in threading.enumerate() if t.name.startswith("imagecat-transfer")]
    assert Endless.reads == reads


def test_unknown_compressions_are_refused_before_anything_is_sent():
    calls = []
    with pytest.raises(TransferError, match="zip-compressed .* decompress it first"):
        Transfer(io.BytesIO(b"PK\x03\x04" + b"\0" * 100), "http://mirror/x.zip", ["sha512"]).run(calls.append)
    assert calls == []


def opener_for(pages):
    """An open_url stand-in: url -> (status, bytes); records the headers it was given."""
    seen = []

    def opener(url, **kwargs):
        seen.append((url, kwargs.get("method"), kwargs.get("headers")))
        status, body = pages.get(url, (404, b""))
        if status != 200:
            raise HTTPError(url, status, "error", {}, None)
        response = Response(body, url)
        response.status = 200
        response.headers = {}
        return response
    opener.seen = seen
    return opener


def test_peek_reads_the_first_bytes_with_a_range_request():
    opener = opener_for({"http://m/x.xz": (200, lzma.compress(DATA)), "http://m/x.raw": (200, b"\xeb\x63" + b"\0" * 50),
                         "http://m/x.lz4": (200, b"\x04\x22\x4d\x18" + b"\0" * 10)})
    assert peek("http://m/x.xz", 5, opener=opener) == "xz"
    assert peek("http://m/x.raw", 5, opener=opener) is None
    assert opener.seen[0][2] == {"Range": "bytes=0-5"}
    with pytest.raises(TransferError, match="http://m/x.lz4: the data is lz4-compressed"):
        peek("http://m/x.lz4", 5, opener=opener)
    with pytest.raises(TransferError, match="http://m/gone answers HTTP 404"):
        peek("http://m/gone", 5, opener=opener)


def test_the_checksum_of_a_file_comes_from_its_checksum_file():
    sums = b"%s  disk.raw.xz\n%s  other.img\n" % (b"a" * 64, b"b" * 64)
    fetch = http_fetch(5, True, opener=opener_for({"http://m/SHA256SUMS": (200, sums)}))
    assert resolve_checksum(fetch, "http://m/SHA256SUMS", listed_name("http://m/d/disk.raw.xz"),
                            ("sha512", "sha256")) == ("sha256", "a" * 64)
    assert resolve_checksum(fetch, "http://m/SHA256SUMS", listed_name("http://m/x", "other.img"),
                            ("sha256",)) == ("sha256", "b" * 64)
    with pytest.raises(TransferError, match="checksum_url http://m/SHA256SUMS: it does not list nothing.img"):
        resolve_checksum(fetch, "http://m/SHA256SUMS", "nothing.img", ("sha256",))
    with pytest.raises(TransferError, match="checksum_url http://m/MISSING answers HTTP 404"):
        resolve_checksum(fetch, "http://m/MISSING", "disk.raw.xz", ("sha256",))
