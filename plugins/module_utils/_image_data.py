# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: image files, their digests, and streaming them to Glance.

A file is read once per upload: the digests are computed on the chunks as they
are sent, in a thread of their own (hashlib releases the GIL on large buffers),
so hashing overlaps with sending instead of adding to it. A small JSON cache keyed by path, device, inode, size and mtime makes
an unchanged re-run cost no hashing at all.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import stat
import tempfile
import threading
import time

from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError

CHUNK_SIZE = 1024 * 1024
CACHE_ENTRIES = 2000
# Chunks handed out but not hashed yet, at most (bounds the memory an upload holds).
HASH_BACKLOG = 8


# The hash_cache option (documented by the imagecat.glance.hash_cache doc fragment).
HASH_CACHE_ARGSPEC = dict(type="raw", default="~/.cache/imagecat.glance/digests.json")


def hash_cache_path(value):
    """The hash_cache option -> a path, or None when the cache is off (false, no, off, empty)."""
    if value is None or value is False or str(value).lower() in ("", "false", "no", "off", "0"):
        return None
    return str(value)


def check_file(path):
    """Refuse a missing, special or unreadable file before anything is sent; returns its stat."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise InputError("filename: %s does not exist." % path)
        raise InputError("filename: cannot read %s: %s." % (path, exc.strerror))
    if stat.S_ISDIR(info.st_mode):
        raise InputError("filename: %s is a directory; give the path of an image file." % path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("filename: %s is not a regular file." % path)
    if not os.access(path, os.R_OK):
        raise InputError("filename: %s is not readable by the user running the module." % path)
    return info


def file_key(path, info):
    return "%s|%d|%d|%d|%d" % (os.path.abspath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class DigestCache:
    """Digests of local files by (path, device, inode, size, mtime); ``path=None`` disables it.

    Safe to share between threads (the catalogue uploads in parallel).
    """

    def __init__(self, path):
        self.path = os.path.expanduser(path) if path else None
        self._entries = None
        self._lock = threading.Lock()

    def _load(self):
        if self._entries is None:
            self._entries = {}
            if self.path:
                try:
                    with open(self.path) as handle:
                        data = json.load(handle)
                    if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                        self._entries = data["entries"]
                except (OSError, ValueError):
                    self._entries = {}
        return self._entries

    def get(self, key, algorithm):
        with self._lock:
            entry = self._load().get(key)
        return entry.get(algorithm) if entry else None

    def put(self, key, digests):
        if not self.path:
            return
        with self._lock:
            self._put(key, digests)

    def _put(self, key, digests):
        entries = self._load()
        entry = dict(entries.get(key) or {})
        entry.update(digests)
        entry["used"] = time.time()
        entries[key] = entry
        if len(entries) > CACHE_ENTRIES:
            for old in sorted(entries, key=lambda k: entries[k].get("used", 0))[:len(entries) - CACHE_ENTRIES]:
                del entries[old]
        try:
            directory = os.path.dirname(self.path) or "."
            os.makedirs(directory, mode=0o700, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=directory, prefix=".digests-")
            with os.fdopen(handle, "w") as out:
                json.dump({"version": 1, "entries": entries}, out)
            os.replace(temp, self.path)
        except OSError:
            # A cache that cannot be written only costs a re-hash next time.
            pass


def file_digests(path, algorithms, cache=None):
    """{algorithm: hex} for a local file, from the cache when the file is unchanged."""
    info = check_file(path)
    key = file_key(path, info)
    found = {}
    if cache is not None:
        for algorithm in algorithms:
            cached = cache.get(key, algorithm)
            if cached:
                found[algorithm] = cached
    missing = [a for a in algorithms if a not in found]
    if missing:
        hashers = {a: hashlib.new(a) for a in missing}
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
                for hasher in hashers.values():
                    hasher.update(chunk)
        computed = {a: h.hexdigest() for a, h in hashers.items()}
        found.update(computed)
        if cache is not None:
            cache.put(key, computed)
    return found


def send_file(path, algorithms, send, cache=None):
    """Stream ``path`` once through ``send(reader)`` (an upload or a staging request), hashing it on the
    way; returns {algorithm: hex} of what was sent, also recorded in ``cache`` when given."""
    reader = HashingReader(path, algorithms)
    try:
        send(reader)
    finally:
        reader.close()
    sent = reader.digests()
    if cache is not None:
        cache.put(reader.key, sent)
    return sent


class HashingReader:
    """A file object for the request body that hashes what it hands out.

    ``len()`` gives requests the Content-Length, so the body is streamed with a
    known length instead of chunked; chunks of 1 MiB keep the per-call overhead
    low whatever block size the HTTP library asks for. The chunks are hashed by a
    helper thread while the caller sends them; at most HASH_BACKLOG chunks wait.
    """

    def __init__(self, path, algorithms):
        self.path = path
        self._handle = open(path, "rb")
        info = os.fstat(self._handle.fileno())
        self._size = info.st_size
        # The digest cache key of the file as it was opened.
        self.key = file_key(path, info)
        self.hashers = {a: hashlib.new(a) for a in algorithms}
        self.bytes_read = 0
        self._chunks = queue.Queue(maxsize=HASH_BACKLOG)
        self._hasher_thread = threading.Thread(target=self._hash_chunks, name="imagecat-hash", daemon=True)
        self._hasher_thread.start()

    def __len__(self):
        return self._size

    def _hash_chunks(self):
        while True:
            chunk = self._chunks.get()
            if chunk is None:
                return
            for hasher in self.hashers.values():
                hasher.update(chunk)

    def _finish_hashing(self):
        if self._hasher_thread is not None:
            self._chunks.put(None)
            self._hasher_thread.join()
            self._hasher_thread = None

    def read(self, size=-1):
        chunk = self._handle.read(CHUNK_SIZE)
        if chunk:
            self.bytes_read += len(chunk)
            self._chunks.put(chunk)
        return chunk

    def digests(self):
        self._finish_hashing()
        return {a: h.hexdigest() for a, h in self.hashers.items()}

    def close(self):
        self._finish_hashing()
        self._handle.close()
