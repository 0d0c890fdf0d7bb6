# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: image data from a URL through the controller, in one streaming pass.

download -> decompress (when the stream's magic says so) -> upload, with constant memory: the
response is read in chunks, each decompressed chunk is hashed and sent before the next is
read. Two sets of digests come out: those of the downloaded bytes (what a distribution's
checksum file describes) and those of the bytes sent (what Glance stores as os_hash_value).

Three threads overlap the work, as a shell pipe of ``curl | xz -dc | curl -T -`` does: one
downloads and decompresses (liblzma, zlib, libbz2 and zstd release the GIL), one hashes what is
sent, and the caller's thread sends. Queues of a few chunks between them bound the memory.
The last chunk is held back until the downloaded bytes' digest has been compared with the
expected one, so data that does not match its checksum never completes an upload.
"""

from __future__ import annotations

import hashlib
import itertools
import posixpath
import queue
import threading

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url

from ansible_collections.imagecat.glance.plugins.module_utils import _checksums
from ansible_collections.imagecat.glance.plugins.module_utils._decompress import MAGIC_BYTES, DecompressingReader, DecompressionError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import compression_of
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError

SCHEMES = ("http", "https")
# A checksum file is small; anything larger is not one (and is not read whole into memory).
MAX_CHECKSUM_FILE = 4 * 1024 * 1024
# Chunks (of at most 1 MiB) waiting between the threads of a transfer, at most.
BACKLOG = 4


class TransferError(GlanceError):
    """The source could not be read, or its data is not what it claims (the message names the URL)."""


def open_source(url, timeout, validate_certs=True, opener=open_url, method="GET", headers=None):
    """The HTTP response for ``url``, only over http(s), redirects included."""
    if urlsplit(url).scheme not in SCHEMES:
        raise TransferError("%s: only http and https sources are read through the controller." % url)
    try:
        response = opener(url, method=method, timeout=timeout, validate_certs=validate_certs,
                          follow_redirects="safe", headers=headers)
    except HTTPError as error:
        if 300 <= error.code < 400:
            raise TransferError("%s redirects to %s; only http and https are followed."
                                % (url, error.headers.get("Location")))
        failure = TransferError("%s answers HTTP %s." % (url, error.code))
        failure.http_status = error.code
        raise failure
    except (URLError, OSError, ValueError) as error:
        raise TransferError("%s cannot be read: %s." % (url, getattr(error, "reason", error)))
    final = response.geturl()
    if urlsplit(final).scheme not in SCHEMES:
        response.close()
        raise TransferError("%s redirects to %s; only http and https are followed." % (url, final))
    return response


def http_fetch(timeout, validate_certs, opener=open_url):
    """fetch(method, url) -> (status, headers, text) for checksum files and HEAD requests; an HTTP error
    status is returned (the caller words it), a redirect to another scheme raises TransferError."""
    def fetch(method, url):
        try:
            response = open_source(url, timeout, validate_certs, opener=opener, method=method)
        except TransferError as error:
            status = getattr(error, "http_status", None)
            if status is None:
                raise
            return status, {}, ""
        with response:
            text = ""
            if method == "GET":
                body = response.read(MAX_CHECKSUM_FILE + 1)
                if len(body) > MAX_CHECKSUM_FILE:
                    raise TransferError("%s is larger than %d bytes; that is no checksum file." % (url, MAX_CHECKSUM_FILE))
                text = body.decode("utf-8", "replace")
            return response.status, response.headers, text
    return fetch


def listed_name(url, name=None):
    """The name a checksum file lists the image under: ``name``, or the last part of the URL's path."""
    return name or posixpath.basename(urlsplit(url).path)


def resolve_checksum(fetch, checksum_url, name, allowed):
    """(algorithm, hex) of ``name`` in the checksum file at ``checksum_url``; TransferError naming the URL."""
    status, dummy, text = fetch("GET", checksum_url)
    if status != 200:
        raise TransferError("checksum_url %s answers HTTP %s." % (checksum_url, status))
    try:
        entries = _checksums.parse(text, posixpath.basename(urlsplit(checksum_url).path))
        return _checksums.digest_for(entries, name, allowed)
    except _checksums.ChecksumFileError as error:
        raise TransferError("checksum_url %s: %s." % (checksum_url, error))


def checksum_for(url, checksum_url, name, allowed, timeout, validate_certs=True, option="url"):
    """The checksum ``checksum_url`` lists for ``url`` (or ``name``), for a module's option; the error names
    the option and the URL."""
    try:
        return resolve_checksum(http_fetch(timeout, validate_certs), checksum_url, listed_name(url, name), allowed)
    except TransferError as error:
        raise TransferError("%s %s: %s Nothing was changed." % (option, url, error.message))


def peek(url, timeout, validate_certs=True, opener=open_url):
    """The compression of the data at ``url`` ('xz', ... or None), from its first bytes only: a ranged GET
    whose answer is closed after a few bytes. TransferError for 404, a bad redirect, or a compression
    that is not decompressed (lz4, zip, ...); MissingLibraryError for zstd without zstandard."""
    response = open_source(url, timeout, validate_certs, opener=opener, headers={"Range": "bytes=0-%d" % (MAGIC_BYTES - 1)})
    try:
        head = response.read(MAGIC_BYTES)
    finally:
        response.close()
    if not head:
        raise TransferError("%s is empty; an image needs data." % url)
    return compression_of(head, url, TransferError)


class _Pipe:
    """A bounded queue between two threads; ``close()`` from the reading side makes the writer stop."""

    def __init__(self):
        self.queue = queue.Queue(BACKLOG)
        self.closed = threading.Event()

    def put(self, item):
        while not self.closed.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def get(self):
        return self.queue.get()

    def close(self):
        self.closed.set()


class Transfer:
    """One pass over ``source`` (a file object: an HTTP response or a local file).

    ``send(chunks)`` is called once with an iterator of the bytes to store; ``algorithms``
    hash those, ``source_algorithms`` the bytes as read. ``expected``: (algorithm, hex) the bytes
    as read must have (a checksum file's entry); a mismatch fails the upload before its last chunk.
    Errors while reading or decompressing surface as TransferError naming ``label``.
    """

    def __init__(self, source, label, algorithms, source_algorithms=(), expected=None):
        self.label = label
        self.expected = expected
        source_algorithms = sorted(set(source_algorithms) | ({expected[0]} if expected else set()))
        try:
            self.reader = DecompressingReader(source, (), source_algorithms)
        except DecompressionError as error:
            raise TransferError("%s: %s." % (label, error))
        self.algorithms = list(algorithms)
        self.error = None
        self._digests = None

    @property
    def compression(self):
        return self.reader.compression

    @property
    def bytes_sent(self):
        return self.reader.bytes_out

    def _read(self, pipe):
        """The producer thread: download and decompress into ``pipe``; an error goes down the pipe too."""
        try:
            while True:
                chunk = self.reader.read()
                if not pipe.put(chunk):
                    return
                if not chunk:
                    return
        except DecompressionError as error:
            pipe.put(TransferError("%s: %s; nothing of it was published." % (self.label, error)))
        except (OSError, ValueError) as error:
            pipe.put(TransferError("%s: reading it failed after %d bytes: %s."
                                   % (self.label, self.reader.bytes_read, error)))
        except Exception as error:  # handed to the sending thread, which raises it
            pipe.put(error)

    def _hash(self, pipe):
        hashers = {a: hashlib.new(a) for a in self.algorithms}
        while True:
            chunk = pipe.get()
            if chunk is None:
                break
            for hasher in hashers.values():
                hasher.update(chunk)
        self._digests = {a: h.hexdigest() for a, h in hashers.items()}

    def _check_source(self):
        if not self.expected:
            return
        algorithm, want = self.expected
        have = self.reader.source_digests()[algorithm]
        if have != want:
            self.error = TransferError("%s: checksum: the data read has %s %s, not the expected %s; nothing of it "
                                       "was published." % (self.label, algorithm, have, want))
            raise self.error

    def chunks(self, pipe, hashed):
        """The chunks to send, one held back until the next arrives (the last one until the check)."""
        held = None
        while True:
            item = pipe.get()
            if isinstance(item, Exception):
                self.error = item
                raise item
            if not item:
                break
            if held is not None:
                hashed.put(held)
                yield held
            held = item
        if held is None:
            return
        self._check_source()
        hashed.put(held)
        yield held

    def run(self, send):
        """Send everything; returns (digests of what was sent, digests of what was read).

        The first chunk is read before ``send`` is called, so an empty or undecodable source
        fails before any byte is sent.
        """
        pipe, hashed = _Pipe(), _Pipe()
        reader = threading.Thread(target=self._read, args=(pipe,), name="imagecat-transfer-read", daemon=True)
        hasher = threading.Thread(target=self._hash, args=(hashed,), name="imagecat-transfer-hash", daemon=True)
        reader.start()
        hasher.start()
        try:
            chunks = self.chunks(pipe, hashed)
            first = next(chunks, b"")
            if not first:
                raise TransferError("%s is empty; an image needs data." % self.label)
            try:
                send(itertools.chain([first], chunks))
            except TransferError:
                raise
            except GlanceError:
                if self.error is not None:
                    raise self.error
                raise
            if self.error is not None:
                raise self.error
        finally:
            pipe.close()
            hashed.queue.put(None)
            hasher.join()
            reader.join(5)
        return self._digests, self.reader.source_digests()
