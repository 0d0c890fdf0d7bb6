# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: compressed images (xz, gzip, bzip2, zstd) decompressed as a stream.

The compression is told by the stream's first bytes, never by a file name. Decompression runs
in one pass with bounded memory: input is fed in small pieces and output handed out in
chunks of at most OUT_CHUNK bytes, so a file that decompresses to many GiB (a sparse raw disk
compresses to almost nothing) never sits in memory. A stream that ends before its end marker
(truncated) or holds data that is not the format's is an error, not a short image.

xz, gzip and bzip2 come with Python; zstd needs the ``zstandard`` package (guarded import).
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import zlib

try:
    import zstandard
    HAS_ZSTANDARD = True
    ZSTANDARD_ERROR = None
except ImportError as error:
    HAS_ZSTANDARD = False
    ZSTANDARD_ERROR = error

# Magic numbers: xz (tukaani.org/xz/xz-file-format.txt 2.1.1.1), gzip (RFC 1952 2.3.1),
# bzip2 ("BZh" + block size digit), zstd (RFC 8878 3.1.1).
MAGIC = (("xz", b"\xfd7zXZ\x00"), ("gzip", b"\x1f\x8b"), ("bzip2", b"BZh"), ("zstd", b"\x28\xb5\x2f\xfd"))
MAGIC_BYTES = 6
# Compressions and archives seen on image mirrors that this module does not decompress: refused with the
# fix, rather than stored as an image nobody can boot (lz4 frame, lzip, 7-Zip, zip, lzop).
UNSUPPORTED = (("lz4", b"\x04\x22\x4d\x18"), ("lzip", b"LZIP"), ("7z", b"7z\xbc\xaf\x27\x1c"),
               ("zip", b"PK\x03\x04"), ("lzop", b"\x89LZO\x00"))
COMPRESSIONS = tuple(name for name, dummy in MAGIC)
OUT_CHUNK = 1024 * 1024
IN_CHUNK = 1024 * 1024
ZSTD_SKIPPABLE = (0x184D2A50, 0x184D2A5F)


class DecompressionError(ValueError):
    """A compressed stream that is truncated, corrupt, or of a kind this host cannot read."""


class MissingZstandard(DecompressionError):
    """zstd data, and the zstandard library is not installed."""


def detect(head):
    """'xz', 'gzip', 'bzip2', 'zstd', or None for data that is not compressed (as far as the magic says)."""
    for name, magic in MAGIC:
        if head.startswith(magic):
            return name
    return None


def unsupported(head):
    """The name of a compression or archive format this module refuses ('lz4', 'zip', ...), or None."""
    for name, magic in UNSUPPORTED:
        if head.startswith(magic):
            return name
    return None


def check_supported(head):
    """DecompressionError for data in a format that is compressed but not one of COMPRESSIONS."""
    name = unsupported(head)
    if name:
        raise DecompressionError("the data is %s-compressed (or archived), which is not one of the compressions "
                                 "that are decompressed on the way (%s); decompress it first, or publish it in one "
                                 "of those" % (name, ", ".join(COMPRESSIONS)))


class _Stream:
    """One decoder with an output limit per call, over one or more concatenated members."""

    def __init__(self, kind):
        self.kind = kind
        self.decoder = self._new()
        self.pending = b""

    def _new(self):
        if self.kind == "xz":
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return bz2.BZ2Decompressor()

    def _eof(self):
        return self.decoder.eof

    def _step(self, data):
        """Decode some of ``data``; returns (output, the input not consumed yet)."""
        if self.kind == "gzip":
            out = self.decoder.decompress(data, OUT_CHUNK)
            rest = self.decoder.unconsumed_tail
            if self.decoder.eof:
                rest = self.decoder.unused_data + rest
            return out, rest
        # lzma and bz2 keep unconsumed input internally; max_length bounds the output.
        out = self.decoder.decompress(data, OUT_CHUNK)
        if self.decoder.eof:
            return out, self.decoder.unused_data
        return out, b""

    def _needs_input(self):
        if self.kind in ("xz", "bzip2"):
            return self.decoder.needs_input
        return True

    def feed(self, data):
        """Every output chunk that ``data`` (the next compressed bytes) yields."""
        data = self.pending + data
        self.pending = b""
        while True:
            if self._eof():
                # After a member's end: padding zeros, another member, or garbage.
                if data.strip(b"\0") == b"":
                    return
                if detect(data) != self.kind and len(data) >= MAGIC_BYTES:
                    raise DecompressionError("%s stream: data after the end of the stream that is not another %s "
                                             "member" % (self.kind, self.kind))
                if len(data) < MAGIC_BYTES and self.kind != "gzip":
                    self.pending = data
                    return
                self.decoder = self._new()
            try:
                out, data = self._step(data)
            except (lzma.LZMAError, zlib.error, OSError, EOFError) as error:
                raise DecompressionError("%s stream is corrupt: %s" % (self.kind, error))
            for start in range(0, len(out), OUT_CHUNK):
                yield out[start:start + OUT_CHUNK]
            if not out and not data and self._needs_input():
                return

    def finish(self):
        if self.pending.strip(b"\0"):
            raise DecompressionError("%s stream: %d bytes after the end of the stream" % (self.kind, len(self.pending)))
        if not self._eof():
            raise DecompressionError("%s stream is truncated: it ends before its end marker" % self.kind)


class ZstdFrames:
    """Follows the frame and block structure of a zstd stream (RFC 8878) without decoding it.

    zstandard's bounded-memory reader ends quietly at the end of its input, also in the middle
    of a frame; this walker says whether the input ended where a frame ends. It reads only
    headers and skips block contents, so it costs next to nothing.
    """

    def __init__(self):
        self._buffer = b""
        self._skip = 0
        self._state = "magic"
        self._checksum = False
        self.frames = 0

    def _take(self, size):
        if len(self._buffer) < size:
            return None
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken

    def feed(self, data):
        self._buffer += data
        while True:
            if self._skip:
                skipped = min(self._skip, len(self._buffer))
                self._buffer = self._buffer[skipped:]
                self._skip -= skipped
                if self._skip:
                    return
            if self._state == "magic":
                magic = self._take(4)
                if magic is None:
                    return
                number = int.from_bytes(magic, "little")
                if ZSTD_SKIPPABLE[0] <= number <= ZSTD_SKIPPABLE[1]:
                    self._state = "skippable"
                elif magic == MAGIC[3][1]:
                    self._state = "header"
                elif magic.strip(b"\0"):
                    raise DecompressionError("zstd stream: data after the end of a frame that is not another frame")
            elif self._state == "skippable":
                size = self._take(4)
                if size is None:
                    return
                self._skip, self._state = int.from_bytes(size, "little"), "magic"
            elif self._state == "header":
                if not self._buffer:
                    return
                descriptor = self._buffer[0]
                single = bool(descriptor & 0x20)
                content_size = (1 if single else 0, 2, 4, 8)[descriptor >> 6]
                length = 1 + (0 if single else 1) + (0, 1, 2, 4)[descriptor & 0x03] + content_size
                if self._take(length) is None:
                    return
                self._checksum = bool(descriptor & 0x04)
                self._state = "block"
            elif self._state == "block":
                header = self._take(3)
                if header is None:
                    return
                value = int.from_bytes(header, "little")
                kind, size = (value >> 1) & 0x03, value >> 3
                if kind == 3:
                    raise DecompressionError("zstd stream is corrupt: a block of the reserved type")
                self._skip = 1 if kind == 1 else size
                if value & 0x01:
                    self._state = "checksum" if self._checksum else "end"
            elif self._state == "checksum":
                self._skip, self._state = 4, "end"
            else:  # "end" of a frame
                self.frames += 1
                self._state = "magic"

    @property
    def complete(self):
        return self.frames > 0 and self._state == "magic" and not self._skip and not self._buffer.strip(b"\0")


class _ZstdSource:
    """The compressed input of zstandard's reader, shown to a ZstdFrames walker on the way."""

    def __init__(self, read, frames):
        self._read = read
        self.frames = frames

    def read(self, size=-1):
        data = self._read(IN_CHUNK if size is None or size < 0 else min(size, IN_CHUNK))
        if data:
            self.frames.feed(data)
        return data


class DecompressingReader:
    """A file object over ``source`` (compressed or not) that hands out the decompressed bytes.

    ``source_algorithms`` hash the bytes as read from ``source`` (what a checksum file
    describes); ``algorithms`` hash what ``read()`` returns (what Glance will store). Data
    whose magic is not a known compression passes through unchanged; ``compression`` tells.
    """

    def __init__(self, source, algorithms=(), source_algorithms=()):
        self.source = source
        self.hashers = {a: hashlib.new(a) for a in algorithms}
        self.source_hashers = {a: hashlib.new(a) for a in source_algorithms}
        self.bytes_read = 0
        self.bytes_out = 0
        head = b""
        while len(head) < MAGIC_BYTES:
            more = self._read_source(MAGIC_BYTES - len(head))
            if not more:
                break
            head += more
        self.compression = detect(head)
        check_supported(head)
        self._stream = None
        self._zstd = None
        self._buffer = [head] if head else []
        if self.compression == "zstd":
            self._open_zstd(head)
        elif self.compression:
            self._stream = _Stream(self.compression)
        self._chunks = iter(())
        self._done = False

    def _open_zstd(self, head):
        if not HAS_ZSTANDARD:
            raise MissingZstandard("the data is zstd-compressed, and the Python library zstandard is not installed "
                                   "on the host that runs the module")
        pending = [head]

        def read(size):
            if pending:
                return pending.pop()
            return self._read_source(size)
        self._zstd_source = _ZstdSource(read, ZstdFrames())
        decompressor = zstandard.ZstdDecompressor()
        self._zstd = decompressor.stream_reader(self._zstd_source, read_size=IN_CHUNK, read_across_frames=True)
        self._buffer = []

    def _next_zstd(self):
        try:
            chunk = self._zstd.read(OUT_CHUNK)
        except zstandard.ZstdError as error:
            raise DecompressionError("zstd stream is corrupt: %s" % error)
        if chunk:
            return chunk
        while self._zstd_source.read(IN_CHUNK):
            pass  # what the decoder did not need: the walker decides whether it is allowed
        if not self._zstd_source.frames.complete:
            raise DecompressionError("zstd stream is truncated: it ends before the end of its last frame")
        self._done = True
        return b""

    def _read_source(self, size):
        data = self.source.read(size)
        if data:
            self.bytes_read += len(data)
            for hasher in self.source_hashers.values():
                hasher.update(data)
        return data

    def _next_chunk(self):
        if self._zstd is not None:
            return b"" if self._done else self._next_zstd()
        while True:
            for chunk in self._chunks:
                return chunk
            if self._done:
                return b""
            data = b"".join(self._buffer) or self._read_source(IN_CHUNK)
            self._buffer = []
            if not data:
                self._done = True
                if self._stream is not None:
                    self._stream.finish()
                return b""
            if self._stream is None:
                return data
            self._chunks = self._stream.feed(data)

    def read(self, size=-1):
        chunk = self._next_chunk()
        if chunk:
            self.bytes_out += len(chunk)
            for hasher in self.hashers.values():
                hasher.update(chunk)
        return chunk

    def __iter__(self):
        while True:
            chunk = self.read()
            if not chunk:
                return
            yield chunk

    def digests(self):
        return {a: h.hexdigest() for a, h in self.hashers.items()}

    def source_digests(self):
        return {a: h.hexdigest() for a, h in self.source_hashers.items()}
