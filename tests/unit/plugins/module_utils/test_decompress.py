"""Compressed images decompressed as a stream: detection, every format, bounded chunks, broken streams."""

import bz2
import gzip
import hashlib
import io
import lzma
import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _decompress
from ansible_collections.imagecat.glance.plugins.module_utils._decompress import (
    DecompressingReader,
    DecompressionError,
    detect,
)

zstandard = pytest.importorskip("zstandard")

# Random bytes, then a long run of zeros (as in a raw disk image): ratios from 1 to thousands.
DATA = os.urandom(300 * 1024) + b"\0" * (6 * 1024 * 1024) + os.urandom(1000)
COMPRESS = {
    "xz": lzma.compress,
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    # With a content checksum, as the zstd command writes by default (raw blocks carry no check of their own).
    "zstd": lambda data: zstandard.ZstdCompressor(write_checksum=True).compress(data),
}


class Source(io.BytesIO):
    """Hands out at most ``step`` bytes a read, as a socket does."""

    def __init__(self, data, step=65536):
        super().__init__(data)
        self.step = step

    def read(self, size=-1):
        return super().read(min(self.step, size) if size and size > 0 else self.step)


def read_all(reader):
    chunks = list(reader)
    assert max(len(c) for c in chunks) <= _decompress.OUT_CHUNK
    return b"".join(chunks)


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_each_format_round_trips_with_both_digests(kind):
    packed = COMPRESS[kind](DATA)
    reader = DecompressingReader(Source(packed), algorithms=["sha512"], source_algorithms=["sha256"])
    assert reader.compression == kind
    assert read_all(reader) == DATA
    assert reader.digests() == {"sha512": hashlib.sha512(DATA).hexdigest()}
    assert reader.source_digests() == {"sha256": hashlib.sha256(packed).hexdigest()}
    assert (reader.bytes_read, reader.bytes_out) == (len(packed), len(DATA))


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_truncated_streams_are_refused(kind):
    packed = COMPRESS[kind](DATA)
    with pytest.raises(DecompressionError, match="truncated|corrupt"):
        read_all(DecompressingReader(Source(packed[:len(packed) - 7])))


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_corrupt_streams_are_refused(kind):
    packed = bytearray(COMPRESS[kind](DATA))
    for offset in range(40, 60):
        packed[offset] ^= 0xFF
    with pytest.raises(DecompressionError):
        read_all(DecompressingReader(Source(bytes(packed))))


@pytest.mark.parametrize("kind", ["xz", "gzip", "bzip2", "zstd"])
def test_concatenated_members_and_padding(kind):
    packed = COMPRESS[kind](b"first ") + COMPRESS[kind](b"second")
    if kind == "xz":
        packed += b"\0" * 8  # stream padding, allowed by the xz format
    assert read_all(DecompressingReader(Source(packed, step=5))) == b"first second"


def test_garbage_after_the_stream():
    with pytest.raises(DecompressionError, match="not another xz member"):
        read_all(DecompressingReader(Source(lzma.compress(b"x") + b"trailing garbage")))


def test_plain_data_passes_through_unchanged():
    reader = DecompressingReader(Source(DATA[:100000]), algorithms=["md5"], source_algorithms=["md5"])
    assert reader.compression is None
    assert read_all(reader) == DATA[:100000]
    assert reader.digests() == reader.source_digests()


def test_detection_by_magic_only():
    assert [detect(COMPRESS[k](b"x")) for k in ("xz", "gzip", "bzip2", "zstd")] == ["xz", "gzip", "bzip2", "zstd"]
    assert detect(b"QFI\xfb\x00\x00\x00\x03") is None  # qcow2
    assert detect(b"") is None


def test_zstd_without_the_library(monkeypatch):
    monkeypatch.setattr(_decompress, "HAS_ZSTANDARD", False)
    with pytest.raises(_decompress.MissingZstandard, match="zstandard is not installed"):
        DecompressingReader(Source(COMPRESS["zstd"](b"x")))


def test_zstd_frame_walker_knows_where_frames_end():
    packed = zstandard.ZstdCompressor(write_checksum=True, write_content_size=True).compress(DATA)
    skippable = (0x184D2A53).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    for stream in (packed, skippable + packed + packed, packed + b"\0" * 4):
        frames = _decompress.ZstdFrames()
        for start in range(0, len(stream), 7):
            frames.feed(stream[start:start + 7])
        assert frames.complete
    frames = _decompress.ZstdFrames()
    frames.feed(packed[:-1])
    assert not frames.complete
    with pytest.raises(DecompressionError, match="not another frame"):
        _decompress.ZstdFrames().feed(packed + b"garbage!")


@pytest.mark.parametrize("head, name", [(b"\x04\x22\x4d\x18", "lz4"), (b"LZIP\x01", "lzip"),
                                        (b"7z\xbc\xaf\x27\x1c", "7z"), (b"PK\x03\x04", "zip"),
                                        (b"\x89LZO\x00\r\n", "lzop")])
def test_compressions_that_are_not_decompressed_are_refused_by_name(head, name):
    assert _decompress.unsupported(head + b"\0" * 20) == name
    with pytest.raises(DecompressionError, match="the data is %s-compressed .* decompress it first" % name):
        DecompressingReader(io.BytesIO(head + b"\0" * 20))


def test_raw_and_qcow2_heads_are_not_taken_for_a_compression():
    for head in (b"QFI\xfb\0\0\0\x03", b"\xebc\x90" + b"\0" * 10, b"\0" * 16):
        assert _decompress.unsupported(head) is None and detect(head) is None
