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
    type: path
  checksum:
    description:
      - Expected digest of the data as C(<algorithm>:<hex>), algorithm V(sha512), V(sha256) or V(md5).
      - Checked against O(filename) before anything is uploaded, and against what Glance stored afterwards.
    type: str
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
  - Creates are safe to retry and to run twice at the same moment. Without O(id), a new image's id is
    derived from its project and name (skipping ids of deleted images, which Glance never reuses), so two
    runs of the same task that create it at once send the same id and make one image; the second run
    carries on with that image (and an upload it meets waits for the other one and checks the data).
    Another tool creating the same name at the same moment can still make a second image; the next run
    then fails, listing both ids.
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

import time
import uuid

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    HASH_CACHE_ARGSPEC,
    DigestCache,
    check_file,
    file_digests,
    hash_cache_path,
    send_file,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_options import (
    IMAGE_METADATA_ARGSPEC,
    IMAGE_METADATA_REQUIRED_ONE_OF,
    ImageMetadata,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    apply_patch,
    create_body,
    custom_properties,
    desired_tags,
    managed_view,
    parse_checksum,
    predicted_new_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    create_image,
    delete_image,
    get_image,
    set_active,
    update_image,
    upload_data,
    wait_for_image,
    wait_for_upload,
)
from ansible_collections.imagecat.glance.plugins.module_utils._metadefs import (
    VALIDATE_PROPERTIES_ARGSPEC,
    check_image_properties,
)
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

DEFAULT_HASH = "sha512"
# Statuses that end by themselves: another upload or import is at work.
TRANSITIONAL = ("saving", "uploading", "importing")
# How long a failed new image is retried to be deleted (Glance may be restarting).
DISCARD_SECONDS = 30
# Metadata a replacement image takes over from the image it replaces.
CARRIED_FIELDS = ("disk_format", "container_format", "visibility", "os_hidden", "min_disk", "min_ram")


class ImageModule(GlanceModule):
    argument_spec = dict(
        IMAGE_METADATA_ARGSPEC,
        **VALIDATE_PROPERTIES_ARGSPEC,
        state=dict(type="str", default="present", choices=["present", "absent", "deactivated"]),
        filename=dict(type="path"),
        checksum=dict(type="str"),
        store=dict(type="str"),
        on_content_change=dict(type="str", default="fail", choices=["fail", "replace", "keep"]),
        hash_cache=HASH_CACHE_ARGSPEC,
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=900),
    )
    module_kwargs = dict(required_one_of=IMAGE_METADATA_REQUIRED_ONE_OF)

    def run(self):
        p = self.params
        # Everything that can be checked without the cloud, before any request.
        self.meta = ImageMetadata(p)
        self.properties, self.tags = self.meta.properties, self.meta.tags
        self.checksum = parse_checksum(p["checksum"])
        if p["filename"]:
            check_file(p["filename"])
        self.cache = DigestCache(hash_cache_path(p["hash_cache"]))
        self.local = None
        self.meta.resolve_owner(self.connection)

        current = self.find_current()
        if p["state"] != "absent":
            check_image_properties(self.client, self.properties, current, p["validate_properties"], self.warn)
        if p["state"] == "absent":
            return self.ensure_absent(current)
        return self.ensure_present(current)

    # ---- look-ups ------------------------------------------------------------------------
    def find_current(self):
        return self.meta.find_current(self.client, self.connection)

    def desired(self, current):
        """Glance fields this task manages (owner, kernel and ramdisk resolved)."""
        return self.meta.desired(self.client, current)

    # ---- absent ----------------------------------------------------------------------------
    def ensure_absent(self, current):
        if current is None:
            return self.result(changed=False, image=None, before={}, after={})
        if current.get("protected") and self.params["protected"] is not False:
            raise InputError("image %s (%s) is protected; set protected: false in this task to unprotect "
                             "and delete it." % (current["id"], current.get("name")))
        if not self.check_mode:
            if current.get("protected"):
                update_image(self.client, current["id"], [{"op": "replace", "path": "/protected", "value": False}])
            delete_image(self.client, current["id"])
        return self.result(changed=True, image=None, before=managed_view(current), after={})

    # ---- present / deactivated -----------------------------------------------------------------
    def ensure_present(self, current):
        p = self.params
        if current is not None and current.get("status") in TRANSITIONAL:
            current = self.settle(current)
        if current is not None:
            current = self.drop_failed_upload(current)
        fields = self.desired(current)
        if current is None:
            return self.create(fields)

        content = self.content_change(current)
        formats_change = [f for f in ("disk_format", "container_format")
                          if f in fields and current.get(f) != fields[f] and current.get("status") != "queued"]
        if content == "differs" or formats_change:
            decision = p["on_content_change"]
            if decision == "replace" and p["filename"]:
                return self.replace(current, fields)
            if formats_change:
                raise InputError("%s: image %s already has data, and Glance does not change the format of "
                                 "an image with data. Give filename with on_content_change: replace to make a "
                                 "new image in the new format." % ("/".join(formats_change), current["id"]))
            if decision == "fail":
                raise InputError("filename: %s differs from the data of image %s (%s %s here, %s in Glance). "
                                 "Set on_content_change: replace to replace the image, or keep to leave its data."
                                 % (p["filename"], current["id"], self.local_algo(current), self.local[1],
                                    current.get("os_hash_value")))
            self.warn("filename: %s differs from the data of image %s; kept the image's data "
                      "(on_content_change: keep)." % (p["filename"], current["id"]))

        ops = self.meta.patch(current, fields)
        upload = content == "missing"
        status_change = self.status_change(current, will_have_data=upload or current.get("status") != "queued")
        changed = bool(ops or upload or status_change)
        if self.check_mode or not changed:
            image = apply_patch(current, ops)
            if upload:
                image.update(status="active", os_hash_algo=DEFAULT_HASH, os_hash_value=self.local_digest(DEFAULT_HASH))
            if status_change:
                image["status"] = "deactivated" if status_change == "deactivate" else "active"
            return self.result(changed=changed, image=image, before=managed_view(current), after=managed_view(image))

        image = update_image(self.client, current["id"], ops) if ops else current
        if upload:
            image = self.upload(image, delete_on_failure=False)
        if status_change:
            set_active(self.client, image["id"], status_change == "reactivate")
            image = get_image(self.client, image["id"])
        return self.result(changed=True, image=image, before=managed_view(current), after=managed_view(image))

    def settle(self, current):
        """Wait for an upload or import that is at work on the image; a left-over empty image goes."""
        if not self.params["wait"]:
            raise InputError("image %s is %s (an upload or import is at work); run again later or set wait: true."
                             % (current["id"], current["status"]))
        return wait_for_image(self.client, current["id"], lambda i: i.get("status") not in TRANSITIONAL,
                              self.params["timeout"])

    def drop_failed_upload(self, image):
        """A queued image that kept traces of a failed upload cannot take data again (Glance answers
        500 "Duplicate"): delete it, so that this run creates the image afresh."""
        if image.get("status") == "queued" and (image.get("checksum") or image.get("size")) and self.params["filename"]:
            if not self.check_mode:
                delete_image(self.client, image["id"])
            return None
        return image

    def status_change(self, current, will_have_data):
        status = current.get("status")
        if self.params["state"] == "deactivated" and status != "deactivated":
            if not will_have_data:
                raise InputError("state: image %s has no data, and Glance deactivates only images with data; "
                                 "give filename." % current["id"])
            return "deactivate"
        if self.params["state"] == "present" and status == "deactivated":
            return "reactivate"
        return None

    # ---- content ---------------------------------------------------------------------------------
    def local_algo(self, image):
        return (image or {}).get("os_hash_algo") or DEFAULT_HASH

    def local_digest(self, algorithm):
        """Digest of filename (cached), remembered as self.local = (algorithm, hex)."""
        digest = file_digests(self.params["filename"], [algorithm], self.cache)[algorithm]
        self.local = (algorithm, digest)
        return digest

    def check_expected_checksum(self):
        """The checksum option against the local file, before anything is written."""
        if self.checksum and self.params["filename"]:
            algo, expected = self.checksum
            actual = file_digests(self.params["filename"], [algo], self.cache)[algo]
            if actual != expected:
                raise InputError("checksum: %s of %s is %s, not the expected %s; nothing was changed."
                                 % (algo, self.params["filename"], actual, expected))

    def content_change(self, current):
        """'missing' (no data yet), 'differs', 'same', or None (no filename given)."""
        if not self.params["filename"]:
            self.verify_against(current, require_data=False)
            return None
        self.check_expected_checksum()
        if current.get("status") in ("queued",) or not current.get("os_hash_value"):
            return "missing"
        same = self.local_digest(self.local_algo(current)) == current.get("os_hash_value")
        return "same" if same else "differs"

    def verify_against(self, image, require_data=True, uploaded=None):
        """The checksum option (and the digest of what was sent) against what Glance stored."""
        stored_algo, stored = image.get("os_hash_algo"), image.get("os_hash_value")
        if uploaded and stored_algo in uploaded and uploaded[stored_algo] != stored:
            raise GlanceError("Glance stored %s %s for image %s, but %s was sent; the upload was corrupted."
                              % (stored_algo, stored, image["id"], uploaded[stored_algo]))
        if not self.checksum or (not stored and not require_data):
            return
        algo, expected = self.checksum
        actual = stored if algo == stored_algo else (image.get("checksum") if algo == "md5" else None)
        if actual is None and uploaded:
            actual = uploaded.get(algo)
        if actual is not None and actual != expected:
            raise GlanceError("checksum: image %s has %s %s, not the expected %s." % (image["id"], algo, actual, expected))

    def upload(self, image, delete_on_failure):
        """Stream filename into the image, wait for it, verify it; a failed new image is deleted."""
        p = self.params
        algorithms = sorted({DEFAULT_HASH, self.local_algo(image)} | ({self.checksum[0]} if self.checksum else set()))
        try:
            try:
                sent = send_file(p["filename"], algorithms,
                                 lambda reader: upload_data(self.client, image["id"], reader, p["store"]), self.cache)
            except GlanceError as error:
                if error.status != 409 or delete_on_failure:
                    raise
                # Another run of the same task uploaded into this image first.
                return self.uploaded_by_other_run(image)
            if p["wait"]:
                image = wait_for_upload(self.client, image["id"], p["timeout"])
                self.verify_against(image, uploaded=sent)
            else:
                image = get_image(self.client, image["id"]) or image
        except GlanceError:
            if delete_on_failure:
                self.discard(image["id"])
            raise
        return image

    def uploaded_by_other_run(self, image):
        """Glance refused our data (409) because another upload is at work or done: wait for it,
        then accept the image only when it holds the same data as filename."""
        image_id = image["id"]
        image = get_image(self.client, image_id)
        if image is not None and image.get("status") in TRANSITIONAL:
            image = self.settle(image)
        if image is None or image.get("status") != "active":
            raise GlanceError("image %s went to status %s while this task uploaded into it; run the task again."
                              % (image_id, image.get("status") if image else "deleted"))
        if self.local_digest(self.local_algo(image)) != image.get("os_hash_value"):
            raise GlanceError("image %s received other data from another upload while this task uploaded %s; "
                              "nothing of this task's data was stored." % (image["id"], self.params["filename"]))
        self.verify_against(image)
        return image

    def discard(self, image_id):
        """Delete an image this run made and could not complete; retried while Glance is unreachable."""
        deadline = time.monotonic() + DISCARD_SECONDS
        delay = 0.5
        while True:
            try:
                delete_image(self.client, image_id)
                return
            except GlanceError as error:
                if error.status is not None or time.monotonic() + delay > deadline:
                    self.warn("could not delete the incomplete image %s: %s; the next run of this "
                              "task removes it" % (image_id, error))
                    return
            time.sleep(delay)
            delay = min(4.0, delay * 2)

    # ---- create / replace ------------------------------------------------------------------------
    def create(self, fields):
        image = self.new_image(fields)
        if image is None:
            # Another run of this task created the image at the same moment: carry on with it like
            # with any existing image.
            return self.ensure_present(self.find_current())
        return self.result(changed=True, image=image, before={}, after=managed_view(image))

    def new_image(self, fields, base=None):
        """Create (and fill) an image; ``base`` is the image it replaces. In check mode, the prediction.

        Returns None when another run of the task created the same image at the same moment.
        """
        p = self.params
        if p["filename"]:
            for field in ("disk_format", "container_format"):
                if not fields.get(field) and not (base or {}).get(field):
                    raise InputError("%s is needed to upload filename to a new image." % field)
            self.check_expected_checksum()
        tags = self.tags
        if base is not None:
            tags = desired_tags(base.get("tags"), self.tags, p["purge_tags"]) if self.tags is not None else base.get("tags")
        properties = self.properties
        if base is not None:
            properties = dict(custom_properties(base)) if not p["purge_properties"] else {}
            properties.update(self.properties or {})
            fields = dict({f: base[f] for f in CARRIED_FIELDS if base.get(f) is not None}, **fields)
        if base is None:
            image_id = self.meta.new_image_id(self.connection) if self.check_mode else None
        else:
            # A replacement lives next to the image it replaces for a moment: an id of its own.
            image_id = str(uuid.uuid4())
        body = create_body(image_id, p["name"] or (base or {}).get("name"), fields, properties, tags)
        if self.check_mode:
            image = predicted_new_image(body, has_data=bool(p["filename"]))
            if p["filename"]:
                image.update(os_hash_algo=DEFAULT_HASH, os_hash_value=self.local_digest(DEFAULT_HASH))
                if p["state"] == "deactivated":
                    image["status"] = "deactivated"
            return image

        if base is None:
            image, made_here = self.meta.new_image(self.client, self.connection, body)
            if not made_here:
                return None
        else:
            image = create_image(self.client, body)
        if p["filename"] and image.get("status") == "queued":
            image = self.upload(image, delete_on_failure=True)
        if p["state"] == "deactivated":
            if image.get("status") != "active":
                raise InputError("state: image %s has no data, and Glance deactivates only images with data; "
                                 "give filename." % image["id"])
            set_active(self.client, image["id"], False)
            image = get_image(self.client, image["id"])
        return image

    def replace(self, current, fields):
        if current.get("protected") and self.params["protected"] is not False:
            raise InputError("on_content_change: image %s is protected, so it cannot be replaced; set "
                             "protected: false in this task, or use a new name." % current["id"])
        fields = dict(fields)
        fields.pop("protected", None)
        new = self.new_image(fields, base=current)
        protected = self.params["protected"]
        if self.check_mode:
            return self.result(changed=True, image=new, before=managed_view(current), after=managed_view(new))
        if current.get("protected"):
            update_image(self.client, current["id"], [{"op": "replace", "path": "/protected", "value": False}])
        delete_image(self.client, current["id"])
        if protected:
            new = update_image(self.client, new["id"], [{"op": "replace", "path": "/protected", "value": True}])
        return self.result(changed=True, image=new, before=managed_view(current), after=managed_view(new))


def main():
    ImageModule.execute()


if __name__ == "__main__":
    main()
