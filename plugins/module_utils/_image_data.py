# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: image files, their digests, and streaming them to Glance.

A file is read once per upload: the digests are computed on the chunks as they
are sent, in a thread of their own (hashlib releases the GIL on large buffers),
so hashing overlaps with sending instead of adding to it. A small JSON cache keyed
by path, device, inode, size, mtime and ctime makes an unchanged re-run cost no
hashing at all; it is trusted only when it and its directory are the user's own,
and written once when a module run ends.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
import threading
import time

from ansible_collections.imagecat.glance.plugins.module_utils._connection import MissingLibraryError
from ansible_collections.imagecat.glance.plugins.module_utils._decompress import (
    HAS_ZSTANDARD,
    MAGIC_BYTES,
    ZSTANDARD_ERROR,
    DecompressingReader,
    DecompressionError,
    check_supported,
    detect,
)
from ansible_collections.imagecat.glance.plugins.module_utils._errors import InputError

CHUNK_SIZE = 1024 * 1024
CACHE_ENTRIES = 2000
# Version 2: keys with ctime; entries of other versions are dropped.
CACHE_VERSION = 2


# The hash_cache option (documented by the imagecat.glance.hash_cache doc fragment).
HASH_CACHE_ARGSPEC = dict(type="raw", default="~/.cache/imagecat.glance/digests.json")


def hash_cache_path(value):
    """The hash_cache option -> a path, or None when the cache is off (false, no, off, empty)."""
    if value is None or value is False or str(value).lower() in ("", "false", "no", "off", "0"):
        return None
    return str(value)


def check_file(path, require_data=False):
    """Refuse a missing, special or unreadable file (and with ``require_data`` an empty one) before
    anything is sent; returns its stat."""
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
    if require_data and info.st_size == 0:
        raise InputError("filename: %s is empty (0 bytes); an image needs data. Give the image file." % path)
    return info


def file_key(path, info):
    # ctime too: a rewrite in place that keeps size and mtime (touch -r, a same-size copy) still changes it.
    return "%s|%d|%d|%d|%d|%d" % (os.path.abspath(path), info.st_dev, info.st_ino, info.st_size,
                                  info.st_mtime_ns, info.st_ctime_ns)


def untrusted_reason(path, info, kind):
    """Why a cache file or directory may not be trusted (None when it may): it must belong to the
    user running the module and be writable by no one else, or another user could plant digests."""
    if kind == "file" and stat.S_ISLNK(info.st_mode):
        return "%s is a symbolic link" % path
    if kind == "file" and not stat.S_ISREG(info.st_mode):
        return "%s is not a regular file" % path
    if kind == "directory" and not stat.S_ISDIR(info.st_mode):
        return "%s is not a directory" % path
    if info.st_uid != os.geteuid():
        return "%s belongs to uid %d, not to the user running the module (uid %d)" % (
            path, info.st_uid, os.geteuid())
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "%s can be written by other users (mode %04o)" % (path, stat.S_IMODE(info.st_mode))
    return None


# The caches read in this process whose new entries and warnings are not handed over yet; the module
# base flushes them once when a module run ends (flush_digest_caches), not once per entry.
_OPEN_CACHES = []
_OPEN_CACHES_LOCK = threading.Lock()


def flush_digest_caches():
    """Write every digest cache used since the last call, once each; returns the warnings to show."""
    with _OPEN_CACHES_LOCK:
        caches = list(_OPEN_CACHES)
        del _OPEN_CACHES[:]
    messages = []
    for cache in caches:
        messages.extend(cache.flush())
    return messages


class DigestCache:
    """Digests of local files by (path, device, inode, size, mtime, ctime); ``path=None`` disables it.

    Used only when the file and its directory belong to the user and no one else can write them;
    otherwise it warns once and neither reads nor writes. New entries stay in memory until
    ``flush()``, which the module base calls once when a module run ends (``flush_digest_caches``):
    a catalogue's parallel uploads write the file once, not once per entry; in a loop inside the
    controller each item is a module run of its own and writes once. Safe to share between threads.
    """

    def __init__(self, path):
        self.path = os.path.expanduser(path) if path else None
        self._entries = None
        self._new = {}
        self._warnings = []
        self._registered = False
        self._lock = threading.Lock()

    def _refuse(self, reason):
        self._warnings.append("hash_cache: not using the digest cache %s: %s. Digests are computed from the "
                              "files instead; give a hash_cache path in a directory only you can write, or "
                              "hash_cache=false." % (self.path, reason))
        self.path = None
        return {}

    def _directory(self):
        """The cache's directory, made 0700 when missing; refused unless only the user can write it."""
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            # exist_ok leaves an existing directory's mode alone: check it.
            return untrusted_reason(directory, os.stat(directory), "directory")
        except OSError as exc:
            return "cannot use %s: %s" % (directory, exc.strerror)

    def _read(self):
        """The entries in the file, or {} (missing, corrupt, another version); refuses an untrusted file."""
        reason = self._directory()
        if reason:
            return self._refuse(reason)
        try:
            reason = untrusted_reason(self.path, os.lstat(self.path), "file")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            reason = "cannot read it: %s" % exc.strerror
        if reason:
            return self._refuse(reason)
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        if isinstance(data, dict) and data.get("version") == CACHE_VERSION and isinstance(data.get("entries"), dict):
            return data["entries"]
        return {}

    def _load(self):
        if self._entries is None:
            self._entries = self._read() if self.path else {}
        if not self._registered:
            self._registered = True
            with _OPEN_CACHES_LOCK:
                _OPEN_CACHES.append(self)
        return self._entries

    def get(self, key, algorithm):
        with self._lock:
            entry = self._load().get(key)
        return entry.get(algorithm) if entry else None

    def put(self, key, digests):
        with self._lock:
            entries = self._load()
            if not self.path:
                return
            entry = dict(entries.get(key) or {})
            entry.update(digests)
            entry["used"] = time.time()
            entries[key] = self._new[key] = entry

    def flush(self):
        """Write the new entries, merged into what the file holds now; returns the warnings of this cache
        (a refused or unwritable cache), each once."""
        with self._lock:
            if self.path and self._new:
                self._write()
            self._new = {}
            self._registered = False
            warnings, self._warnings = self._warnings, []
        return warnings

    def _write(self):
        # Another process (a fork running another host) may have written since we read: keep its entries.
        entries = self._read()
        if not self.path:
            return
        entries.update(self._new)
        if len(entries) > CACHE_ENTRIES:
            for old in sorted(entries, key=lambda k: entries[k].get("used", 0))[:len(entries) - CACHE_ENTRIES]:
                del entries[old]
        temp = None
        try:
            handle, temp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(self.path)), prefix=".digests-")
            with os.fdopen(handle, "w") as out:
                json.dump({"version": CACHE_VERSION, "entries": entries}, out)
            os.replace(temp, self.path)
            temp = None
        except OSError as exc:
            self._warnings.append("hash_cache: could not write the digest cache %s: %s. The next run hashes "
                                  "the files again." % (self.path, exc.strerror or exc))
        finally:
            if temp:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
        self._entries = entries


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
        read = 0
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
                read += len(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
            complete = read == info.st_size and file_key(path, os.fstat(handle.fileno())) == key
        computed = {a: h.hexdigest() for a, h in hashers.items()}
        found.update(computed)
        if cache is not None and complete:
            cache.put(key, computed)
    return found


# Cache keys of the digests of a compressed file's decompressed data (what Glance stores).
DATA_PREFIX = "data-"


def compression_of(head, label, error=InputError):
    """The compression the first bytes ``head`` of ``label`` (a file or URL) show ('xz', 'gzip', 'bzip2',
    'zstd'), or None; ``error`` for a compression that is not decompressed on upload (lz4, zip, ...),
    MissingLibraryError for zstd without the zstandard library."""
    try:
        check_supported(head)
    except DecompressionError as failure:
        raise error("%s: %s." % (label, failure))
    compression = detect(head)
    if compression == "zstd" and not HAS_ZSTANDARD:
        raise MissingLibraryError("zstandard", "%s is zstd-compressed (%s)" % (label, ZSTANDARD_ERROR))
    return compression


def file_compression(path, where="filename"):
    """The compression of a local file from its first bytes (see compression_of)."""
    with open(path, "rb") as handle:
        return compression_of(handle.read(MAGIC_BYTES), "%s: %s" % (where, path))


def data_digests(path, algorithms, cache=None):
    """{algorithm: hex} of the data an upload of ``path`` stores: the file's own digests, or for a compressed
    file those of its decompressed content (one decompressing pass, then cached like file digests)."""
    if not file_compression(path):
        return file_digests(path, algorithms, cache)
    info = check_file(path)
    key = file_key(path, info)
    found = {}
    for algorithm in algorithms:
        cached = cache.get(key, DATA_PREFIX + algorithm) if cache is not None else None
        if cached:
            found[algorithm] = cached
    missing = [a for a in algorithms if a not in found]
    if missing:
        with open(path, "rb") as handle:
            reader = DecompressingReader(handle, missing)
            try:
                for dummy in reader:
                    pass
            except DecompressionError as error:
                raise InputError("filename: %s: %s; nothing was changed." % (path, error))
            complete = file_key(path, os.fstat(handle.fileno())) == key
        computed = reader.digests()
        found.update(computed)
        if cache is not None and complete:
            cache.put(key, {DATA_PREFIX + a: h for a, h in computed.items()})
    return found


def send_file(path, algorithms, send, cache=None):
    """Stream ``path`` once through ``send(reader)`` (an upload or a staging request), hashing it on the
    way; returns {algorithm: hex} of what was sent, also recorded in ``cache`` when given and the
    whole file was read."""
    reader = HashingReader(path, algorithms)
    try:
        send(reader)
    finally:
        reader.close()
    sent = reader.digests()
    # Only the digest of the whole file, unchanged while it was read, describes the file: a send that
    # stopped early (or a file that changed under it) must not leave a wrong digest in the cache.
    if cache is not None and reader.complete:
        cache.put(reader.key, sent)
    return sent


class HashingReader:
    """A file object for the request body that hashes what it hands out.

    ``len()`` gives requests the Content-Length, so the body is streamed with a
    known length instead of chunked; chunks of 1 MiB keep the per-call overhead
    low whatever block size the HTTP library asks for. Each chunk is hashed as it
    is handed out, in the sending thread: the kernel keeps sending what the socket
    holds meanwhile, and a second busy thread only took CPU from the Image service
    when both run on one small machine (an upload of 1 GiB: 1.2 s of CPU instead
    of 1.5 s, and 5 % faster, in an A/B run against the local cloud).
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

    def __len__(self):
        return self._size

    def read(self, size=-1):
        chunk = self._handle.read(CHUNK_SIZE)
        if chunk:
            self.bytes_read += len(chunk)
            for hasher in self.hashers.values():
                hasher.update(chunk)
        return chunk

    @property
    def complete(self):
        """True when every byte of the file, as it was when opened, was handed out."""
        if self.bytes_read != self._size:
            return False
        try:
            info = os.stat(self.path) if self._handle.closed else os.fstat(self._handle.fileno())
        except OSError:  # gone since: what was read may not be the file any more
            return False
        return file_key(self.path, info) == self.key

    def digests(self):
        return {a: h.hexdigest() for a, h in self.hashers.items()}

    def close(self):
        self._handle.close()
