#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_import
short_description: Import image data with Glance's interoperable import (web-download, glance-direct, copy-image, glance-download)
version_added: 0.1.0
description:
  - Fills an image with data through Glance's import workflow, so the data need not pass through
    the host that runs Ansible (O(method=web-download), O(method=glance-download), O(method=copy-image)),
    or is staged first and then imported (O(method=glance-direct)).
  - Creates the image with the metadata options when it does not exist, and applies them to an existing
    image, like M(imagecat.glance.image).
  - Discovery first. A method the cloud does not enable, a store it does not have, a remote region without
    an image endpoint or a remote image that is not active fail before anything is written, listing what
    is available.
  - Idempotent. An image that already has data is left alone (C(changed=false)); O(checksum), a local
    O(filename) or the remote image's digest is compared with it first. O(method=copy-image) copies only
    to the stores that miss the image. A run that finds an import at work on the image waits for it
    instead of starting another.
  - Failures are reported with the stores that failed (C(os_glance_failed_import)) and the message of the
    image's import task. An import that fails leaves the image C(queued), so the next run imports again.
  - An interrupted O(method=glance-direct) run (the run or Glance killed while the file is staged) leaves
    the image C(queued), which the next run stages again, or C(uploading) with part of the file staged,
    and Glance takes no more data into such an image. The next run repairs that by itself when this task
    made the image (created under O(name), without O(id)). It deletes the image, warns, and imports the
    file into a new one with the same metadata. An image given by O(id) is left alone, with an error that
    names the fix. A staging that finished is imported as it is and checked against the file.
requirements:
  - oslo.utils >= 10.0 (its image format inspector, when a local file is uploaded)
author:
  - imagecat.glance maintainers (@imagecat)
options:
  method:
    description:
      - The import method.
      - V(web-download) has Glance download O(uri).
      - V(glance-direct) stages the local O(filename), then imports it.
      - V(copy-image) copies an existing active image to more stores (O(stores) or O(all_stores)).
        Glance allows it to admins only by default.
      - V(glance-download) copies the image O(remote_image_id) of the Glance in O(remote_region) (same Keystone).
    type: str
    required: true
    choices: [glance-direct, web-download, copy-image, glance-download]
  uri:
    description:
      - URL (http or https) of the data, for O(method=web-download). The cloud's import filters must allow it.
    type: str
  filename:
    description:
      - Local file (on the host that runs the module) with the data, for O(method=glance-direct).
    type: path
  remote_region:
    description: Region of the Glance to copy from, for O(method=glance-download).
    type: str
  remote_image_id:
    description: Id of the image to copy in O(remote_region), for O(method=glance-download).
    type: str
  remote_service_interface:
    description:
      - Catalogue interface of the remote Glance, for O(method=glance-download); Glance uses V(public) when not set.
    type: str
    choices: [public, internal, admin]
  stores:
    description:
      - Stores (of a multi-store cloud) to import into. Without O(stores) and O(all_stores), Glance uses its
        default store.
    type: list
    elements: str
  all_stores:
    description: Import into every writable store of the cloud. Not together with O(stores).
    type: bool
    default: false
  all_stores_must_succeed:
    description:
      - With V(true), the import fails (and Glance rolls back every copy) when one store fails.
      - With V(false), the import succeeds when at least one store got the data; the stores that failed are
        returned in RV(import.stores_failed) and in a warning.
    type: bool
    default: true
  checksum:
    description:
      - Expected digest of the data as C(<algorithm>:<hex>), algorithm V(sha512), V(sha256) or V(md5).
      - Verified against what Glance recorded (C(os_hash_value), or C(checksum) for V(md5)) once the image is
        active; for an algorithm Glance did not record, the data is downloaded and hashed.
      - A mismatch fails the task. An image this run created is deleted; an existing image that this run
        filled is deactivated, so no active image holds the wrong data.
      - With O(filename), it is also checked against the file before anything is written.
    type: str
  checksum_url:
    description:
      - For O(method=web-download), instead of O(checksum), the checksum file that lists O(uri) (GNU style
        C(<hex>  <name>) as Ubuntu's C(SHA256SUMS), or BSD style C(SHA256 (<name>) = <hex>) as Fedora's
        C(CHECKSUM), PGP clearsigned or not); its entry is the expected checksum. It is read before any write, and
        the task fails when it answers an HTTP error or does not list the image.
    type: str
    version_added: 0.2.0
  checksum_name:
    description: The name O(checksum_url) lists the image under, when it is not the last part of O(uri)'s path.
    type: str
    version_added: 0.2.0
  wait:
    description:
      - Wait for the import to end, and verify the data. With V(false), the task returns once Glance has
        accepted the import.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the import (polled with backoff up to 2 s between requests).
    type: int
    default: 900
notes:
  - Glance imports asynchronously. While an import runs, the image's task holds an import lock; another
    import request is answered with 409, which this module treats as "wait for it".
  - Without O(checksum) or O(checksum_url), an existing image with data is taken as having the requested data for
    O(method=web-download) (Glance keeps no record of the URL's content).
  - An image in status C(uploading) without an import at work (a glance-direct run that staged the data
    and stopped) is imported when the staged size matches O(filename).
seealso:
  - module: imagecat.glance.image
  - module: imagecat.glance.service_info
extends_documentation_fragment:
  - imagecat.glance.image_metadata
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Import an image from a mirror, verified against the published digest
  imagecat.glance.image_import:
    cloud: mycloud
    name: debian-12
    method: web-download
    uri: https://mirror.example.com/debian-12-generic-amd64.qcow2
    checksum: "sha512:{{ debian_sha512 }}"
    disk_format: qcow2
    container_format: bare
    properties:
      os_distro: debian

- name: Stage a local file, then import it into two stores
  imagecat.glance.image_import:
    cloud: mycloud
    name: appliance-7
    method: glance-direct
    filename: /srv/images/appliance-7.raw
    disk_format: raw
    container_format: bare
    stores: [fast, cheap]

- name: Copy an image to every store that misses it (admin)
  imagecat.glance.image_import:
    cloud: mycloud-admin
    name: debian-12
    method: copy-image
    all_stores: true

- name: Copy an image from another region
  imagecat.glance.image_import:
    cloud: mycloud
    region_name: RegionOne
    name: debian-12
    method: glance-download
    remote_region: RegionTwo
    remote_image_id: 6a4f4b4e-50ae-4f8e-a3f0-3ad0d3c8fb0e

- name: Accept a partial multi-store import
  imagecat.glance.image_import:
    cloud: mycloud
    name: debian-12
    method: web-download
    uri: https://mirror.example.com/debian-12-generic-amd64.qcow2
    disk_format: qcow2
    container_format: bare
    stores: [fast, remote]
    all_stores_must_succeed: false
  register: imported

- name: Show the stores that failed
  ansible.builtin.debug:
    var: imported.import.stores_failed
"""

RETURN = r"""
image:
  description:
    - The image in Glance's own field shape (custom properties at the top level) after the task,
      or as it would be in check mode.
  returned: always
  type: dict
  sample:
    id: 3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00
    name: debian-12
    status: active
    disk_format: qcow2
    container_format: bare
    stores: fast,cheap
    os_hash_algo: sha512
    os_hash_value: 5b0b...
    os_glance_failed_import: ""
import:
  description: What this task asked Glance to import, and how it went.
  returned: always
  type: dict
  contains:
    method:
      description: The import method.
      type: str
      sample: web-download
    started:
      description: Whether this task started an import (false when the image already had the data).
      type: bool
    waited_for_other:
      description: Whether the task found an import at work on the image and waited for it.
      type: bool
    task_id:
      description: Id of the image's import task (from C(GET /v2/images/{id}/tasks)); null when none ran.
      type: str
    stores_requested:
      description: Stores the import targeted (O(stores), or every writable store for O(all_stores)); empty for
        Glance's default store. For O(method=copy-image), only the stores that missed the image.
      type: list
      elements: str
      sample: [fast, cheap]
    stores_succeeded:
      description: Requested stores that hold the image after the task.
      type: list
      elements: str
    stores_failed:
      description: Requested stores Glance reports as failed (C(os_glance_failed_import)).
      type: list
      elements: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils._image_options import (
    IMAGE_METADATA_ARGSPEC,
    IMAGE_METADATA_REQUIRED_ONE_OF,
)
from ansible_collections.imagecat.glance.plugins.module_utils._import_task import ImportTask
from ansible_collections.imagecat.glance.plugins.module_utils._imports import IMPORT_METHODS, SERVICE_INTERFACES


class ImageImportModule(ImportTask):
    argument_spec = dict(
        IMAGE_METADATA_ARGSPEC,
        method=dict(type="str", required=True, choices=list(IMPORT_METHODS)),
        uri=dict(type="str"),
        filename=dict(type="path"),
        remote_region=dict(type="str"),
        remote_image_id=dict(type="str"),
        remote_service_interface=dict(type="str", choices=list(SERVICE_INTERFACES)),
        checksum=dict(type="str"),
        checksum_url=dict(type="str"),
        checksum_name=dict(type="str"),
        stores=dict(type="list", elements="str"),
        all_stores=dict(type="bool", default=False),
        all_stores_must_succeed=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=900),
    )
    module_kwargs = dict(required_one_of=IMAGE_METADATA_REQUIRED_ONE_OF, mutually_exclusive=[("checksum", "checksum_url")],
                         required_by={"checksum_name": "checksum_url"})


def main():
    ImageImportModule.execute()


if __name__ == "__main__":
    main()
