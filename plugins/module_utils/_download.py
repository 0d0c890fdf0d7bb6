# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: downloading image data to a local file, verified, resumable.

The data goes to a partial file next to the destination (``.<name>.part``) and
takes the destination's name by a rename only once its digest matches the one
Glance recorded, so the destination never holds half an image. An interrupted
download leaves the partial file behind; the next run asks only for the missing
bytes (``Range``) and accepts them only from a 206 whose ``Content-Range`` is the
one asked for. The data is received into one reused, page-aligned buffer of
BLOCK_SIZE, then written (PartWriter) and hashed (PartHasher) from it, so memory
stays at one block and no block is copied on the way.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import mmap
import os
import re
import stat
import threading
from http.client import HTTPException

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import file_digests, file_key
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError

# Received, hashed and (with direct I/O) written in blocks of 1 MiB, at file offsets that are multiples of it.
BLOCK_SIZE = 1024 * 1024
# What O_DIRECT asks of an offset, a length and a buffer address; 4 KiB covers every block device's.
DIRECT_ALIGN = 4096
# Through the page cache a block is written in pieces of 64 KiB: where the page cache sizes its folios by
# the write (ext4, Linux 6.x), each fresh folio of a 1 MiB write may be one the hypervisor must fault back
# in (free page reporting), which on a small VM costs up to 2 s more CPU per GiB.
CHUNK_SIZE = 64 * 1024
CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
# Statuses whose data Glance serves (deactivated: to admins only).
STATUSES_WITH_DATA = ("active", "deactivated")


def check_destination(dest):
    """The absolute destination path, or a clear error naming ``dest`` before anything is written."""
    path = os.path.abspath(os.path.expanduser(dest))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise InputError("dest: the directory %s does not exist; create it first (ansible.builtin.file "
                         "with state: directory)." % directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError("dest: the directory %s is not writable by the user running the module; the "
                         "download needs to create a file there." % directory)
    if os.path.isdir(path):
        raise InputError("dest: %s is a directory; give the path of the file to write." % path)
    if os.path.lexists(path) and not os.path.isfile(path):
        raise InputError("dest: %s exists and is not a regular file." % path)
    return path


def partial_path(path):
    """Where the data of ``path`` is written until it is verified (kept when a download is cut)."""
    directory, name = os.path.split(path)
    return os.path.join(directory, ".%s.part" % name)


def expected_digest(image):
    """(algorithm, hex) to verify the data with: os_hash_value, else the MD5 checksum, else (None, None)."""
    if image.get("os_hash_algo") and image.get("os_hash_value"):
        return image["os_hash_algo"], image["os_hash_value"]
    if image.get("checksum"):
        return "md5", image["checksum"]
    return None, None


def check_downloadable(image, option="image"):
    """Refuse an image that has no data to serve, before any write."""
    status = image.get("status")
    if status not in STATUSES_WITH_DATA:
        raise InputError("%s: image %s (%s) has no data to download: its status is %s; upload or import "
                         "its data first." % (option, image.get("name"), image["id"], status))


def refused_message(image, error):
    """A clear message for a 403 on the data of ``image``."""
    if image.get("status") == "deactivated":
        return ("image: image %s (%s) is deactivated, and Glance serves the data of deactivated images to "
                "admins only; reactivate it (imagecat.glance.image with state: present) or download as an "
                "admin. (%s)" % (image.get("name"), image["id"], error.message))
    return ("image: the Image service refuses this project the data of image %s (%s): its download_image "
            "policy (or a property protection) does not allow it. (%s)"
            % (image.get("name"), image["id"], error.message))


def local_digest(path, algorithm, cache=None):
    """The digest of the file at ``path``, from the digest cache when unchanged; None if there is no file."""
    if not os.path.isfile(path):
        return None
    return file_digests(path, [algorithm], cache)[algorithm]


def remember_digest(path, algorithm, digest, cache=None):
    """Record the digest of a file just verified, so the next run does not hash it again."""
    if cache is not None:
        cache.put(file_key(path, os.stat(path)), {algorithm: digest})


def parse_content_range(value):
    """'bytes a-b/total' -> (a, b, total or None); None when it is not that shape."""
    match = CONTENT_RANGE_RE.match(value or "")
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), int(match.group(2)), total


def partial_size(part):
    """How many bytes a partial file holds (0 without one)."""
    try:
        info = os.stat(part)
    except OSError:
        return 0
    if not stat.S_ISREG(info.st_mode):
        return 0
    return info.st_size


def direct_io_capable(directory):
    """Whether files in ``directory`` can be written with O_DIRECT to good effect: Linux, and a file system
    on a block device (ext4, XFS; Linux lists those under /sys/dev/block). Network, memory and stacked
    file systems (NFS, tmpfs, overlayfs, btrfs, ZFS) have anonymous device numbers and are left to the
    page cache: on NFS, for one, every direct write would wait for the server."""
    if not hasattr(os, "O_DIRECT"):
        return False
    device = os.stat(directory).st_dev
    return os.path.exists("/sys/dev/block/%d:%d" % (os.major(device), os.minor(device)))


class PartWriter:
    """Writes a download's data into its partial file (``fd``), from ``position`` on.

    With ``direct``, each whole block at an aligned offset goes from the receive buffer straight to the
    device (O_DIRECT): the kernel copies nothing and fills no page cache with an image nobody reads back.
    On a 2-core VM that also runs the Image service, this cut the system time of a 1 GiB download from
    0.3-2.3 s to about 0.2 s, and with it the download's time to that of curl, which does not hash.
    What is not aligned (the last block, the first one of a resume), data that is about to be read back,
    and every block once the file system refuses O_DIRECT (EINVAL) go through the page cache."""

    def __init__(self, fd, position, direct):
        self._fd = fd
        self.position = position
        self._direct = direct
        self._flagged = False  # whether O_DIRECT is set on fd now

    def _flag(self, on):
        if on == self._flagged:
            return True
        flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
        try:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, (flags | os.O_DIRECT) if on else (flags & ~os.O_DIRECT))
        except OSError as exc:
            if not on or exc.errno != errno.EINVAL:
                raise
            self._direct = False
            return False
        self._flagged = on
        return True

    def write(self, view, cached=False):
        """Append ``view``, whose first byte sits at a page-aligned address (the receive buffer's); with
        ``cached``, through the page cache (data that is about to be read back)."""
        done = 0
        while done < len(view):
            rest = view[done:]
            # O_DIRECT wants the file offset, the buffer address (the view's start is aligned) and the length aligned.
            aligned = not (self.position % DIRECT_ALIGN or done % DIRECT_ALIGN or len(rest) % DIRECT_ALIGN)
            direct = self._direct and not cached and aligned and self._flag(True)
            if not direct:
                self._flag(False)
                rest = rest[:CHUNK_SIZE]
            try:
                count = os.write(self._fd, rest)
            except OSError as exc:
                if not (direct and exc.errno == errno.EINVAL):
                    raise
                self._direct = False  # the file system refused it: through the page cache from here on
                continue
            done += count
            self.position += count


def open_part(part, start):
    """The partial file, open for writing from ``start`` (truncated there; 0: a new, empty file)."""
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | (0 if start else os.O_TRUNC), 0o666)
    if start:
        os.ftruncate(fd, start)
        os.lseek(fd, start, os.SEEK_SET)
    return fd


class PartHasher:
    """The digest of a partial file's data, in order, while the receiving thread appends to it.

    What the file already holds (the part a resume keeps) is read back and hashed by a helper thread,
    together with whatever the receiving thread appends meanwhile; once the helper has caught up, the
    receiving thread hashes each chunk it writes itself and the helper ends. A full download has nothing
    to catch up with and starts no thread: receiving, writing and hashing in one thread leaves the other
    cores to the rest of the machine, which on a small machine is often the Image service itself.
    Call add(chunk) after each chunk is written, then finish()."""

    READ_SIZE = 1024 * 1024  # reading back from the page cache, into one reused buffer

    def __init__(self, path, algorithm, written=0):
        self._hasher = hashlib.new(algorithm)
        self._written = written
        self._live = not written
        self._error = None
        self._cond = threading.Condition()
        self._thread = None
        if written:
            self._thread = threading.Thread(target=self._catch_up, args=(path,), name="imagecat-download-hash",
                                            daemon=True)
            self._thread.start()

    @property
    def live(self):
        """Whether the calling thread hashes what it adds (else the helper reads it back from the file)."""
        return self._live

    def add(self, chunk):
        """``chunk`` has just been appended to the file."""
        if not self._live:
            with self._cond:
                if not self._live:
                    self._written += len(chunk)
                    return
        self._hasher.update(chunk)

    def _catch_up(self, path):
        position = 0
        buf = bytearray(self.READ_SIZE)
        view = memoryview(buf)
        try:
            with open(path, "rb", buffering=0) as handle:
                while True:
                    with self._cond:
                        if position >= self._written:
                            self._live = True
                            return
                        limit = self._written
                    while position < limit:
                        count = handle.readinto(view[:min(self.READ_SIZE, limit - position)])
                        if not count:
                            raise OSError(errno.EIO, "the partial file shrank while it was hashed")
                        self._hasher.update(view[:count])
                        position += count
        except OSError as exc:
            with self._cond:
                self._error = exc
                self._live = True

    def finish(self, raise_error=True):
        """Wait for the helper, if any (once); the hex digest of everything in the file."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            if raise_error:
                raise self._error
            return None
        return self._hasher.hexdigest()


def body_reader(response):
    """A readinto(view) -> count for the response body, 0 at its end: http.client's own when the body
    comes undecoded (no copy of each chunk), else the chunks of requests' iter_content."""
    raw = getattr(getattr(response, "raw", None), "_fp", None)
    if hasattr(raw, "readinto") and not response.headers.get("Content-Encoding"):
        return raw.readinto
    chunks = response.iter_content(CHUNK_SIZE)
    pending = [memoryview(b"")]

    def readinto(view):
        if not pending[0]:
            pending[0] = memoryview(next(chunks, b""))
        count = min(len(view), len(pending[0]))
        view[:count] = pending[0][:count]
        pending[0] = pending[0][count:]
        return count
    return readinto


def receive_block(readinto, view):
    """Fill ``view`` from the body: (count, None), the count short only at the body's end; or, when the
    transfer is cut, (what did arrive, the error), so that what arrived can be kept."""
    count = 0
    try:
        while count < len(view):
            got = readinto(view[count:])
            if not got:
                break
            count += got
    except (OSError, HTTPException) as exc:  # requests' connection errors are OSErrors too
        return count, exc
    return count, None


def _request_data(client, image_id, offset, prefer_stores=None):
    headers = {"Accept": "application/octet-stream"}
    if offset:
        headers["Range"] = "bytes=%d-" % offset
    params = {"prefer": ",".join(prefer_stores)} if prefer_stores else None
    return client.request("GET", "/v2/images/%s/file" % image_id, headers=headers, params=params, stream=True,
                          expected=(200, 206, 204, 416))


def fetch(client, image, part, algorithm, offset=0, prefer_stores=None, warn=None):
    """Write the image's data into ``part`` (continuing after ``offset`` bytes when the server honours the
    range); returns dict(digest, transferred, resumed). The part is kept when the transfer is cut."""
    size = image.get("size")
    response = _request_data(client, image["id"], offset, prefer_stores)
    try:
        resumed = False
        if offset and response.status_code == 206:
            got = parse_content_range(response.headers.get("Content-Range"))
            if got is not None and got[0] == offset and (size is None or (got[1] == size - 1 and got[2] == size)):
                resumed = True
            else:
                if warn:
                    warn("image %s: asked for bytes %d- and got Content-Range %r; downloading it in full instead."
                         % (image["id"], offset, response.headers.get("Content-Range")))
                response.close()
                response = _request_data(client, image["id"], 0, prefer_stores)
        elif offset and response.status_code == 416:
            response.close()
            response = _request_data(client, image["id"], 0, prefer_stores)
        elif offset and warn:
            warn("image %s: the Image service (or its store) did not honour the Range request (HTTP %s instead "
                 "of 206); downloading it in full." % (image["id"], response.status_code))
        if response.status_code == 204:
            raise GlanceError("image %s has no data (GET .../file answered 204)" % image["id"], status=204)
        if response.status_code not in (200, 206):
            raise GlanceError("image %s: unexpected HTTP %s for its data" % (image["id"], response.status_code),
                              status=response.status_code)
        start = offset if resumed else 0
        fd = open_part(part, start)
        try:
            writer = PartWriter(fd, start, direct_io_capable(os.path.dirname(part) or "."))
            hasher = PartHasher(part, algorithm, written=start)
            readinto = body_reader(response)
            view = memoryview(mmap.mmap(-1, BLOCK_SIZE))  # page-aligned, as O_DIRECT wants
            try:
                while True:
                    # Up to the next multiple of BLOCK_SIZE in the file (a resume's first block is short).
                    want = BLOCK_SIZE - writer.position % BLOCK_SIZE
                    count, cut = receive_block(readinto, view[:want])
                    # Until the hasher has caught up with a resume's kept part, it reads what is appended back.
                    writer.write(view[:count], cached=not hasher.live)
                    hasher.add(view[:count])
                    if cut is not None:
                        raise cut
                    if count < want:
                        break
                digest = hasher.finish()
            except (OSError, HTTPException) as exc:
                raise GlanceError("the download of image %s was cut after %d bytes (%s); the partial file %s is kept "
                                  "and a re-run resumes it." % (image["id"], writer.position, exc, part))
            finally:
                hasher.finish(raise_error=False)
        finally:
            os.close(fd)
    finally:
        response.close()
    written = writer.position
    if size is not None and written != size:
        raise GlanceError("the download of image %s ended after %d of %d bytes; the partial file %s is kept and "
                          "a re-run resumes it." % (image["id"], written, size, part))
    return dict(digest=digest, transferred=written - start, resumed=resumed)


def download_to(client, image, path, algorithm, expected, resume=True, prefer_stores=None, warn=None):
    """Download, verify and rename into ``path``; returns dict(transferred, resumed, digest).

    A resumed download whose digest does not match is done once more in full (the part may have held
    other data); a full download that does not match fails, and its part is removed.
    """
    part = partial_path(path)
    offset = partial_size(part) if resume else 0
    size = image.get("size")
    if offset and size is not None and offset >= size:
        # A complete part (cut between the last byte and the rename): verify it as it is.
        digest = local_digest(part, algorithm)
        if digest == expected and offset == size:
            os.replace(part, path)
            return dict(transferred=0, resumed=True, digest=digest)
        offset = 0
    outcome = fetch(client, image, part, algorithm, offset, prefer_stores, warn)
    if expected and outcome["digest"] != expected and outcome["resumed"]:
        if warn:
            warn("image %s: the resumed data of %s did not match the image's %s; downloaded it again in full."
                 % (image["id"], part, algorithm))
        outcome = fetch(client, image, part, algorithm, 0, prefer_stores, warn)
    if expected and outcome["digest"] != expected:
        os.unlink(part)
        raise GlanceError("the data downloaded from image %s has %s %s, but the image records %s; nothing was "
                          "written to %s." % (image["id"], algorithm, outcome["digest"], expected, path))
    os.replace(part, path)
    return outcome
