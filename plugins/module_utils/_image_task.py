# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: what the image module does with its options (its module class's base).

Reads the image, validates everything before the first write (``validate_before_write``), then
creates, updates, fills, replaces or deletes it. Data goes through the publish path
(``_publish``): a replacement is staged and takes the name only once its data is verified.
"""

from __future__ import annotations

from ansible_collections.imagecat.glance.plugins.module_utils._disk_format import check_disk_format
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    DigestCache,
    check_file,
    data_digests,
    file_compression,
    file_digests,
    hash_cache_path,
)
from ansible_collections.imagecat.glance.plugins.module_utils._image_options import ImageMetadata
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    DIGEST_ALGORITHMS,
    apply_patch,
    build_patch,
    create_body,
    custom_properties,
    desired_tags,
    managed_view,
    parse_checksum,
    predicted_new_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    delete_image,
    get_image,
    set_active,
    update_image,
    wait_for_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._imports import check_store_ids, list_stores
from ansible_collections.imagecat.glance.plugins.module_utils._metadefs import check_image_properties
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule
from ansible_collections.imagecat.glance.plugins.module_utils._publish import (
    BUSY,
    DEFAULT_HASH,
    STAGED_FOR,
    Publisher,
    failed_upload_traces,
    replace_ids,
    staged_body,
)
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import checksum_for, peek

# Metadata a replacement image takes over from the image it replaces.
CARRIED_FIELDS = ("disk_format", "container_format", "visibility", "os_hidden", "min_disk", "min_ram")
UNPROTECT = [{"op": "replace", "path": "/protected", "value": False}]
# What an image made from url records: the URL, and the checksum of the data as downloaded (so a re-run
# compares without downloading anything).
SOURCE_URL = "imagecat_source_url"
SOURCE_CHECKSUM = "imagecat_source_checksum"
# Seconds for each request to the url's server.
URL_TIMEOUT = 60


class ImageTask(GlanceModule):
    """The image module's behaviour; the module file adds the options."""

    def run(self):
        p = self.params
        # Everything that can be checked without the cloud, before any request.
        self.meta = ImageMetadata(p)
        self.properties, self.tags = self.meta.properties, self.meta.tags
        self.checksum = parse_checksum(p["checksum"])
        if p["timeout"] <= 0:
            raise InputError("timeout: give a number of seconds greater than 0.")
        self.compression = None
        if p["filename"]:
            check_file(p["filename"], require_data=True)
            self.compression = file_compression(p["filename"])
        self.cache = DigestCache(hash_cache_path(p["hash_cache"]))
        self.source_checksum = self.url_checksum() if p["url"] and p["state"] != "absent" else None
        # The checksum option describes the data as read; Glance's digest is compared with it only when
        # that is what Glance stores (not a download's or a compressed file's, decompressed on the way).
        self.glance_checksum = None if p["url"] or self.compression else self.checksum
        self.local = None
        self.meta.resolve_owner(self.connection)
        self.scope = self.meta.scope(self.connection)
        self.publisher = Publisher(self.client, self.scope, self.warn, p["timeout"], self.cache)

        current = self.meta.find_current(self.client, self.connection)
        if p["state"] != "absent":
            check_image_properties(self.client, self.properties, current, p["validate_properties"], self.warn)
        if p["state"] == "absent":
            return self.ensure_absent(current)
        return self.ensure_present(current)

    def url_checksum(self):
        """(algorithm, hex) the data at url must have: the checksum option, or its entry in checksum_url."""
        p = self.params
        if p["checksum_url"]:
            return checksum_for(p["url"], p["checksum_url"], p["checksum_name"], tuple(DIGEST_ALGORITHMS),
                                URL_TIMEOUT, p["validate_certs"])
        if not self.checksum:
            raise InputError("url: give checksum or checksum_url with url, so the downloaded data is verified and "
                             "a re-run compares without downloading it.")
        return self.checksum

    def validate_before_write(self, fields, base=None):
        """The one place where what this task is about to write is checked against the file and the
        cloud (called before the first write of every path that sends data)."""
        p = self.params
        if not self.has_data:
            return
        formats = {f: fields.get(f) or (base or {}).get(f) for f in ("disk_format", "container_format")}
        for field, value in formats.items():
            if not value:
                raise InputError("%s is needed to upload %s to a new image." % (field, "url" if p["url"] else "filename"))
        if p["url"]:
            # Only the first bytes: a server that answers 404, redirects elsewhere or holds an unknown
            # compression fails the task here.
            peek(p["url"], URL_TIMEOUT, p["validate_certs"])
        else:
            check_disk_format(p["filename"], formats["disk_format"], formats["container_format"])
            self.check_expected_checksum()
        if p["store"]:
            check_store_ids(list_stores(self.client), [p["store"]], "store")

    # ---- absent ----------------------------------------------------------------------------
    def ensure_absent(self, current):
        if current is None:
            return self.result(changed=False, image=None, before={}, after={})
        if current.get("protected") and self.params["protected"] is not False:
            raise InputError("image %s (%s) is protected; set protected: false in this task to unprotect "
                             "and delete it." % (current["id"], current.get("name")))
        if not self.check_mode:
            if current.get("protected"):
                update_image(self.client, current["id"], UNPROTECT)
            delete_image(self.client, current["id"])
        return self.result(changed=True, image=None, before=managed_view(current), after={})

    # ---- present / deactivated -----------------------------------------------------------------
    def ensure_present(self, current):
        p = self.params
        if current is not None and current.get("status") in BUSY:
            current = self.settle(current)
        if current is not None and failed_upload_traces(current) and self.has_data:
            # It cannot take data again (Glance answers 500 "Duplicate"): this run makes the image afresh,
            # once what it will upload has passed the checks.
            self.validate_before_write(self.meta.desired(self.client, current), base=current)
            if not self.check_mode:
                delete_image(self.client, current["id"])
            current = None
        fields = self.meta.desired(self.client, current)
        if current is None:
            return self.create(fields)

        content = self.content_change(current)
        formats_change = [f for f in ("disk_format", "container_format")
                          if f in fields and current.get(f) != fields[f] and current.get("status") != "queued"]
        if content == "differs" or formats_change:
            decision = p["on_content_change"]
            if decision == "replace" and self.has_data:
                return self.replace(current, fields)
            if formats_change:
                raise InputError("%s: image %s already has data, and Glance does not change the format of "
                                 "an image with data. Give filename with on_content_change: replace to make a "
                                 "new image in the new format." % ("/".join(formats_change), current["id"]))
            if decision == "fail":
                raise InputError("%s differs from the data of image %s (%s). Set on_content_change: replace to "
                                 "replace the image, or keep to leave its data." % (
                                     self.source_label(), current["id"], self.difference(current)))
            self.warn("%s differs from the data of image %s; kept the image's data (on_content_change: keep)."
                      % (self.source_label(), current["id"]))

        ops = self.meta.patch(current, fields)
        upload = content == "missing"
        if upload:
            ops += self.record_ops(current)
        status_change = self.status_change(current, will_have_data=upload or current.get("status") != "queued")
        if upload:
            self.validate_before_write(fields, base=current)
        changed = bool(ops or upload or status_change)
        if self.check_mode or not changed:
            image = apply_patch(current, ops)
            if upload:
                image.update(self.predicted_data())
            if status_change:
                image["status"] = "deactivated" if status_change == "deactivate" else "active"
            return self.result(changed=changed, image=image, before=managed_view(current), after=managed_view(image))

        image = update_image(self.client, current["id"], ops) if ops else current
        if upload:
            image = self.publisher.put_data(image, self.data_source(), self.glance_checksum, made_here=False, wait=p["wait"])
        if status_change:
            set_active(self.client, image["id"], status_change == "reactivate")
            image = get_image(self.client, image["id"])
        return self.result(changed=True, image=image, before=managed_view(current), after=managed_view(image))

    def settle(self, current):
        """Wait for an upload or import that is at work on the image."""
        if not self.params["wait"]:
            raise InputError("image %s is %s (an upload or import is at work); run again later or set wait: true."
                             % (current["id"], current["status"]))
        return wait_for_image(self.client, current["id"], lambda i: i.get("status") not in BUSY,
                              self.params["timeout"])

    def status_change(self, current, will_have_data):
        status = current.get("status")
        if self.params["state"] == "deactivated" and status != "deactivated":
            if not will_have_data:
                raise InputError("state: image %s has no data, and Glance deactivates only images with data; "
                                 "give filename or url." % current["id"])
            return "deactivate"
        if self.params["state"] == "present" and status == "deactivated":
            return "reactivate"
        return None

    # ---- content ---------------------------------------------------------------------------------
    @property
    def has_data(self):
        return bool(self.params["filename"] or self.params["url"])

    def source_label(self):
        return "url: %s" % self.params["url"] if self.params["url"] else "filename: %s" % self.params["filename"]

    def data_source(self):
        """What the publish path puts into the image: the file as it is, or through the controller transfer
        (a download, or a compressed file decompressed on the way)."""
        p = self.params
        if p["url"]:
            return {"kind": "transfer", "url": p["url"], "checksum": self.source_checksum, "store": p["store"],
                    "timeout": URL_TIMEOUT, "validate_certs": p["validate_certs"]}
        if self.compression:
            # Its checksum (of the file as it is) was checked before any write.
            return {"kind": "transfer", "filename": p["filename"], "checksum": None, "store": p["store"]}
        return {"kind": "file", "filename": p["filename"], "store": p["store"]}

    def record_properties(self):
        """The properties an image made from url carries: the URL and the downloaded data's checksum."""
        if not self.params["url"]:
            return {}
        return {SOURCE_URL: self.params["url"], SOURCE_CHECKSUM: "%s:%s" % self.source_checksum}

    def record_ops(self, current):
        return build_patch(current, properties=self.record_properties())

    def predicted_data(self):
        """What check mode predicts of the data fields (a url's data is not downloaded to know its digest)."""
        if self.params["url"]:
            return dict(self.record_properties(), status="active")
        return dict(status="active", os_hash_algo=DEFAULT_HASH, os_hash_value=self.local_digest(DEFAULT_HASH))

    def holds_our_data(self, image):
        """True when ``image`` has the data of this task's filename or url (for url: by its record)."""
        if self.params["url"]:
            return image.get(SOURCE_CHECKSUM) == "%s:%s" % self.source_checksum and bool(image.get("os_hash_value"))
        return image.get("os_hash_value") == self.local_digest(self.local_algo(image))

    def data_key(self):
        """The digest a staged replacement's id is derived from."""
        if self.params["url"]:
            return self.source_checksum[1]
        return self.local_digest(DEFAULT_HASH)

    def difference(self, current):
        if self.params["url"]:
            return "its %s is %s, the data at url has %s" % (SOURCE_CHECKSUM, current.get(SOURCE_CHECKSUM) or "not set",
                                                             "%s:%s" % self.source_checksum)
        return "%s %s here, %s in Glance" % (self.local_algo(current), self.local[1], current.get("os_hash_value"))

    def local_algo(self, image):
        return (image or {}).get("os_hash_algo") or DEFAULT_HASH

    def local_digest(self, algorithm):
        """Digest of filename (cached), remembered as self.local = (algorithm, hex)."""
        digest = data_digests(self.params["filename"], [algorithm], self.cache)[algorithm]
        self.local = (algorithm, digest)
        return digest

    def check_expected_checksum(self):
        """The checksum option against the local file, before anything is written."""
        if self.checksum and self.params["filename"]:
            # Of the file as it is (a compressed file is decompressed only on the way to Glance).
            algo, expected = self.checksum
            actual = file_digests(self.params["filename"], [algo], self.cache)[algo]
            if actual != expected:
                raise InputError("checksum: %s of %s is %s, not the expected %s; nothing was changed."
                                 % (algo, self.params["filename"], actual, expected))

    def content_change(self, current):
        """'missing' (no data yet), 'differs', 'same', or None (no filename or url given)."""
        if not self.has_data:
            if current.get("os_hash_value"):
                self.publisher.verify(current, None, self.checksum)
            return None
        self.check_expected_checksum()
        if current.get("status") in ("queued",) or not current.get("os_hash_value"):
            return "missing"
        return "same" if self.holds_our_data(current) else "differs"

    # ---- create / replace ------------------------------------------------------------------------
    def create(self, fields):
        p = self.params
        # A staged image of this name that holds (or can take) our data: left by an interrupted replace,
        # or a concurrent replace between retiring the old image and publishing it. It takes the name
        # (its formats are set already, so the task need not give them).
        staged = self.staged_leftover() if self.has_data and not p["id"] else None
        if staged is None and self.has_data and not p["id"]:
            # No image had the name, and now none is staged for it: a concurrent replace may have published
            # its staged image in between (the name was free only from its retire to its publish).
            current = self.meta.find_current(self.client, self.connection)
            if current is not None:
                return self.ensure_present(current)
        if staged is not None and self.check_mode:
            image = dict(staged, name=p["name"], os_hidden=fields.get("os_hidden", False))
            return self.result(changed=True, image=image, before={}, after=managed_view(image))
        if p["state"] == "deactivated" and not self.has_data:
            raise InputError("state: deactivated needs data, and a new image has none; give filename or url (or "
                             "create the image with state: present first).")
        if staged is None:
            self.validate_before_write(fields)
        body = create_body(None, p["name"], fields, dict(self.properties or {}, **self.record_properties()),
                           self.tags)
        if self.check_mode:
            image = predicted_new_image(dict(body, id=self.meta.new_image_id(self.connection)),
                                        has_data=self.has_data)
            if self.has_data:
                image.update(self.predicted_data())
                if p["state"] == "deactivated":
                    image["status"] = "deactivated"
            return self.result(changed=True, image=image, before={}, after=managed_view(image))
        if staged is not None:
            image, made_here = staged, False
        else:
            image, made_here = self.meta.new_image(self.client, self.connection, body, self.publisher)
        if not made_here and staged is None:
            # Another run of this task created the image at the same moment: carry on with it.
            return self.ensure_present(image)
        if self.has_data and image.get("status") == "queued":
            image = self.publisher.put_data(image, self.data_source(), self.glance_checksum, made_here, wait=p["wait"])
        if staged is not None:
            image = self.publisher.publish(get_image(self.client, image["id"]), p["name"],
                                           fields.get("os_hidden", False))
        if p["state"] == "deactivated":
            set_active(self.client, image["id"], False)
            image = get_image(self.client, image["id"])
        return self.result(changed=True, image=image, before={}, after=managed_view(image))

    def staged_leftover(self):
        """A staged image of this name, left by an interrupted replace, that holds (or can take) our data."""
        for image in self.publisher.list_marked([(STAGED_FOR, self.params["name"])]):
            if image.get("status") == "queued" and not failed_upload_traces(image):
                return image
            if self.holds_our_data(image):
                return image
        return None

    def replace(self, current, fields):
        p = self.params
        if current.get("protected") and p["protected"] is not False:
            raise InputError("on_content_change: image %s is protected, so it cannot be replaced; set "
                             "protected: false in this task, or use a new name." % current["id"])
        if not p["wait"]:
            raise InputError("on_content_change: replace needs wait: true; the new image takes the name only "
                             "once its data is verified.")
        fields = dict({f: current[f] for f in CARRIED_FIELDS if current.get(f) is not None}, **fields)
        fields.pop("protected", None)
        self.validate_before_write(fields, base=current)
        tags = desired_tags(current.get("tags"), self.tags, p["purge_tags"]) if self.tags is not None \
            else current.get("tags")
        properties = dict(custom_properties(current)) if not p["purge_properties"] else {}
        properties.update(self.properties or {})
        properties.update(self.record_properties())
        properties.pop(STAGED_FOR, None)
        name = current.get("name")
        digest = self.data_key()
        ids = list(replace_ids(self.scope, name, digest))
        body = create_body(None, name, fields, properties, tags)
        if self.check_mode:
            new = predicted_new_image(dict(body, id=ids[0], **self.predicted_data()), has_data=True)
            return self.result(changed=True, image=new, before=managed_view(current), after=managed_view(new))
        new = self.staged_replacement(staged_body(body, name, digest), ids, name)
        self.publisher.retire(current)
        extra = [{"op": "replace", "path": "/protected", "value": True}] if p["protected"] else []
        new = self.publisher.publish(get_image(self.client, new["id"]), name, fields.get("os_hidden", False), extra)
        return self.result(changed=True, image=new, before=managed_view(current), after=managed_view(new))

    def staged_replacement(self, body, ids, name):
        """The hidden replacement, created (or adopted after an interruption) and verified."""
        # Staged, or already published by a concurrent run of the same replace (the id holds the data's
        # digest, so an image of ours under it with the plain name and that digest is this replacement).
        marker = [{STAGED_FOR: name}, dict({"name": name}, **(self.record_properties() if self.params["url"] else
                                                              {"os_hash_value": self.local_digest(DEFAULT_HASH)}))]

        def siblings():
            return self.publisher.list_marked([(STAGED_FOR, name)])
        image, made_here = self.publisher.create(body, ids, marker, siblings)
        if failed_upload_traces(image):
            # An interrupted upload left it unable to take data: drop it, the next id takes over.
            self.publisher.discard(image)
            image, made_here = self.publisher.create(body, ids, marker, siblings)
        if image.get("status") in BUSY:
            image = self.settle(image)
        if image.get("status") == "queued":
            return self.publisher.put_data(image, self.data_source(), self.glance_checksum, made_here)
        if not self.holds_our_data(image):
            raise InputError("image %s (%s), staged for '%s', holds other data than %s; delete it and run again."
                             % (image["id"], image.get("name"), name, self.source_label()))
        self.publisher.verify(image, None, self.glance_checksum)
        return image
