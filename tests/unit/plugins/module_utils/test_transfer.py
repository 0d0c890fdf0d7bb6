"""The controller transfer: one pass from a source through decompression into a send callable."""

import hashlib
import io
import lzma

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import Transfer, TransferError, open_source
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
