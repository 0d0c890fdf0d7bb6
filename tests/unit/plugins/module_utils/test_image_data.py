import hashlib
import json
import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    CHUNK_SIZE,
    DigestCache,
    HashingReader,
    check_file,
    file_digests,
    send_file,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "disk.raw"
    path.write_bytes(os.urandom(CHUNK_SIZE * 2 + 17))
    return path


def test_bad_files_are_refused_before_anything_is_sent(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        check_file(str(tmp_path / "missing.img"))
    with pytest.raises(InputError, match="is a directory"):
        check_file(str(tmp_path))
    unreadable = tmp_path / "secret.img"
    unreadable.write_bytes(b"x")
    unreadable.chmod(0)
    if os.geteuid() != 0:  # root reads everything
        with pytest.raises(InputError, match="not readable"):
            check_file(str(unreadable))


def test_reader_streams_in_large_chunks_and_hashes_once(image_file):
    data = image_file.read_bytes()
    reader = HashingReader(str(image_file), ["sha512", "md5"])
    assert len(reader) == len(data)
    chunks = []
    while True:
        chunk = reader.read(8192)  # the HTTP library's block size does not matter
        if not chunk:
            break
        chunks.append(chunk)
    reader.close()
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) == CHUNK_SIZE
    assert reader.digests() == {"sha512": hashlib.sha512(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}


def test_digest_cache_skips_rehashing_an_unchanged_file(image_file, tmp_path, monkeypatch):
    cache_path = tmp_path / "cache" / "digests.json"
    expected = hashlib.sha512(image_file.read_bytes()).hexdigest()
    assert file_digests(str(image_file), ["sha512"], DigestCache(str(cache_path))) == {"sha512": expected}
    assert json.loads(cache_path.read_text())["version"] == 1

    opened = []
    real_open = open

    def counting_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr("builtins.open", counting_open)
    assert file_digests(str(image_file), ["sha512"], DigestCache(str(cache_path))) == {"sha512": expected}
    assert str(image_file) not in opened


def test_a_changed_file_is_hashed_again(image_file, tmp_path):
    cache = DigestCache(str(tmp_path / "digests.json"))
    first = file_digests(str(image_file), ["sha512"], cache)["sha512"]
    image_file.write_bytes(b"other content")
    second = file_digests(str(image_file), ["sha512"], DigestCache(str(tmp_path / "digests.json")))["sha512"]
    assert second == hashlib.sha512(b"other content").hexdigest() != first


def test_cache_disabled_and_corrupt_cache(image_file, tmp_path):
    expected = hashlib.sha256(image_file.read_bytes()).hexdigest()
    assert file_digests(str(image_file), ["sha256"], DigestCache(None)) == {"sha256": expected}
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert file_digests(str(image_file), ["sha256"], DigestCache(str(broken))) == {"sha256": expected}


def test_reader_closed_early_stops_its_hashing_thread(image_file):
    data = image_file.read_bytes()
    reader = HashingReader(str(image_file), ["sha256"])
    first = reader.read()
    reader.close()
    assert reader._hasher_thread is None
    assert reader.digests() == {"sha256": hashlib.sha256(first).hexdigest()}
    assert len(first) == min(len(data), CHUNK_SIZE)


def test_send_file_streams_once_records_the_digests_and_closes(image_file, tmp_path):
    data = image_file.read_bytes()
    cache = DigestCache(str(tmp_path / "digests.json"))
    received = []

    def send(reader):
        received.append(b"".join(iter(reader.read, b"")))

    sent = send_file(str(image_file), ["sha256"], send, cache)
    assert received == [data]
    assert sent == {"sha256": hashlib.sha256(data).hexdigest()}
    assert file_digests(str(image_file), ["sha256"], DigestCache(str(tmp_path / "digests.json"))) == sent


def test_send_file_closes_the_file_when_sending_fails(image_file):
    readers = []

    def send(reader):
        readers.append(reader)
        reader.read()
        raise OSError("connection reset")

    with pytest.raises(OSError):
        send_file(str(image_file), ["sha256"], send)
    assert readers[0]._handle.closed and readers[0]._hasher_thread is None
