# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: image data from a URL through the controller, in one streaming pass.

download -> decompress (when the stream's magic says so) -> upload, with constant memory: the
response is read in chunks, each decompressed chunk is hashed and sent before the next is
read. Two sets of digests come out: those of the downloaded bytes (what a distribution's
checksum file describes) and those of the bytes sent (what Glance stores as os_hash_value).
"""

from __future__ import annotations

import itertools

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url

from ansible_collections.imagecat.glance.plugins.module_utils._decompress import DecompressingReader, DecompressionError
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError

SCHEMES = ("http", "https")


class TransferError(GlanceError):
    """The source could not be read, or its data is not what it claims (the message names the URL)."""


def open_source(url, timeout, validate_certs=True, opener=open_url):
    """The HTTP response for ``url``, only over http(s), redirects included."""
    if urlsplit(url).scheme not in SCHEMES:
        raise TransferError("%s: only http and https sources are read through the controller." % url)
    try:
        response = opener(url, method="GET", timeout=timeout, validate_certs=validate_certs, follow_redirects="safe")
    except HTTPError as error:
        if 300 <= error.code < 400:
            raise TransferError("%s redirects to %s; only http and https are followed."
                                % (url, error.headers.get("Location")))
        raise TransferError("%s answers HTTP %s." % (url, error.code))
    except (URLError, OSError, ValueError) as error:
        raise TransferError("%s cannot be read: %s." % (url, getattr(error, "reason", error)))
    final = response.geturl()
    if urlsplit(final).scheme not in SCHEMES:
        response.close()
        raise TransferError("%s redirects to %s; only http and https are followed." % (url, final))
    return response


class Transfer:
    """One pass over ``source`` (a file object: an HTTP response or a local file).

    ``send(chunks)`` is called once with an iterator of the bytes to store; ``algorithms``
    hash those, ``source_algorithms`` the bytes as read. Errors while reading or
    decompressing surface as TransferError naming ``label``.
    """

    def __init__(self, source, label, algorithms, source_algorithms=()):
        self.label = label
        try:
            self.reader = DecompressingReader(source, algorithms, source_algorithms)
        except DecompressionError as error:
            raise TransferError("%s: %s." % (label, error))
        self.error = None

    @property
    def compression(self):
        return self.reader.compression

    def chunks(self):
        while True:
            try:
                chunk = self.reader.read()
            except DecompressionError as error:
                # Raised inside the upload's body iterator: remembered, so the caller reports it rather
                # than the connection error the aborted upload causes.
                self.error = TransferError("%s: %s; nothing of it was published." % (self.label, error))
                raise self.error
            except (OSError, ValueError) as error:
                self.error = TransferError("%s: reading it failed after %d bytes: %s."
                                           % (self.label, self.reader.bytes_read, error))
                raise self.error
            if not chunk:
                return
            yield chunk

    def run(self, send):
        """Send everything; returns (digests of what was sent, digests of what was read).

        The first chunk is read before ``send`` is called, so an empty or undecodable source
        fails before any byte is sent.
        """
        chunks = self.chunks()
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
        return self.reader.digests(), self.reader.source_digests()
