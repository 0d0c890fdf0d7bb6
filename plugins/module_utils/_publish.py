# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the publish path, the only code that turns data under a name into an image.

create (deterministic id, never another project's image) -> put data (upload, stage + import,
or import) -> wait -> verify (what was sent against what Glance stored, and the declared
checksum) -> publish (a staged image takes its plain name) -> on failure, clean up what this
run created. Used by the image and image_import modules and by the catalogue run.

A new image that is to take a name another image holds is *staged*: created hidden, under a
staging name, with the property ``imagecat_staged_for`` naming the plain name. It takes the
plain name only once it is active and verified, after the image that held the name was
renamed, hidden or deleted. So after any failure or interruption no two images carry the
plain name, and no image without verified data carries it; the next run adopts the staged
image (its id is deterministic, and it carries the marker).
"""

from __future__ import annotations

import json
import threading
import uuid

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import file_digests, send_file
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import MAX_LENGTH
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    delete_image,
    get_image,
    list_images,
    update_image,
    upload_data,
    wait_for_image,
    wait_for_upload,
)
from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    download_digest,
    stage_data,
    start_import,
    stored_digest,
    wait_for_import,
)
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import Transfer, open_source
from ansible_collections.imagecat.glance.plugins.module_utils._tags import replace_tags
from ansible_collections.imagecat.glance.plugins.module_utils._waits import DELETE_RETRY, TAGS_POLL, poll, retry

DEFAULT_HASH = "sha512"
# Seconds an adopted image's tags may take to show (they follow its create within moments).
TAGS_WAIT = 2.0
# Statuses in which an upload or import is at work on the image; they end by themselves.
BUSY = ("saving", "uploading", "importing")
# The marker of a staged image: the plain name it takes once its data is verified.
STAGED_FOR = "imagecat_staged_for"
# Ids of staged replacements are derived from (project, name, data digest, attempt) in this namespace.
REPLACE_ID_NAMESPACE = uuid.UUID("0d5c7a1e-2b9f-4c3a-8e61-7f4b2a9c5d10")
ID_ATTEMPTS = 20
# How long a failed new image is retried to be deleted (Glance may be restarting).
DISCARD_SECONDS = 30


def staging_name(name, key):
    """The name a staged image carries until it is published (within Glance's 255 characters)."""
    suffix = " (imagecat staging %s)" % str(key)[:12]
    return name[:MAX_LENGTH - len(suffix)] + suffix


def replace_ids(scope, name, digest, attempts=ID_ATTEMPTS):
    """The ids a replacement of ``name`` with data ``digest`` tries: the same in every run, so two
    concurrent replace runs make one image."""
    for attempt in range(attempts):
        yield str(uuid.uuid5(REPLACE_ID_NAMESPACE, json.dumps([scope or "", name, digest, attempt])))


def staged_body(body, plain_name, key):
    """``body`` (a create body) as a staged image: hidden, staging name, marker property."""
    return dict(body, name=staging_name(plain_name, key), os_hidden=True, **{STAGED_FOR: plain_name})


def publish_ops(image, name, hidden):
    """The JSON patch that makes a staged (or any) image take ``name`` and ``hidden``, marker removed."""
    ops = []
    if image.get("name") != name:
        ops.append({"op": "replace", "path": "/name", "value": name})
    if bool(image.get("os_hidden")) != bool(hidden):
        ops.append({"op": "replace", "path": "/os_hidden", "value": bool(hidden)})
    if STAGED_FOR in image:
        ops.append({"op": "remove", "path": "/" + STAGED_FOR})
    return ops


def failed_upload_traces(image):
    """A queued image that kept traces of a failed upload cannot take data again (Glance answers 500)."""
    return image.get("status") == "queued" and bool(image.get("checksum") or image.get("size"))


class _TagsLate(Exception):
    """An adopted image whose create-time tags did not show within TAGS_WAIT (see Publisher._with_tags)."""

    def __init__(self, image):
        Exception.__init__(self, image["id"])
        self.image = image


class Publisher:
    """The publish path of one run. ``scope``: the project id new images belong to; ``warn``: a
    callable that reports a warning; ``timeout``: seconds any one wait may take."""

    def __init__(self, client, scope, warn, timeout=900, cache=None):
        self.client = client
        self.scope = scope
        self.warn = warn
        self.timeout = timeout
        self.cache = cache
        # Bytes uploaded by transfers (their size is known only once they are sent).
        self.bytes_sent = 0
        self._sent_lock = threading.Lock()

    # ---- create -------------------------------------------------------------------------------
    def is_ours(self, image, marker):
        """Adoptable: the caller's project owns it and it carries this run's marker: a dict of fields it
        must carry, or a list of such dicts of which any one will do."""
        markers = marker if isinstance(marker, list) else [marker]
        return (not self.scope or image.get("owner") == self.scope) and any(
            all(image.get(key) == value for key, value in one.items()) for one in markers)

    def create(self, body, ids, marker, siblings=None):
        """POST ``body`` under each of ``ids`` in turn; returns (image, made_here).

        A 409 whose image is ours (``is_ours`` with ``marker``, a dict of fields it must carry)
        is adopted: a retried POST, or a concurrent run of the same task. A 409 whose image we
        cannot read is an id of a deleted image (Glance never reuses ids) or of another project's
        private image, and one of this project without the marker was renamed since: the next id.
        A 409 whose image belongs to another project, or all ids spent,
        and the run creates under a random id nobody can predict; ``siblings()`` then lists the
        images of this project that carry the marker, so that two runs that met the same squatter
        keep one image (the one created first; ties by id) and the other run deletes its own.
        """
        taken = 0
        for image_id in ids:
            try:
                return self._post(dict(body, id=image_id)), True
            except GlanceError as error:
                if error.status != 409:
                    raise
                # A 409 to a repeated POST (the first try got a 5xx or lost its answer) is most
                # likely our own first try that landed: then this run made the image.
                replayed = error.replayed
            existing = get_image(self.client, image_id)
            if existing is None:
                taken += 1
                continue
            if self.is_ours(existing, marker):
                return self._with_tags(existing, body.get("tags")), replayed
            if self.is_ours(existing, {}):
                # Our own project's image, renamed or re-purposed since: the next id.
                continue
            self.warn("image id %s, which this run would create '%s' under, is held by image '%s' of project %s; "
                      "that image was left alone, and this run creates its own under a random id."
                      % (image_id, body.get("name"), existing.get("name"), existing.get("owner")))
            break
        else:
            self.warn("the first %d ids this run would create '%s' under are taken (by deleted images, or by "
                      "images of another project this project cannot see); this run creates its own under a "
                      "random id." % (taken, body.get("name")))
        image = self._post(dict(body, id=str(uuid.uuid4())))
        return self._converge(image, siblings)

    def _with_tags(self, image, tags):
        """``image``, adopted after a 409, once it carries ``tags`` (those of the create body).

        Glance stores a new image's tags in a transaction of their own, just after the image: a run
        that adopts an image another run is creating can read it in between, and any write it sent
        then would store the image without its tags (two racing catalogue runs left a managed image
        untagged). So wait until the tags show; if they do not (that create failed half-way), add them.
        """
        def missing(found):
            return [tag for tag in tags or [] if tag not in (found.get("tags") or [])]
        if not missing(image):
            return image
        try:
            return poll(lambda: get_image(self.client, image["id"]) or image, lambda found: not missing(found),
                        TAGS_WAIT, TAGS_POLL, _TagsLate)
        except _TagsLate as late:
            found = late.image
        return replace_tags(self.client, found["id"], list(found.get("tags") or []) + missing(found))

    def _post(self, body):
        # Retried: a replay that meets our own first try is read back by the caller (409, ours).
        return self.client.request("POST", "/v2/images", json_body=body, expected=(201,), retry=True).json()

    def _converge(self, image, siblings):
        if siblings is None:
            return image, True
        same = [i for i in siblings() if i["id"] != image["id"]] + [image]
        first = min(same, key=lambda i: (i.get("created_at") or "", i["id"]))
        if first["id"] == image["id"]:
            return image, True
        # Another run of this project made one a moment earlier: keep that one.
        self.discard(image)
        return first, False

    def list_marked(self, query):
        """This project's images matching ``query`` (pairs), hidden ones included."""
        query = list(query) + ([("owner", self.scope)] if self.scope else [])
        found = {}
        for hidden in ("false", "true"):
            for image in list_images(self.client, query + [("os_hidden", hidden)]):
                found[image["id"]] = image
        return sorted(found.values(), key=lambda i: (i.get("created_at") or "", i["id"]))

    # ---- data -----------------------------------------------------------------------------------
    def put_data(self, image, source, checksum=None, made_here=True, wait=True, where=None):
        """Fill ``image`` from ``source`` and verify it; a failure deletes the image when this run made it.

        ``source``: {"kind": "file", "filename", "store"} (upload), {"kind": "transfer", ...} (upload of
        a download or of a compressed file, decompressed on the way; see ``transfer``), {"kind": "stage",
        "filename", and the import options} (glance-direct) or {"kind": "import", "method", ...}
        (web-download, glance-download, copy-image). Returns the image (active and verified when ``wait``).
        """
        try:
            sent = None
            if source["kind"] == "transfer":
                sent = self.transfer(image, source)
                # ``checksum`` describes the bytes as read (checked on the way); Glance holds what was sent.
                checksum = None
                if not wait:
                    return get_image(self.client, image["id"]) or image
                image = wait_for_upload(self.client, image["id"], self.timeout)
            elif source["kind"] == "file":
                sent = self._upload(image, source, checksum)
                if sent is None:
                    return self.wait_for_other_run(image, source, checksum)
                if not wait:
                    return get_image(self.client, image["id"]) or image
                image = wait_for_upload(self.client, image["id"], self.timeout)
            else:
                if source["kind"] == "stage" and image.get("status") == "queued":
                    sent = send_file(source["filename"], self.algorithms(image, checksum),
                                     lambda reader: stage_data(self.client, image["id"], reader), self.cache)
                self.start_import(image, source)
                if not wait:
                    return get_image(self.client, image["id"]) or image
                image = wait_for_import(self.client, image["id"], self.timeout, stores=source.get("stores"))
            self.verify(image, sent, checksum, fetch=source["kind"] != "file", where=where)
        except GlanceError as error:
            if made_here:
                self.discard(image, error)
            raise
        return image

    def transfer(self, image, source):
        """Download (``url``) or read (``filename``) -> decompress -> upload in one pass; the digests sent.

        ``source``: {"kind": "transfer", "url" or "filename", "checksum" ((algorithm, hex) of the bytes as
        read, or None), "store", "timeout", "validate_certs"}. A mismatch with ``checksum`` or a broken
        compressed stream aborts the upload before its last chunk, so Glance never activates the image."""
        label = source.get("url") or source["filename"]
        if source.get("url"):
            opened = open_source(source["url"], source.get("timeout") or 60, source.get("validate_certs", True))
        else:
            opened = open(source["filename"], "rb")
        with opened:
            transfer = Transfer(opened, label, self.algorithms(image, None), expected=source.get("checksum"))
            sent, dummy = transfer.run(lambda chunks: upload_data(self.client, image["id"], chunks, source.get("store")))
        with self._sent_lock:
            self.bytes_sent += transfer.bytes_sent
        return sent

    def algorithms(self, image, checksum):
        return sorted({DEFAULT_HASH, image.get("os_hash_algo") or DEFAULT_HASH} | ({checksum[0]} if checksum else set()))

    def _upload(self, image, source, checksum):
        """The digests of what was sent; None when another run's upload into the image came first."""
        try:
            return send_file(source["filename"], self.algorithms(image, checksum),
                             lambda reader: upload_data(self.client, image["id"], reader, source.get("store")),
                             self.cache)
        except GlanceError as error:
            # 409: another upload is at work; 410: Glance took two uploads at once and another one
            # finished first (a deleted image shows as such in the wait).
            if error.status not in (409, 410):
                raise
        return None

    def start_import(self, image, source):
        return start_import(
            self.client, image["id"], source.get("method") or "glance-direct", uri=source.get("uri"),
            stores=source.get("stores"), all_stores=source.get("all_stores", False),
            all_stores_must_succeed=source.get("all_stores_must_succeed", True),
            remote_region=source.get("remote_region"), remote_image_id=source.get("remote_image_id"),
            remote_service_interface=source.get("remote_service_interface"))

    def wait_for_other_run(self, image, source, checksum):
        """Glance refused our data (409) because another upload is at work or done: wait for it, then
        accept the image only when it holds the data of our file."""
        image_id = image["id"]
        image = wait_for_image(self.client, image_id, lambda i: i.get("status") not in BUSY, self.timeout)
        if image.get("status") != "active":
            raise GlanceError("image %s went to status %s while this run uploaded into it; run again."
                              % (image_id, image.get("status")))
        algorithm = image.get("os_hash_algo") or DEFAULT_HASH
        local = file_digests(source["filename"], [algorithm], self.cache)[algorithm]
        if local != image.get("os_hash_value"):
            raise GlanceError("image %s received other data from another upload while this run uploaded %s; "
                              "nothing of this run's data was stored." % (image_id, source["filename"]))
        self.verify(image, None, checksum)
        return image

    def verify(self, image, sent, checksum, fetch=False, where=None):
        """What Glance stored against the digests of what was ``sent``, and the declared ``checksum``
        ((algorithm, hex) or None). ``fetch``: hash the data as Glance serves it when Glance recorded
        another algorithm than the checksum's (imports, where nothing was sent from here)."""
        where = "%s: " % where if where else ""
        if image.get("status") not in ("active", "deactivated"):
            raise GlanceError("%simage %s is %s, not active." % (where, image["id"], image.get("status")))
        algo, stored = image.get("os_hash_algo"), image.get("os_hash_value")
        if sent and algo in sent and sent[algo] != stored:
            raise GlanceError("%sGlance stored %s %s for image %s, but %s was sent; the data was corrupted on the way."
                              % (where, algo, stored, image["id"], sent[algo]))
        if not checksum:
            return
        expected_algo, expected = checksum
        actual = stored_digest(image, expected_algo) or (sent or {}).get(expected_algo)
        if actual is None and fetch:
            actual = download_digest(self.client, image["id"], expected_algo)
        if actual is not None and actual != expected:
            raise GlanceError("%schecksum: image %s has %s %s, not the expected %s."
                              % (where, image["id"], expected_algo, actual, expected))

    # ---- publish and clean up -------------------------------------------------------------------------
    def publish(self, image, name, hidden=False, extra_ops=()):
        """A verified image takes ``name`` (and ``hidden``); its staging marker goes."""
        ops = publish_ops(image, name, hidden) + list(extra_ops)
        if not ops:
            return image
        try:
            return update_image(self.client, image["id"], ops)
        except GlanceError as error:
            if error.status != 409:
                raise
        # A concurrent run of the same task published it a moment earlier: what is left to do.
        image = get_image(self.client, image["id"])
        ops = publish_ops(image, name, hidden) + [op for op in extra_ops if image.get(op["path"][1:]) != op["value"]]
        return update_image(self.client, image["id"], ops) if ops else image

    def retire(self, image):
        """Delete the image a replacement takes the name of (unprotected first); gone already is fine."""
        current = get_image(self.client, image["id"])
        if current is None:
            return
        if current.get("protected"):
            update_image(self.client, image["id"], [{"op": "replace", "path": "/protected", "value": False}])
        delete_image(self.client, image["id"])

    def discard(self, image, error=None):
        """Delete an image this run made and could not complete; retried while Glance is unreachable.

        When the delete fails, the image stays (a staged one hidden under its staging name) and a
        warning says so; the next run adopts or removes it.
        """
        def delete():
            if image.get("protected"):
                update_image(self.client, image["id"], [{"op": "replace", "path": "/protected", "value": False}])
            delete_image(self.client, image["id"])
        try:
            # Retried only while Glance does not answer at all (status None).
            retry(delete, lambda error: isinstance(error, GlanceError) and error.status is None, DISCARD_SECONDS,
                  DELETE_RETRY)
            return True
        except GlanceError as failure:
            self.warn("could not delete the incomplete image %s (%s): %s; it stays%s, and the next run "
                      "adopts or removes it." % (image["id"], image.get("name"), failure,
                                                 " hidden under its staging name" if STAGED_FOR in image else ""))
            return False
