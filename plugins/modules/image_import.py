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
  - Without O(checksum), an existing image with data is taken as having the requested data for
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

import os
from urllib.parse import urlsplit

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    check_file,
    file_digests,
    send_file,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_options import (
    FORMAT_FIELDS,
    IMAGE_METADATA_ARGSPEC,
    IMAGE_METADATA_REQUIRED_ONE_OF,
    ImageMetadata,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    apply_patch,
    create_body,
    managed_view,
    parse_checksum,
    predicted_new_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    delete_image,
    get_image,
    is_uuid,
    set_active,
    update_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    IMPORT_METHODS,
    SERVICE_INTERFACES,
    check_import_request,
    download_digest,
    enabled_import_methods,
    failed_stores,
    image_stores,
    import_running,
    list_stores,
    probe_uri,
    stage_data,
    start_import,
    stored_digest,
    wait_for_import,
)
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

# The options that carry the data of each method; the first ones are required.
METHOD_OPTIONS = {
    "glance-direct": (("filename",), ()),
    "web-download": (("uri",), ()),
    "copy-image": ((), ()),
    "glance-download": (("remote_region", "remote_image_id"), ("remote_service_interface",)),
}
DATA_OPTIONS = ("filename", "uri", "remote_region", "remote_image_id", "remote_service_interface")
HAS_DATA = ("active", "deactivated")


def validate_method_options(params):
    """Each method with its own options, and nothing else; refused before any request."""
    method = params["method"]
    required, optional = METHOD_OPTIONS[method]
    for option in required:
        if not params[option]:
            raise InputError("%s: method %s needs %s." % (option, method, option))
    for option in DATA_OPTIONS:
        if params[option] and option not in required + optional:
            users = [m for m, (req, opt) in METHOD_OPTIONS.items() if option in req + opt]
            raise InputError("%s: only method %s takes %s; remove it for method %s."
                             % (option, " or ".join(users), option, method))
    if params["stores"] and params["all_stores"]:
        raise InputError("stores: give either stores or all_stores: true, not both.")
    if method == "copy-image" and not (params["stores"] or params["all_stores"]):
        raise InputError("stores: method copy-image needs stores (the stores to copy to) or all_stores: true.")
    if params["uri"] and urlsplit(params["uri"]).scheme not in ("http", "https"):
        raise InputError("uri: '%s' is not an http or https URL; web-download fetches only those." % params["uri"])
    if params["remote_image_id"] and not is_uuid(params["remote_image_id"]):
        raise InputError("remote_image_id: '%s' is not a UUID." % params["remote_image_id"])
    if params["timeout"] <= 0:
        raise InputError("timeout: give a number of seconds greater than 0.")


def stores_view(image):
    view = managed_view(image)
    if image:
        view["stores"] = sorted(image_stores(image))
    return view


class ImageImportModule(GlanceModule):
    argument_spec = dict(
        IMAGE_METADATA_ARGSPEC,
        method=dict(type="str", required=True, choices=list(IMPORT_METHODS)),
        uri=dict(type="str"),
        filename=dict(type="path"),
        remote_region=dict(type="str"),
        remote_image_id=dict(type="str"),
        remote_service_interface=dict(type="str", choices=list(SERVICE_INTERFACES)),
        checksum=dict(type="str"),
        stores=dict(type="list", elements="str"),
        all_stores=dict(type="bool", default=False),
        all_stores_must_succeed=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=900),
    )
    module_kwargs = dict(required_one_of=IMAGE_METADATA_REQUIRED_ONE_OF)

    def run(self):
        p = self.params
        validate_method_options(p)
        self.meta = ImageMetadata(p)
        self.checksum = parse_checksum(p["checksum"])
        if p["filename"]:
            check_file(p["filename"])
            if self.checksum:
                self.check_file_checksum()
        self.report = dict(method=p["method"], started=False, waited_for_other=False, task_id=None,
                           stores_requested=[], stores_succeeded=[], stores_failed=[])

        # Discovery, before any write.
        self.meta.resolve_owner(self.connection)
        stores = list_stores(self.client)
        targets = check_import_request(p["method"], enabled_import_methods(self.client), stores, p["stores"],
                                       p["all_stores"], p["all_stores_must_succeed"])
        self.targets = targets if (p["stores"] or p["all_stores"]) else []
        self.remote = self.find_remote_image() if p["method"] == "glance-download" else None

        current = self.meta.find_current(self.client, self.connection)
        if current is not None and import_running(current):
            current = self.wait_for_running(current)
        if current is None:
            return self.create()
        return self.update(current)

    # ---- checks ------------------------------------------------------------------------------------
    def check_file_checksum(self):
        algo, expected = self.checksum
        actual = file_digests(self.params["filename"], [algo])[algo]
        if actual != expected:
            raise InputError("checksum: %s of %s is %s, not the expected %s; nothing was changed."
                             % (algo, self.params["filename"], actual, expected))

    def find_remote_image(self):
        """The active image to copy from, found through the catalogue before anything is written."""
        p = self.params
        interface = p["remote_service_interface"] or "public"
        endpoints = self.connection.image_endpoints(interface)
        if not endpoints:
            raise InputError("method: glance-download needs a Keystone catalogue listing the image service of "
                             "remote_region; this connection has none (%s interface)." % interface)
        url = {str(region).lower(): url for region, url in endpoints.items()}.get(p["remote_region"].lower())
        if url is None:
            raise InputError("remote_region: the catalogue has no %s image endpoint in region '%s'; regions with "
                             "one: %s." % (interface, p["remote_region"], ", ".join(sorted(map(str, endpoints)))))
        remote = get_image(self.connection.client_for(url), p["remote_image_id"])
        if remote is None:
            raise InputError("remote_image_id: no image %s is visible to this project in region %s."
                             % (p["remote_image_id"], p["remote_region"]))
        if remote.get("status") != "active":
            raise InputError("remote_image_id: image %s in region %s is %s; glance-download needs an active image."
                             % (remote["id"], p["remote_region"], remote.get("status")))
        return remote

    def wait_for_running(self, current):
        """Another run's import is at work: wait for it rather than start another."""
        if not self.params["wait"]:
            raise InputError("image %s: an import is at work on it (task %s); run again later or set wait: true."
                             % (current["id"], current.get("os_glance_import_task")))
        self.report.update(waited_for_other=True, task_id=current.get("os_glance_import_task"))
        return wait_for_import(self.client, current["id"], self.params["timeout"], stores=self.targets or None)

    # ---- new image -----------------------------------------------------------------------------------
    def create(self):
        p = self.params
        if p["method"] == "copy-image":
            raise InputError("method: copy-image copies an existing active image, and no image %s exists; "
                             "import it with another method first." % (p["id"] or "named '%s'" % p["name"]))
        fields = self.meta.desired(self.client, None)
        for field in FORMAT_FIELDS:
            if not fields.get(field):
                if self.remote and self.remote.get(field):
                    # glance-download takes the formats from the remote image anyway.
                    fields[field] = self.remote[field]
                else:
                    raise InputError("%s is needed to import into a new image." % field)
        body = create_body(self.meta.new_image_id(self.connection) if self.check_mode else None, p["name"], fields,
                           self.meta.properties, self.meta.tags)
        if self.check_mode:
            image = self.predict(predicted_new_image(body, has_data=False))
            return self.finish(True, {}, image)
        image, made_here = self.meta.new_image(self.client, self.connection, body)
        if not made_here:
            # Another run of this task created the image at the same moment: treat it as existing.
            return self.update(image)
        image = self.import_data(image, created=True)
        return self.finish(True, {}, image)

    # ---- existing image ------------------------------------------------------------------------------
    def update(self, current):
        p = self.params
        fields = self.meta.desired(self.client, current)
        status = current.get("status")
        fixed = [f for f in FORMAT_FIELDS if f in fields and current.get(f) != fields[f] and status != "queued"]
        if fixed:
            raise InputError("%s: image %s is %s, and Glance changes formats only of images without data. "
                             "Use a new name for data in another format." % ("/".join(fixed), current["id"], status))
        ops = self.meta.patch(current, fields)
        needs_import = self.needs_import(current)
        changed = bool(ops or needs_import)
        if self.check_mode or not changed:
            image = apply_patch(current, ops)
            if needs_import:
                image = self.predict(image)
            elif not self.report["waited_for_other"]:
                self.report_stores(image)
            return self.finish(changed, current, image)
        image = update_image(self.client, current["id"], ops) if ops else current
        if needs_import:
            image = self.import_data(image, created=False)
        return self.finish(True, current, image)

    def needs_import(self, current):
        """Whether data must be imported; refuses what the image's state does not allow."""
        p = self.params
        status = current.get("status")
        if p["method"] == "copy-image":
            if status != "active":
                raise InputError("method: copy-image needs an active image; image %s is %s." % (current["id"], status))
            have = image_stores(current)
            self.targets = [store for store in self.targets if store not in have]
            return bool(self.targets)
        if status in HAS_DATA:
            self.check_existing_data(current)
            return False
        if status == "queued":
            return True
        if status == "uploading" and p["method"] == "glance-direct":
            # A run that staged the data and stopped; its data is imported when the size matches.
            size = os.path.getsize(p["filename"])
            if current.get("size") == size:
                return True
            raise InputError("image %s holds %s staged bytes, not the %d bytes of %s; delete the image "
                             "(imagecat.glance.image with state: absent) and run again."
                             % (current["id"], current.get("size"), size, p["filename"]))
        raise InputError("image %s is %s with no import at work on it, so %s cannot fill it; delete the image "
                         "(imagecat.glance.image with state: absent) and run again."
                         % (current["id"], status, p["method"]))

    def check_existing_data(self, image):
        """An image with data: its data must be what the task asks for (Glance cannot replace data)."""
        p = self.params
        if self.targets:
            missing = [store for store in self.targets if store not in image_stores(image)]
            if missing:
                message = ("image %s has its data in %s but not in %s; copy it there with method: copy-image."
                           % (image["id"], ", ".join(image_stores(image)) or "no store", ", ".join(missing)))
                if p["all_stores_must_succeed"]:
                    raise InputError("stores: " + message)
                self.warn(message)
        expected = None
        if p["method"] == "glance-direct":
            algo = image.get("os_hash_algo") or "sha512"
            expected = (algo, file_digests(p["filename"], [algo])[algo], "the file %s" % p["filename"])
        elif p["method"] == "glance-download" and self.remote.get("os_hash_algo") == image.get("os_hash_algo"):
            expected = (image.get("os_hash_algo"), self.remote.get("os_hash_value"),
                        "remote image %s" % self.remote["id"])
        if expected and expected[1] and image.get("os_hash_value") != expected[1]:
            raise InputError("image %s already has other data (%s %s) than %s (%s); Glance cannot replace the data "
                             "of an image. Delete the image or use another name."
                             % (image["id"], expected[0], image.get("os_hash_value"), expected[2], expected[1]))
        if self.checksum:
            self.verify_checksum(image, cleanup=None)

    # ---- importing --------------------------------------------------------------------------------
    def import_data(self, image, created):
        p = self.params
        sent = None
        try:
            if p["method"] == "glance-direct" and image.get("status") == "queued":
                sent = self.stage(image)
            self.report["started"] = True
            self.report["stores_requested"] = list(self.targets)
            self.report["task_id"] = start_import(
                self.client, image["id"], p["method"], uri=p["uri"], stores=self.targets or None,
                all_stores=p["all_stores"], all_stores_must_succeed=p["all_stores_must_succeed"],
                remote_region=p["remote_region"], remote_image_id=p["remote_image_id"],
                remote_service_interface=p["remote_service_interface"])
            if not p["wait"]:
                return get_image(self.client, image["id"]) or image
            image = wait_for_import(self.client, image["id"], p["timeout"], stores=self.targets or None)
        except GlanceError as error:
            if error.status is not None:
                # Glance refused the request: nothing was imported.
                if error.status == 403 and p["method"] == "copy-image":
                    error.message += " (Glance allows copy-image to admins only by default.)"
                raise
            after = get_image(self.client, image["id"]) or {}
            seen = ""
            if p["method"] == "web-download":
                answer = probe_uri(p["uri"])
                if not answer.startswith("HTTP 2"):
                    seen = " From the host that runs this task, %s answers %s." % (p["uri"], answer)
            raise GlanceError("%s%s Image %s is %s; the next run of this task imports again."
                              % (error.message, seen, image["id"], after.get("status", "gone")))
        self.report_stores(image)
        if sent and image.get("os_hash_algo") in sent and sent[image["os_hash_algo"]] != image.get("os_hash_value"):
            self.discard(image, created)
            raise GlanceError("Glance stored %s %s for image %s, but %s was staged; the data was corrupted on the way."
                              % (image["os_hash_algo"], image.get("os_hash_value"), image["id"],
                                 sent[image["os_hash_algo"]]))
        if self.checksum:
            self.verify_checksum(image, cleanup=created)
        return image

    def stage(self, image):
        p = self.params
        algorithms = sorted({"sha512", image.get("os_hash_algo") or "sha512"})
        return send_file(p["filename"], algorithms, lambda reader: stage_data(self.client, image["id"], reader))

    def verify_checksum(self, image, cleanup):
        """O(checksum) against the image's data; ``cleanup``: None (data not from this run), or
        whether this run created the image (delete it) or only filled it (deactivate it)."""
        algo, expected = self.checksum
        actual = stored_digest(image, algo) or download_digest(self.client, image["id"], algo)
        if actual == expected:
            return
        done = "nothing was changed"
        if cleanup is not None:
            done = self.discard(image, cleanup)
        raise GlanceError("checksum: the data of image %s has %s %s, not the expected %s; %s."
                          % (image["id"], algo, actual, expected, done))

    def discard(self, image, created):
        """Leave no active image with wrong data: delete what this run created, deactivate the rest."""
        if created:
            if image.get("protected"):
                update_image(self.client, image["id"], [{"op": "replace", "path": "/protected", "value": False}])
            delete_image(self.client, image["id"])
            return "the image, which this run created, was deleted"
        set_active(self.client, image["id"], False)
        return "the image existed before this run, so it was deactivated instead of deleted"

    # ---- results ------------------------------------------------------------------------------------
    def report_stores(self, image):
        have, failed = image_stores(image), failed_stores(image)
        self.report["stores_succeeded"] = [store for store in self.targets if store in have]
        self.report["stores_failed"] = [store for store in self.targets if store in failed]
        if self.report["started"] and self.report["stores_failed"]:
            self.warn("image %s: the import into %s failed; it is in %s."
                      % (image["id"], ", ".join(self.report["stores_failed"]), ", ".join(have) or "no store"))

    def predict(self, image):
        """Check mode: the image as the import would leave it."""
        image = dict(image)
        self.report.update(started=True, stores_requested=list(self.targets), stores_succeeded=list(self.targets))
        image["status"] = "active"
        if self.targets:
            image["stores"] = ",".join(sorted(set(image_stores(image)) | set(self.targets)))
        if self.checksum and self.checksum[0] == "sha512":
            image.update(os_hash_algo="sha512", os_hash_value=self.checksum[1])
        return image

    def finish(self, changed, before, image):
        return self.result(changed=changed, image=image, before=stores_view(before), after=stores_view(image),
                           **{"import": self.report})


def main():
    ImageImportModule.execute()


if __name__ == "__main__":
    main()
