import gzip
import hashlib
import json
import lzma
import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    CHUNK_SIZE,
    DigestCache,
    HashingReader,
    check_file,
    data_digests,
    file_compression,
    file_digests,
    flush_digest_caches,
    send_file,
)
from ansible_collections.imagecat.glance.plugins.module_utils import _image_data
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
    cache = DigestCache(str(cache_path))
    assert file_digests(str(image_file), ["sha512"], cache) == {"sha512": expected}
    assert not cache_path.exists()  # written when the run ends, not per entry
    assert cache.flush() == []
    assert json.loads(cache_path.read_text())["version"] == 2

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
    cache.flush()
    image_file.write_bytes(b"other content")
    second = file_digests(str(image_file), ["sha512"], DigestCache(str(tmp_path / "digests.json")))["sha512"]
    assert second == hashlib.sha512(b"other content").hexdigest() != first


def test_cache_disabled_and_corrupt_cache(image_file, tmp_path):
    expected = hashlib.sha256(image_file.read_bytes()).hexdigest()
    assert file_digests(str(image_file), ["sha256"], DigestCache(None)) == {"sha256": expected}
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert file_digests(str(image_file), ["sha256"], DigestCache(str(broken))) == {"sha256": expected}


def test_a_reader_closed_early_has_hashed_what_it_handed_out(image_file):
    data = image_file.read_bytes()
    reader = HashingReader(str(image_file), ["sha256"])
    first = reader.read()
    reader.close()
    assert not reader.complete
    assert reader.digests() == {"sha256": hashlib.sha256(first).hexdigest()}
    assert len(first) == min(len(data), CHUNK_SIZE)


def test_send_file_streams_once_records_the_digests_and_closes(image_file, tmp_path):
    data = image_file.read_bytes()
    cache = DigestCache(str(tmp_path / "digests.json"))
    received = []

    def send(reader):
        received.append(b"".join(iter(reader.read, b"")))

    sent = send_file(str(image_file), ["sha256"], send, cache)
    cache.flush()
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
    assert readers[0]._handle.closed


# -- the digest cache: written once per run, trusted only when it is the user's own -------------------

@pytest.fixture
def private_dir(tmp_path):
    directory = tmp_path / "private"
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    return directory


def cached_run(path, cache_path):
    """One module run: digests through a fresh cache, then the base's flush; returns (digests, warnings)."""
    digests = file_digests(str(path), ["sha256"], DigestCache(str(cache_path)))
    return digests, flush_digest_caches()


def test_a_rewrite_in_place_with_the_same_size_and_mtime_is_hashed_again(image_file, private_dir):
    cache_path = private_dir / "digests.json"
    before = os.stat(image_file)
    first, dummy_warnings = cached_run(image_file, cache_path)
    changed = bytearray(image_file.read_bytes())
    changed[0] ^= 0xFF
    with open(image_file, "r+b") as handle:  # same inode, same size
        handle.write(bytes(changed[:1]))
    os.utime(image_file, ns=(before.st_atime_ns, before.st_mtime_ns))  # same mtime; ctime moves on
    assert os.stat(image_file).st_mtime_ns == before.st_mtime_ns
    second, dummy_warnings = cached_run(image_file, cache_path)
    assert second == {"sha256": hashlib.sha256(bytes(changed)).hexdigest()} != first


def test_many_entries_in_one_run_write_the_file_once(tmp_path, private_dir, monkeypatch):
    files = []
    for index in range(5):
        path = tmp_path / ("f%d.raw" % index)
        path.write_bytes(os.urandom(1000))
        files.append(path)
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda *args: replaced.append(args) or real_replace(*args))
    cache = DigestCache(str(private_dir / "digests.json"))
    for path in files:  # like a loop in one controller process, or a catalogue's parallel uploads
        file_digests(str(path), ["sha256"], cache)
    assert replaced == []
    assert flush_digest_caches() == []
    assert len(replaced) == 1
    assert len(json.loads((private_dir / "digests.json").read_text())["entries"]) == 5
    assert flush_digest_caches() == [] and len(replaced) == 1  # nothing new, nothing written


def test_a_flush_keeps_what_another_process_wrote_meanwhile(tmp_path, private_dir):
    one, two = tmp_path / "one.raw", tmp_path / "two.raw"
    one.write_bytes(b"1" * 100)
    two.write_bytes(b"2" * 100)
    cache_path = private_dir / "digests.json"
    first, second = DigestCache(str(cache_path)), DigestCache(str(cache_path))
    file_digests(str(one), ["sha256"], first)
    file_digests(str(two), ["sha256"], second)
    first.flush()
    second.flush()
    assert len(json.loads(cache_path.read_text())["entries"]) == 2


def plant(cache_path, image_file, digest="0" * 64):
    """What another user would write: a wrong digest for the file's current key."""
    key = _image_data.file_key(str(image_file), os.stat(image_file))
    cache_path.write_text(json.dumps({"version": 2, "entries": {key: {"sha256": digest}}}))


def test_the_cache_is_trusted_when_only_the_user_can_write_it(image_file, private_dir):
    cache_path = private_dir / "digests.json"
    plant(cache_path, image_file)
    cache_path.chmod(0o600)
    digests, warnings = cached_run(image_file, cache_path)
    assert digests == {"sha256": "0" * 64}  # the planted value is used: it is the user's own file
    assert warnings == []


@pytest.mark.parametrize("target, mode", [("directory", 0o777), ("directory", 0o770), ("file", 0o666),
                                          ("file", 0o620)])
def test_a_cache_others_can_write_is_not_used(image_file, private_dir, target, mode):
    cache_path = private_dir / "digests.json"
    plant(cache_path, image_file)
    cache_path.chmod(0o600)
    (private_dir if target == "directory" else cache_path).chmod(mode)
    planted = cache_path.read_text()
    digests, warnings = cached_run(image_file, cache_path)
    assert digests == {"sha256": hashlib.sha256(image_file.read_bytes()).hexdigest()}
    assert len(warnings) == 1
    assert "not using the digest cache" in warnings[0] and "can be written by other users" in warnings[0]
    assert "%04o" % mode in warnings[0]
    assert cache_path.read_text() == planted  # not written either


def test_an_existing_directory_keeps_its_mode_and_is_checked(image_file, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    digests, warnings = cached_run(image_file, shared / "digests.json")
    assert digests == {"sha256": hashlib.sha256(image_file.read_bytes()).hexdigest()}
    assert len(warnings) == 1 and str(shared) in warnings[0]
    assert not (shared / "digests.json").exists()


def test_a_missing_directory_is_made_private(image_file, tmp_path):
    cache_path = tmp_path / "new" / "digests.json"
    digests, warnings = cached_run(image_file, cache_path)
    assert warnings == []
    assert stat_mode(cache_path.parent) == 0o700
    assert stat_mode(cache_path) == 0o600
    assert json.loads(cache_path.read_text())["entries"]


def stat_mode(path):
    return os.stat(path).st_mode & 0o7777


def test_a_cache_of_another_user_is_not_used(image_file, private_dir, monkeypatch):
    cache_path = private_dir / "digests.json"
    plant(cache_path, image_file)
    cache_path.chmod(0o600)
    other = os.geteuid() + 1
    monkeypatch.setattr(os, "geteuid", lambda: other)  # the same files, seen by another user
    digests, warnings = cached_run(image_file, cache_path)
    assert digests == {"sha256": hashlib.sha256(image_file.read_bytes()).hexdigest()}
    assert len(warnings) == 1 and "not to the user running the module (uid %d)" % other in warnings[0]


def test_a_symlinked_cache_file_is_not_used(image_file, private_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere.json"
    plant(elsewhere, image_file)
    cache_path = private_dir / "digests.json"
    cache_path.symlink_to(elsewhere)
    digests, warnings = cached_run(image_file, cache_path)
    assert digests == {"sha256": hashlib.sha256(image_file.read_bytes()).hexdigest()}
    assert len(warnings) == 1 and "symbolic link" in warnings[0]


def test_a_failed_replace_is_reported_and_leaves_no_temporary_file(image_file, private_dir, monkeypatch):
    def refuse(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", refuse)
    digests, warnings = cached_run(image_file, private_dir / "digests.json")
    assert digests == {"sha256": hashlib.sha256(image_file.read_bytes()).hexdigest()}
    assert len(warnings) == 1
    assert "could not write the digest cache" in warnings[0] and "No space left on device" in warnings[0]
    assert os.listdir(private_dir) == []


# -- a digest is recorded only for a complete read --------------------------------------------------

def test_send_file_records_no_digest_when_fewer_bytes_than_the_size_were_read(image_file, private_dir):
    cache_path = private_dir / "digests.json"
    cache = DigestCache(str(cache_path))

    def send_one_chunk(reader):  # a server that closed the connection after the first chunk
        reader.read()

    sent = send_file(str(image_file), ["sha256"], send_one_chunk, cache)
    assert sent == {"sha256": hashlib.sha256(image_file.read_bytes()[:CHUNK_SIZE]).hexdigest()}
    assert flush_digest_caches() == []
    assert not cache_path.exists()
    again, dummy_warnings = cached_run(image_file, cache_path)
    assert again == {"sha256": hashlib.sha256(image_file.read_bytes()).hexdigest()}


def test_send_file_records_no_digest_when_the_file_grew_while_it_was_read(image_file, private_dir):
    cache_path = private_dir / "digests.json"

    def send_while_appending(reader):
        reader.read()
        with open(image_file, "ab") as handle:
            handle.write(b"more")
        b"".join(iter(reader.read, b""))

    send_file(str(image_file), ["sha256"], send_while_appending, DigestCache(str(cache_path)))
    flush_digest_caches()
    assert not cache_path.exists()


def test_send_file_records_the_digest_of_a_complete_read(image_file, private_dir):
    cache_path = private_dir / "digests.json"
    sent = send_file(str(image_file), ["sha256"], lambda reader: b"".join(iter(reader.read, b"")),
                     DigestCache(str(cache_path)))
    flush_digest_caches()
    assert list(json.loads(cache_path.read_text())["entries"].values())[0]["sha256"] == sent["sha256"]


def test_a_compressed_file_is_compared_by_its_decompressed_data_and_cached(tmp_path, monkeypatch):
    data = os.urandom(100000) + b"\0" * (3 * CHUNK_SIZE)
    packed = tmp_path / "disk.raw.xz"
    packed.write_bytes(lzma.compress(data))
    cache_path = tmp_path / "cache" / "digests.json"
    cache = DigestCache(str(cache_path))
    expected = {"sha512": hashlib.sha512(data).hexdigest()}
    assert data_digests(str(packed), ["sha512"], cache) == expected
    # The file's own digest (what a checksum file lists) stays apart from its data's.
    assert file_digests(str(packed), ["sha512"], cache) == {"sha512": hashlib.sha512(packed.read_bytes()).hexdigest()}
    cache.flush()
    monkeypatch.setattr(_image_data, "DecompressingReader", None)  # a cache hit decompresses nothing
    assert data_digests(str(packed), ["sha512"], DigestCache(str(cache_path))) == expected


def test_a_plain_file_has_the_same_data_and_file_digests(image_file):
    assert data_digests(str(image_file), ["sha256"]) == file_digests(str(image_file), ["sha256"])
    assert file_compression(str(image_file)) is None


def test_a_truncated_or_unknown_compressed_file_is_refused_by_name(tmp_path):
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(os.urandom(200000))[:-50])
    with pytest.raises(InputError, match="cut.gz: gzip stream is truncated"):
        data_digests(str(cut), ["sha512"])
    archive = tmp_path / "disk.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    with pytest.raises(InputError, match="filename: .*disk.zip: the data is zip-compressed"):
        file_compression(str(archive))
