#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_download
short_description: Download the data of an image of the OpenStack Image service (Glance) to a file
version_added: 0.2.0
description:
  - Streams the image's data (C(GET /v2/images/{id}/file)) into a partial file next to O(dest),
    C(.<name>.part), and renames it to O(dest) only once the data matches the digest Glance recorded,
    C(os_hash_value) with C(os_hash_algo) (sha512 by default), or the MD5 C(checksum) on images without
    one. O(dest) never holds half an image or data that failed the check.
  - Does nothing (C(changed=false)) when O(dest) already holds data with that digest; the digest of an
    unchanged file comes from the digest cache (O(hash_cache)), so a re-run does not read it again.
  - A download that is cut leaves the partial file; the next run (with O(resume=true)) asks only for
    the missing bytes with a C(Range) request and accepts them only from an HTTP 206 answer whose
    C(Content-Range) is the range asked for. Where Glance or its store does not honour ranges, the
    module downloads in full and says so in a warning. Resumed data that fails the digest check is
    downloaded once more in full.
  - O(mode), O(owner) and O(group) follow Ansible's file conventions (as in C(ansible.builtin.file)),
    also on a re-run that downloads nothing.
  - An image without data, a deactivated image (Glance serves its data to admins only) or a download
    the cloud's policy refuses gets a clear error; so does a destination directory that is missing or
    not writable, before anything is written.
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of the image (by name it must be the only visible image of that name).
    type: str
    required: true
  dest:
    description:
      - Path of the file to write. Its directory must exist and be writable.
      - The partial file C(.<name>.part) lives in the same directory until the data is verified.
    type: path
    required: true
  resume:
    description:
      - Continue a partial file left by a cut download instead of starting again.
      - V(false) discards it and downloads in full.
    type: bool
    default: true
  prefer_stores:
    description:
      - Stores to read the data from first (Glance's C(prefer) parameter, Image API of 2026.1 and
        later, multi-store clouds only). Other locations are tried after them.
    type: list
    elements: str
  mode:
    description:
      - Permissions of O(dest), as for C(ansible.builtin.file) (octal such as V('0644') or symbolic
        such as V(u=rw,g=r)). Unset, a new file gets the default permissions of the user's umask.
    type: raw
  owner:
    description: Name or id of the user that should own O(dest).
    type: str
  group:
    description: Name or id of the group that should own O(dest).
    type: str
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.hash_cache
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
notes:
  - On Linux, where O(dest) is on a file system on a block device (ext4, XFS), the data goes to disk
    in blocks of 1 MiB with direct I/O (C(O_DIRECT)), past the page cache, so a large image does not
    push other files out of memory and costs little CPU beyond its digest. On other file systems
    (NFS, tmpfs, overlayfs, btrfs, ZFS) and systems it goes through the page cache, as does a resumed
    part that the digest check is about to read back.
  - The data is not synced to disk (C(fsync)) before the rename, like C(curl -o) and
    C(ansible.builtin.get_url).
  - Two runs downloading to the same O(dest) at the same time share the partial file; do not do that.
"""

EXAMPLES = r"""
- name: Download an image
  imagecat.glance.image_download:
    cloud: mycloud
    image: ubuntu-24.04
    dest: /srv/images/ubuntu-24.04.qcow2
    mode: "0640"
    group: kvm

- name: Download afresh, without resuming a partial file
  imagecat.glance.image_download:
    cloud: mycloud
    image: 2e4f6a1c-8b3d-4c5e-9f70-1a2b3c4d5e6f
    dest: /srv/images/cirros.img
    resume: false
"""

RETURN = r"""
image_id:
  description: Id of the image.
  returned: always
  type: str
download:
  description: What the task did, or would do in check mode.
  returned: always
  type: dict
  contains:
    path:
      description: Absolute path of the destination file.
      type: str
      sample: /srv/images/ubuntu-24.04.qcow2
    size:
      description: Size of the image's data in bytes.
      type: int
      sample: 612368384
    algorithm:
      description: Algorithm of the digest the data was checked with (V(md5) when only C(checksum) is recorded).
      type: str
      sample: sha512
    digest:
      description: The digest Glance records for the data, which O(dest) now holds.
      type: str
    transferred:
      description: Bytes received from the Image service (0 when nothing was downloaded).
      type: int
    resumed:
      description: Whether a partial file was continued.
      type: bool
    partial_file:
      description: Path of the partial file used while downloading.
      type: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils._download import (
    check_destination,
    check_downloadable,
    download_to,
    expected_digest,
    local_digest,
    partial_path,
    partial_size,
    refused_message,
    remember_digest,
)
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    HASH_CACHE_ARGSPEC,
    DigestCache,
    hash_cache_path,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import find_one_image
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

# With no digest recorded, the data is compared (not verified) with this algorithm.
FALLBACK_ALGORITHM = "sha512"


class ImageDownloadModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str", required=True),
        dest=dict(type="path", required=True),
        resume=dict(type="bool", default=True),
        prefer_stores=dict(type="list", elements="str"),
        mode=dict(type="raw"),
        owner=dict(type="str"),
        group=dict(type="str"),
        hash_cache=HASH_CACHE_ARGSPEC,
    )

    def run(self):
        p = self.params
        path = check_destination(p["dest"])
        cache = DigestCache(hash_cache_path(p["hash_cache"]))
        image = find_one_image(self.client, p["image"])
        check_downloadable(image)
        algorithm, expected = expected_digest(image)
        if expected is None:
            self.warn("image %s records no digest (os_hash_value or checksum): the downloaded data cannot be "
                      "verified." % image["id"])
            algorithm = FALLBACK_ALGORITHM
        current = local_digest(path, algorithm, cache)
        part = partial_path(path)
        size = image.get("size")
        report = dict(path=path, size=size, algorithm=algorithm, digest=expected, transferred=0, resumed=False,
                      partial_file=part)
        existed = current is not None
        before = dict(path=path, digest=current, state="file" if existed else "absent")
        need = expected is None or current != expected
        if need and self.check_mode:
            offset = partial_size(part) if p["resume"] else 0
            resumable = bool(offset) and size is not None and offset <= size
            report.update(resumed=resumable, transferred=(size or 0) - (offset if resumable else 0))
        elif need:
            try:
                outcome = download_to(self.client, image, path, algorithm, expected, resume=p["resume"],
                                      prefer_stores=p["prefer_stores"], warn=self.warn)
            except GlanceError as error:
                if error.status == 403:
                    error.message = refused_message(image, error)
                raise
            need = expected is not None or outcome["digest"] != current
            report.update(transferred=outcome["transferred"], resumed=outcome["resumed"], digest=outcome["digest"])
            remember_digest(path, algorithm, outcome["digest"], cache)
        after = dict(path=path, digest=report["digest"], state="file")
        attribute_diff = {}
        changed = self.set_file_attributes(path, p["mode"], p["owner"], p["group"], changed=need,
                                           diff=attribute_diff)
        if existed:
            # (Attributes of a file made by this task are not a "before".)
            before.update(attribute_diff.get("before") or {})
        after.update(attribute_diff.get("after") or {})
        return self.result(changed=changed, image_id=image["id"], download=report, before=before, after=after)


def main():
    ImageDownloadModule.execute()


if __name__ == "__main__":
    main()
