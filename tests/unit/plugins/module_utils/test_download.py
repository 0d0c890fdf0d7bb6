"""image_download's logic: destination checks, Range/Content-Range handling, verification, resume."""

import errno
import fcntl
import hashlib
import mmap
import os
import tempfile
import threading
from urllib.parse import urlsplit

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _download
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from fakes import FakeResponse, FakeSession

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
DATA = bytes(range(256)) * 4096 * 3  # 3 MiB


class DataResponse(FakeResponse):
    """A streamed answer of GET .../file."""

    def __init__(self, status_code, data, headers=None):
        super().__init__(status_code, headers=headers, text="")
        self.data = data
        self.closed = False

    def iter_content(self, size):
        for start in range(0, len(self.data), size):
            yield self.data[start:start + size]

    def close(self):
        self.closed = True


def image(data=DATA, **fields):
    base = dict(id=IMAGE_ID, name="img", status="active", size=len(data), os_hash_algo="sha512",
                os_hash_value=hashlib.sha512(data).hexdigest(), checksum=hashlib.md5(data).hexdigest())
    base.update(fields)
    return base


def serving(data=DATA, honour_ranges=True, content_range=None):
    """A responder serving ``data``, with or without Range support; records the Range headers asked."""
    asked = []

    def responder(method, url, kwargs):
        assert (method, urlsplit(url).path) == ("GET", "/v2/images/%s/file" % IMAGE_ID)
        wanted = kwargs["headers"].get("Range")
        asked.append(wanted)
        if wanted and honour_ranges:
            start = int(wanted[len("bytes="):-1])
            header = content_range or "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
            return DataResponse(206, data[start:], {"Content-Range": header})
        return DataResponse(200, data)
    return responder, asked


def client(responder):
    return GlanceClient(FakeSession(responder), "http://glance.test", sleep=lambda s: None)


def test_destination_checks_name_the_option(tmp_path):
    with pytest.raises(InputError, match="dest: the directory .*missing does not exist"):
        _download.check_destination(str(tmp_path / "missing" / "x.img"))
    with pytest.raises(InputError, match="dest: .* is a directory"):
        _download.check_destination(str(tmp_path))
    assert _download.check_destination(str(tmp_path / "x.img")) == str(tmp_path / "x.img")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any directory")
def test_an_unwritable_directory_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(InputError, match="dest: the directory .*locked is not writable"):
        _download.check_destination(str(locked / "x.img"))


def test_the_expected_digest_prefers_os_hash_value_then_checksum():
    assert _download.expected_digest(image()) == ("sha512", hashlib.sha512(DATA).hexdigest())
    assert _download.expected_digest(image(os_hash_algo=None, os_hash_value=None)) == \
        ("md5", hashlib.md5(DATA).hexdigest())
    assert _download.expected_digest(image(os_hash_value=None, checksum=None)) == (None, None)


def test_images_without_data_are_refused():
    with pytest.raises(InputError, match="image: image img .* has no data to download: its status is queued"):
        _download.check_downloadable(image(status="queued"))
    _download.check_downloadable(image(status="deactivated"))


def test_content_range_parsing():
    assert _download.parse_content_range("bytes 10-99/100") == (10, 99, 100)
    assert _download.parse_content_range("bytes 10-99/*") == (10, 99, None)
    assert _download.parse_content_range("10-99") is None


def resume_from(tmp_path, part, **serve):
    """Download with ``part`` as the partial file; returns (outcome, Range headers asked, warnings, dest)."""
    responder, asked = serving(**serve)
    dest = str(tmp_path / "x.img")
    with open(_download.partial_path(dest), "wb") as out:
        out.write(part)
    warnings = []
    outcome = _download.download_to(client(responder), image(), dest, "sha512", image()["os_hash_value"],
                                    warn=warnings.append)
    assert open(dest, "rb").read() == DATA
    return outcome, asked, warnings


def test_a_full_download_is_verified_and_renamed(tmp_path):
    responder, asked = serving()
    dest = str(tmp_path / "x.img")
    outcome = _download.download_to(client(responder), image(), dest, "sha512", image()["os_hash_value"])
    assert asked == [None]
    assert outcome == dict(digest=image()["os_hash_value"], transferred=len(DATA), resumed=False)
    assert open(dest, "rb").read() == DATA
    assert not os.path.exists(_download.partial_path(dest))


def test_a_partial_file_is_resumed_with_a_range(tmp_path):
    half = len(DATA) // 2
    outcome, asked, warnings = resume_from(tmp_path, DATA[:half])
    assert asked == ["bytes=%d-" % half] and warnings == []
    assert outcome["resumed"] is True and outcome["transferred"] == len(DATA) - half


def test_a_server_ignoring_ranges_gives_a_full_download_and_a_warning(tmp_path):
    outcome, asked, warnings = resume_from(tmp_path, DATA[:1000], honour_ranges=False)
    assert asked == ["bytes=1000-"]
    assert outcome["resumed"] is False and outcome["transferred"] == len(DATA)
    assert "did not honour the Range request (HTTP 200 instead of 206)" in warnings[0]


def test_a_wrong_content_range_is_not_trusted(tmp_path):
    outcome, asked, warnings = resume_from(tmp_path, DATA[:1000], content_range="bytes 0-99/100")
    assert asked == ["bytes=1000-", None]
    assert outcome["resumed"] is False
    assert "got Content-Range 'bytes 0-99/100'" in warnings[0]


def test_a_partial_file_of_other_data_is_downloaded_again(tmp_path):
    outcome, asked, warnings = resume_from(tmp_path, b"\0" * 1000)
    assert asked == ["bytes=1000-", None]
    assert outcome["resumed"] is False
    assert "did not match" in warnings[0]


def test_data_that_does_not_match_is_never_renamed(tmp_path):
    responder, unused = serving(data=b"x" * len(DATA))
    dest = str(tmp_path / "x.img")
    with pytest.raises(GlanceError, match="records %s; nothing was written" % image()["os_hash_value"]):
        _download.download_to(client(responder), image(), dest, "sha512", image()["os_hash_value"])
    assert os.listdir(str(tmp_path)) == []


def test_a_cut_transfer_keeps_the_part_for_the_next_run(tmp_path):
    responder, unused = serving(data=DATA[:1000])
    dest = str(tmp_path / "x.img")
    with pytest.raises(GlanceError, match="ended after 1000 of %d bytes; the partial file .* is kept" % len(DATA)):
        _download.download_to(client(responder), image(), dest, "sha512", image()["os_hash_value"])
    assert os.path.getsize(_download.partial_path(dest)) == 1000
    assert not os.path.exists(dest)


def test_a_connection_lost_mid_transfer_is_a_clear_error_and_keeps_the_part(tmp_path):
    class Cut(DataResponse):
        def iter_content(self, size):
            yield DATA[:size]
            raise ConnectionResetError(104, "Connection reset by peer")

    dest = str(tmp_path / "x.img")
    fake = client(lambda method, url, kwargs: Cut(200, DATA))
    with pytest.raises(GlanceError, match="was cut after %d bytes .*Connection reset by peer.*a re-run resumes it"
                       % _download.CHUNK_SIZE):
        _download.download_to(fake, image(), dest, "sha512", image()["os_hash_value"])
    assert os.path.getsize(_download.partial_path(dest)) == _download.CHUNK_SIZE


def test_a_complete_part_is_renamed_without_a_request(tmp_path):
    dest = str(tmp_path / "x.img")
    with open(_download.partial_path(dest), "wb") as out:
        out.write(DATA)

    def responder(method, url, kwargs):
        raise AssertionError("no request expected")
    outcome = _download.download_to(client(responder), image(), dest, "sha512", image()["os_hash_value"])
    assert outcome["transferred"] == 0
    assert open(dest, "rb").read() == DATA


def test_the_part_hasher_hashes_the_kept_part_and_what_arrives_meanwhile_in_order(tmp_path):
    path = str(tmp_path / "f")
    kept = b"a" * (2 * _download.CHUNK_SIZE + 10)
    with open(path, "wb", buffering=0) as out:
        out.write(kept)
        hasher = _download.PartHasher(path, "sha256", written=len(kept))
        sent = b""
        for index in range(6):
            chunk = bytes([98 + index]) * (_download.CHUNK_SIZE - index)
            out.write(chunk)
            hasher.add(chunk)
            sent += chunk
        digest = hasher.finish()
        assert hasher.finish() == digest
    assert digest == hashlib.sha256(kept + sent).hexdigest()


def test_the_part_hasher_of_a_full_download_hashes_in_the_calling_thread(tmp_path):
    path = str(tmp_path / "f")
    hasher = _download.PartHasher(path, "sha256")
    assert threading.active_count() == 1
    hasher.add(b"abc")
    hasher.add(memoryview(b"defg")[:2])
    assert hasher.finish() == hashlib.sha256(b"abcde").hexdigest()


def test_the_part_hasher_takes_over_once_the_helper_has_caught_up(tmp_path):
    path = str(tmp_path / "f")
    with open(path, "wb", buffering=0) as out:
        out.write(b"a" * 10)
        hasher = _download.PartHasher(path, "sha256", written=10)
        hasher._thread.join()  # caught up: from here on the caller hashes what it adds
        assert hasher._live
        out.write(b"bc")
        hasher.add(b"bc")
        assert hasher.finish() == hashlib.sha256(b"a" * 10 + b"bc").hexdigest()


def test_the_part_hasher_reports_a_part_that_shrank(tmp_path):
    path = str(tmp_path / "f")
    with open(path, "wb") as out:
        out.write(b"a" * 10)
    hasher = _download.PartHasher(path, "sha256", written=20)
    with pytest.raises(OSError, match="shrank"):
        hasher.finish()
    assert hasher.finish(raise_error=False) is None


DIRECT = pytest.mark.skipif(not _download.direct_io_capable(tempfile.gettempdir()),
                            reason="the temporary directory is not on a block device")


def recording_writes(monkeypatch):
    """Record (length, whether O_DIRECT was set) for each os.write of the download code."""
    writes = []
    real_write = os.write

    def write(fd, data):
        writes.append((len(data), bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT)))
        return real_write(fd, data)
    monkeypatch.setattr(_download.os, "write", write)
    return writes


def aligned(data):
    """``data`` in a page-aligned buffer, as the receive buffer is."""
    buf = mmap.mmap(-1, len(data))
    buf[:] = data
    return memoryview(buf)


def write_blocks(path, blocks, start=0, direct=True, cached=False):
    if start:
        with open(path, "wb") as out:
            out.write(b"k" * start)
    fd = _download.open_part(path, start)
    try:
        writer = _download.PartWriter(fd, start, direct)
        for block in blocks:
            writer.write(aligned(block), cached=cached)
    finally:
        os.close(fd)
    return writer.position


def test_file_systems_without_a_block_device_are_left_to_the_page_cache(monkeypatch):
    assert _download.direct_io_capable("/proc") is False
    monkeypatch.delattr(_download.os, "O_DIRECT")
    assert _download.direct_io_capable(tempfile.gettempdir()) is False


@DIRECT
def test_whole_blocks_go_straight_to_the_device_and_the_tail_through_the_page_cache(tmp_path, monkeypatch):
    writes = recording_writes(monkeypatch)
    path = str(tmp_path / "part")
    blocks = [DATA[:_download.BLOCK_SIZE], DATA[_download.BLOCK_SIZE:2 * _download.BLOCK_SIZE], b"tail" * 25]
    assert write_blocks(path, blocks) == 2 * _download.BLOCK_SIZE + 100
    assert writes == [(_download.BLOCK_SIZE, True), (_download.BLOCK_SIZE, True), (100, False)]
    assert open(path, "rb").read() == b"".join(blocks)


@DIRECT
def test_a_resume_from_an_unaligned_offset_is_aligned_again_by_its_first_block(tmp_path, monkeypatch):
    writes = recording_writes(monkeypatch)
    path = str(tmp_path / "part")
    first = DATA[:_download.BLOCK_SIZE - 1000]  # what fetch asks for first: up to the next block boundary
    write_blocks(path, [first, DATA[:_download.BLOCK_SIZE]], start=1000)
    through_the_cache = [(_download.CHUNK_SIZE, False)] * 15 + [(_download.CHUNK_SIZE - 1000, False)]
    assert writes == through_the_cache + [(_download.BLOCK_SIZE, True)]
    assert open(path, "rb").read() == b"k" * 1000 + first + DATA[:_download.BLOCK_SIZE]


@DIRECT
def test_data_to_be_read_back_goes_through_the_page_cache(tmp_path, monkeypatch):
    writes = recording_writes(monkeypatch)
    write_blocks(str(tmp_path / "part"), [DATA[:_download.BLOCK_SIZE]], cached=True)
    assert writes == [(_download.CHUNK_SIZE, False)] * 16


def test_a_file_system_refusing_o_direct_gets_the_page_cache(tmp_path, monkeypatch):
    real_fcntl = fcntl.fcntl

    def refusing(fd, command, arg=0):
        if command == fcntl.F_SETFL and arg & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fcntl(fd, command, arg)
    monkeypatch.setattr(_download.fcntl, "fcntl", refusing)
    writes = recording_writes(monkeypatch)
    path = str(tmp_path / "part")
    write_blocks(path, [DATA[:_download.BLOCK_SIZE]] * 2)
    assert writes == [(_download.CHUNK_SIZE, False)] * 32
    assert open(path, "rb").read() == DATA[:_download.BLOCK_SIZE] * 2


@DIRECT
def test_a_direct_write_refused_midway_goes_on_through_the_page_cache_without_repeating_data(tmp_path, monkeypatch):
    real_write = os.write
    calls = []

    def write(fd, data):
        calls.append(len(data))
        if len(calls) == 1:  # half of the first block goes straight to the device, then EINVAL
            return real_write(fd, data[:len(data) // 2])
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)
    monkeypatch.setattr(_download.os, "write", write)
    path = str(tmp_path / "part")
    write_blocks(path, [DATA[:_download.BLOCK_SIZE], DATA[_download.BLOCK_SIZE:2 * _download.BLOCK_SIZE]])
    assert open(path, "rb").read() == DATA[:2 * _download.BLOCK_SIZE]
    assert calls[:2] == [_download.BLOCK_SIZE, _download.BLOCK_SIZE // 2]


def test_blocks_are_filled_across_the_chunks_of_a_decoded_body():
    class Decoded(DataResponse):
        def iter_content(self, size):
            yield b"abc"
            yield b"defgh"

    readinto = _download.body_reader(Decoded(200, b"", {"Content-Encoding": "gzip"}))
    view = memoryview(bytearray(6))
    assert _download.receive_block(readinto, view) == (6, None)
    assert bytes(view) == b"abcdef"
    assert _download.receive_block(readinto, view) == (2, None)
    assert bytes(view[:2]) == b"gh"
