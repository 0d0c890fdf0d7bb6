#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Create, update, upload, deactivate and delete images in the OpenStack Image service (Glance)
version_added: 0.1.0
description:
  - Keeps one image in the state the task declares, and changes only what differs, in one request
    per kind of change (one JSON patch for all metadata).
  - Content aware. With O(filename), the file's digest is compared with the image's C(os_hash_value),
    so a changed file is never ignored; O(on_content_change) says what to do about it.
  - Uploads stream the file once, hashing it on the way, and are verified against what Glance stored.
  - Idempotent. A second run with the same options reports C(changed=false) and sends no write request.
    Property values are compared as the strings Glance stores (V(3), V("3") are the same).
  - Options that are not set are never changed.
requirements:
  - oslo.utils >= 10.0 (its image format inspector, when a local file is uploaded)
author:
  - imagecat.glance maintainers (@imagecat)
options:
  state:
    description:
      - V(present) creates or updates the image, and reactivates a deactivated image.
      - V(deactivated) does the same, then deactivates the image (it must have data).
      - V(absent) deletes the image. A protected image is deleted only with O(protected=false) in the same task.
    type: str
    choices: [present, absent, deactivated]
    default: present
  filename:
    description:
      - Local file (on the host that runs the module) with the image data.
      - A new image gets it uploaded. For an existing image, its digest is compared with the image's data.
      - A file compressed with xz, gzip, bzip2 or zstd (told by its first bytes, not its name) is decompressed on
        the way, in one pass; its decompressed data's digest is what is compared with the image's (cached by
        O(hash_cache)). Other compressions and archives (lz4, lzip, 7z, zip, lzop) are refused before any write.
        zstd needs the Python library C(zstandard). (Since 0.2.0.)
    type: path
  url:
    description:
      - http or https URL of the image data, downloaded by the host that runs the module and uploaded in the same
        streaming pass (decompressed on the way when it is compressed, like O(filename)), with constant memory.
        For Glance downloading the data itself, see M(imagecat.glance.image_import) (V(web-download)).
      - Needs O(checksum) or O(checksum_url). The downloaded bytes must have that checksum, or the upload is
        aborted before its end and no image keeps the data; what Glance stored is compared with the digest of the
        bytes sent.
      - The image records the URL and the checksum in the properties C(imagecat_source_url) and
        C(imagecat_source_checksum); a re-run compares those with the task and downloads nothing. A different
        checksum (a new build at the same URL, as C(current/) directories publish) is a content change, see
        O(on_content_change).
      - Before any write, the first bytes are fetched once (HTTP 404, a redirect to another scheme than http(s)
        or an unknown compression fail the task).
    type: str
    version_added: 0.2.0
  checksum:
    description:
      - Expected digest of the data as C(<algorithm>:<hex>), algorithm V(sha512), V(sha256) or V(md5).
      - Checked against O(filename) before anything is uploaded, and against what Glance stored afterwards.
      - With O(url), or a compressed O(filename), it is the digest of the bytes as downloaded or as the file is
        (what distributions publish), checked on the way; Glance's digest is compared with the bytes sent.
    type: str
  checksum_url:
    description:
      - With O(url), the checksum file that lists it (GNU style C(<hex>  <name>) as Ubuntu's C(SHA256SUMS), or BSD
        style C(SHA256 (<name>) = <hex>) as Fedora's C(CHECKSUM), PGP clearsigned or not), read on every run
        (a small request; the image data is not downloaded on a re-run).
      - Fails before any write when it answers an HTTP error or does not list the image.
    type: str
    version_added: 0.2.0
  checksum_name:
    description:
      - The name O(checksum_url) lists the image under, when it is not the last part of O(url)'s path.
    type: str
    version_added: 0.2.0
  store:
    description: Store (of a multi-store cloud) to upload the data to; the cloud's default store otherwise.
    type: str
  on_content_change:
    description:
      - What to do when O(filename) differs from the data of the existing image (Glance cannot replace data).
      - V(fail) stops with the two digests and changes nothing.
      - V(replace) creates a new image with the same metadata (and the options of this task), uploads and
        verifies the file, then deletes the old image. A protected old image is refused.
      - V(keep) keeps the old data, warns, and still applies the metadata options.
    type: str
    choices: [fail, replace, keep]
    default: fail
  wait:
    description: Wait for the image to become active after an upload (and verify its digest).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the image.
    type: int
    default: 900
notes:
  - O(disk_format) and O(container_format) of an image with data change only through
    O(on_content_change=replace) with O(filename), which makes a new image.
  - The image's members are not copied by O(on_content_change=replace).
  - Everything is checked before the first write, the file's header against O(disk_format) included (with
    oslo.utils' format inspector, the one Glance runs on uploads), and an empty file is refused.
  - Creates are safe to retry and to run twice at the same moment. Without O(id), a new image's id is
    derived from its project and name (skipping ids of deleted images, which Glance never reuses), so two
    runs of the same task that create it at once send the same id and make one image; the second run
    carries on with that image (and an upload it meets waits for the other one and checks the data).
  - An image under such an id is adopted only when this project owns it and it has the task's name. When
    another project holds the id (a squatter), the task warns, naming that project, leaves that image alone,
    and creates its own under a random id; two runs that both meet the squatter then keep the image created
    first, and the other run deletes its own.
  - What a run does when it fails half-way. A failed or interrupted upload into a new image deletes that
    image (if the delete fails too, a warning names the image, and the next run removes or refills it).
    O(on_content_change=replace) stages the new image first, hidden, under the name
    C(<name> (imagecat staging <digest>)) with the property C(imagecat_staged_for); only once its data is
    active and verified is the old image deleted and the new one renamed to the plain name. An interruption
    at any point leaves the old image, or the new verified one, under the name, never two; the next run
    adopts the staged image (its id comes from the project, the name and the data's digest, so concurrent
    replace runs also make one image).
extends_documentation_fragment:
  - imagecat.glance.hash_cache
  - imagecat.glance.image_metadata
  - imagecat.glance.property_validation
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Upload an image with properties and tags
  imagecat.glance.image:
    cloud: mycloud
    name: ubuntu-24.04
    filename: /srv/images/noble-server-cloudimg-amd64.img
    disk_format: qcow2
    container_format: bare
    checksum: "sha256:{{ noble_sha256 }}"
    min_disk: 10
    properties:
      os_distro: ubuntu
      os_version: "24.04"
      hw_qemu_guest_agent: true
    tags: [lts]

- name: Download, decompress and upload a bzip2-compressed build in one pass, verified by the checksum file
  imagecat.glance.image:
    cloud: mycloud
    name: flatcar-stable
    url: https://mirror.example.com/flatcar/current/flatcar_production_openstack_image.img.bz2
    checksum_url: https://mirror.example.com/flatcar/current/SHA256SUMS
    disk_format: qcow2
    container_format: bare
    on_content_change: replace

- name: Publish a new build of the file under the same name (new image, old one deleted)
  imagecat.glance.image:
    cloud: mycloud
    name: ubuntu-24.04
    filename: /srv/images/noble-server-cloudimg-amd64.img
    disk_format: qcow2
    container_format: bare
    on_content_change: replace

- name: Exactly these properties, nothing else
  imagecat.glance.image:
    cloud: mycloud
    name: ubuntu-24.04
    properties:
      os_distro: ubuntu
    purge_properties: true

- name: Rename by id
  imagecat.glance.image:
    cloud: mycloud
    id: 3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00
    name: ubuntu-24.04-old

- name: Take an image out of service without deleting it
  imagecat.glance.image:
    cloud: mycloud
    name: ubuntu-22.04
    state: deactivated

- name: Delete an image, unprotecting it first
  imagecat.glance.image:
    cloud: mycloud
    name: ubuntu-20.04
    protected: false
    state: absent
"""

RETURN = r"""
image:
  description:
    - The image in Glance's own field shape (custom properties at the top level), as it is after the
      task, or as it would be in check mode. V(null) after O(state=absent).
  returned: always
  type: dict
  sample:
    id: 3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00
    name: ubuntu-24.04
    status: active
    disk_format: qcow2
    container_format: bare
    visibility: shared
    protected: false
    os_hidden: false
    min_disk: 10
    min_ram: 0
    size: 614465536
    os_hash_algo: sha512
    os_hash_value: 5b0b...
    tags: [lts]
    os_distro: ubuntu
"""

from ansible_collections.imagecat.glance.plugins.module_utils._image_data import HASH_CACHE_ARGSPEC
from ansible_collections.imagecat.glance.plugins.module_utils._image_options import (
    IMAGE_METADATA_ARGSPEC,
    IMAGE_METADATA_REQUIRED_ONE_OF,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_task import ImageTask
from ansible_collections.imagecat.glance.plugins.module_utils._metadefs import VALIDATE_PROPERTIES_ARGSPEC


class ImageModule(ImageTask):
    argument_spec = dict(
        IMAGE_METADATA_ARGSPEC,
        **VALIDATE_PROPERTIES_ARGSPEC,
        state=dict(type="str", default="present", choices=["present", "absent", "deactivated"]),
        filename=dict(type="path"),
        url=dict(type="str"),
        checksum=dict(type="str"),
        checksum_url=dict(type="str"),
        checksum_name=dict(type="str"),
        store=dict(type="str"),
        on_content_change=dict(type="str", default="fail", choices=["fail", "replace", "keep"]),
        hash_cache=HASH_CACHE_ARGSPEC,
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=900),
    )
    module_kwargs = dict(required_one_of=IMAGE_METADATA_REQUIRED_ONE_OF,
                         mutually_exclusive=[("filename", "url"), ("checksum", "checksum_url")],
                         required_by={"checksum_url": "url", "checksum_name": "checksum_url"})


def main():
    ImageModule.execute()


if __name__ == "__main__":
    main()
