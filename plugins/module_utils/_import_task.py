# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: what the image_import module does with its options (its module class's base).

Checks the method's options and the cloud (methods, stores, the remote image) before any write,
creates the image through the publish path (``_publish``: deterministic id, never another
project's image), stages or imports the data, waits, and verifies it; a failed import deletes
an image this run created and deactivates one it only filled.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ansible_collections.imagecat.glance.plugins.module_utils._disk_format import check_disk_format
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    check_file,
    file_digests,
    send_file,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_options import (
    FORMAT_FIELDS,
    ImageMetadata,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    DIGEST_ALGORITHMS,
    apply_patch,
    create_body,
    custom_properties,
    managed_view,
    parse_checksum,
    predicted_new_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    get_image,
    is_uuid,
    named_image_ids,
    set_active,
    update_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    check_import_request,
    enabled_import_methods,
    failed_stores,
    image_stores,
    import_running,
    list_stores,
    probe_uri,
    stage_data,
    start_import,
    wait_for_import,
)
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule
from ansible_collections.imagecat.glance.plugins.module_utils._publish import DEFAULT_HASH, Publisher
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import checksum_for

# The options that carry the data of each method; the first ones are required.
METHOD_OPTIONS = {
    "glance-direct": (("filename",), ()),
    "web-download": (("uri",), ()),
    "copy-image": ((), ()),
    "glance-download": (("remote_region", "remote_image_id"), ("remote_service_interface",)),
}
DATA_OPTIONS = ("filename", "uri", "remote_region", "remote_image_id", "remote_service_interface")
HAS_DATA = ("active", "deactivated")
# Seconds for the request of checksum_url.
CHECKSUM_URL_TIMEOUT = 60
# What an image made afresh after a cut staging takes over from the one it replaces.
REMADE_FIELDS = ("disk_format", "container_format", "visibility", "protected", "os_hidden", "min_disk",
                 "min_ram", "owner")


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


class ImportTask(GlanceModule):
    """The image_import module's behaviour; the module file adds the options."""

    def run(self):
        p = self.params
        validate_method_options(p)
        self.meta = ImageMetadata(p)
        self.checksum = parse_checksum(p["checksum"])
        if p["checksum_url"]:
            self.checksum = self.listed_checksum()
        if p["filename"]:
            check_file(p["filename"], require_data=True)
            if self.checksum:
                self.check_file_checksum()
        self.publisher = Publisher(self.client, None, self.warn, p["timeout"])
        self.report = dict(method=p["method"], started=False, waited_for_other=False, task_id=None,
                           stores_requested=[], stores_succeeded=[], stores_failed=[])

        # Discovery, before any write.
        self.meta.resolve_owner(self.connection)
        self.publisher.scope = self.meta.scope(self.connection)
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
    def validate_before_write(self, fields):
        """The one place where the data this task is about to import is checked against the formats it
        declares (called before the first write of every path that imports)."""
        if self.params["method"] == "glance-direct":
            check_disk_format(self.params["filename"], fields.get("disk_format"), fields.get("container_format"))

    def listed_checksum(self):
        """The checksum option's value from checksum_url: the entry of uri in that checksum file."""
        p = self.params
        if p["method"] != "web-download":
            raise InputError("checksum_url: only method web-download takes checksum_url (the checksum file that "
                             "lists uri); give checksum for method %s." % p["method"])
        return checksum_for(p["uri"], p["checksum_url"], p["checksum_name"], tuple(DIGEST_ALGORITHMS),
                            CHECKSUM_URL_TIMEOUT, p["validate_certs"], option="uri")

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
        self.validate_before_write(fields)
        image, made_here = self.meta.new_image(self.client, self.connection, body, self.publisher)
        if not made_here:
            # Another run of this task created the image at the same moment: treat it as existing.
            return self.update(image)
        image = self.import_data(image, created=True)
        return self.finish(True, {}, image)

    # ---- existing image ------------------------------------------------------------------------------
    def update(self, current):
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
        if needs_import:
            self.validate_before_write(dict(current, **fields))
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
            # A run that staged the data and stopped (its staged data is imported, then checked against
            # the file), or one whose staging was cut (the image is made afresh: see staged()).
            return True
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
            algo = image.get("os_hash_algo") or DEFAULT_HASH
            expected = (algo, file_digests(p["filename"], [algo])[algo], "the file %s" % p["filename"])
        elif p["method"] == "glance-download" and self.remote.get("os_hash_algo") == image.get("os_hash_algo"):
            expected = (image.get("os_hash_algo"), self.remote.get("os_hash_value"),
                        "remote image %s" % self.remote["id"])
        if expected and expected[1] and image.get("os_hash_value") != expected[1]:
            raise InputError("image %s already has other data (%s %s) than %s (%s); Glance cannot replace the data "
                             "of an image. Delete the image or use another name."
                             % (image["id"], expected[0], image.get("os_hash_value"), expected[2], expected[1]))
        if self.checksum:
            try:
                self.publisher.verify(image, None, self.checksum, fetch=True)
            except GlanceError as error:
                raise GlanceError("%s; nothing was changed." % error.message.rstrip("."))

    # ---- importing --------------------------------------------------------------------------------
    def import_data(self, image, created):
        p = self.params
        sent = None
        try:
            if p["method"] == "glance-direct":
                image, created, sent = self.staged(image, created)
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
                if created:
                    self.publisher.discard(image)
                raise
            seen = ""
            if p["method"] == "web-download":
                answer = probe_uri(p["uri"])
                if not answer.startswith("HTTP 2"):
                    seen = " From the host that runs this task, %s answers %s." % (p["uri"], answer)
            if created and self.publisher.discard(image):
                left = "The image, which this run created, was deleted; the next run of this task imports again."
            else:
                status = (get_image(self.client, image["id"]) or {}).get("status", "gone")
                left = "Image %s is %s; the next run of this task %s." % (
                    image["id"], status, "waits for its import" if status == "importing" else "imports again")
            raise GlanceError("%s%s %s" % (error.message, seen, left))
        self.report_stores(image)
        try:
            self.publisher.verify(image, sent, self.checksum, fetch=True)
        except GlanceError as error:
            raise GlanceError("%s; %s." % (error.message.rstrip("."), self.discard(image, created)))
        return image

    def stage(self, image):
        return send_file(self.params["filename"], self.publisher.algorithms(image, self.checksum),
                         lambda reader: stage_data(self.client, image["id"], reader))

    def staged(self, image, created):
        """The file staged into the image: (image, created, digests of the staged data).

        An image an earlier run staged the whole file into (status uploading, the file's size) is
        imported as it is, and checked against the file's digests afterwards. A staging that an
        interruption cut (kill -9 of the run or of Glance) leaves the image uploading without the
        file's size, or queued with the cut data still in Glance's staging area, and Glance takes no
        data into it again (409): such an image is made afresh (``remake``).
        """
        filename = self.params["filename"]
        if image.get("status") == "uploading" and image.get("size") == os.path.getsize(filename):
            return image, created, file_digests(filename, self.publisher.algorithms(image, self.checksum))
        if image.get("status") == "queued":
            try:
                return image, created, self.stage(image)
            except GlanceError as error:
                if error.status != 409:
                    raise
                again = get_image(self.client, image["id"]) or {}
                if again.get("status") != "queued":
                    raise GlanceError("image %s: another run is staging data into it (status %s); run again "
                                      "once it is done." % (image["id"], again.get("status")),
                                      status=error.status, request_id=error.request_id)
        image, created = self.remake(image)
        try:
            return image, created, self.stage(image) if image.get("status") == "queued" else None
        except GlanceError:
            if created:
                self.publisher.discard(image)
            raise

    def remake(self, image):
        """Delete an image whose staging was cut and make it afresh under the next id of the name; only
        an image this task's name made (its deterministic id), never one given by id or made elsewhere."""
        p = self.params
        why = ("image %s is %s%s after an interrupted staging, and Glance takes no data into it again"
               % (image["id"], image.get("status"), ", %s bytes staged" % image["size"] if image.get("size") else ""))
        if p["id"] or image["id"] not in named_image_ids(self.publisher.scope, image.get("name")):
            raise GlanceError("%s; it was not made by this task under name '%s', so it was left alone: delete it "
                              "(imagecat.glance.image with state: absent) and run again." % (why, image.get("name")))
        if not self.publisher.discard(image):
            raise GlanceError("%s, and it could not be deleted; delete it (imagecat.glance.image with state: "
                              "absent) and run again." % why)
        self.warn("%s: it was deleted, and the file is imported into a new image." % why)
        fields = {field: image[field] for field in REMADE_FIELDS if image.get(field) is not None}
        body = create_body(None, image.get("name"), fields, custom_properties(image), image.get("tags"))
        return self.meta.new_image(self.client, self.connection, body, self.publisher)

    def discard(self, image, created):
        """Leave no active image with wrong data: delete what this run created, deactivate the rest."""
        if created:
            if self.publisher.discard(image):
                return "the image, which this run created, was deleted"
            return "the image, which this run created, could not be deleted"
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
        if self.checksum and self.checksum[0] == DEFAULT_HASH:
            image.update(os_hash_algo=DEFAULT_HASH, os_hash_value=self.checksum[1])
        return image

    def finish(self, changed, before, image):
        return self.result(changed=changed, image=image, before=stores_view(before), after=stores_view(image),
                           **{"import": self.report})
