# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: one reconciliation of a catalogue against Glance.

Reads what the plan needs (the managed images by their tag and the namesakes by the catalogue's
names, each visible and hidden, plus the members of images whose entry
declares members), lets ``_catalogue`` plan, then applies only the writes the plan holds:
data first (in parallel), then metadata and sharing, then pruning.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import (
    PROP_CHECKSUM,
    PROP_ENTRY,
    PROP_VERSION,
    catalogue_image_id,
    catalogue_names,
    entries_with_members,
    image_diff,
    is_write,
    kept_versions,
    plan_catalogue,
    plan_items,
    version_where,
    wanted_where,
)
from ansible_collections.imagecat.glance.plugins.module_utils._disk_format import check_disk_format
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import (
    DigestCache,
    check_file,
    data_digests,
    file_compression,
    file_digests,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    allowed_values,
    delete_image,
    get_image,
    image_usage,
    list_images,
    name_filters,
    set_active,
    update_image,
    wait_for_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    check_store_ids,
    enabled_import_methods,
    list_stores,
)
from ansible_collections.imagecat.glance.plugins.module_utils._members import add_member, list_members, remove_member
from ansible_collections.imagecat.glance.plugins.module_utils._publish import BUSY, Publisher
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import (
    TransferError,
    http_fetch,
    listed_name,
    peek,
    resolve_checksum,
)
from ansible_collections.imagecat.glance.plugins.module_utils._upstream import CATALOGUE_ALGORITHMS

# Ids tried for one version when earlier ones belonged to images that were deleted.
MAX_ID_ATTEMPTS = 50
# The most images one run may delete or deactivate unless max_prune says otherwise.
DEFAULT_MAX_PRUNE = 10
MIB = 1024 * 1024
# Sources whose data the controller sends (upload, or stage for glance-direct).
SENT_KINDS = ("file", "stage")
# Seconds for each request to a url version's server (the checksum file, the first bytes, the download's answer).
URL_TIMEOUT = 60


def visibility_write(step):
    """The public or community visibility a step writes (in its create body or its patch), or None."""
    if step.create:
        value = (step.body or {}).get("visibility")
    else:
        value = next((op["value"] for op in step.ops if op["path"] == "/visibility"), None)
    return value if value in ("public", "community") else None


def listed_images(client, scope, queries):
    """The images of every query, visible and hidden (Glance lists hidden images only when asked), once each."""
    images = {}
    for query in queries:
        for hidden in ("false", "true"):
            for image in list_images(client, scope + query + [("os_hidden", hidden)]):
                images[image["id"]] = image
    return list(images.values())


class CatalogueRun:
    """One run: ``prepare()`` reads and plans (no write), ``apply()`` writes, ``result()`` reports."""

    def __init__(self, connection, entries, managed_tag, prune, parallel=2, timeout=900, hash_cache=None,
                 resolve_member=None, max_prune=DEFAULT_MAX_PRUNE, allow_prune_all=False, data_from_region=None,
                 on_drift="fix"):
        self.connection = connection
        self.client = connection.client
        self.entries = entries
        self.managed_tag = managed_tag
        self.prune = prune
        self.on_drift = on_drift
        self.parallel = max(1, parallel)
        self.timeout = timeout
        self.cache = DigestCache(hash_cache)
        self.resolve_member = resolve_member
        self.max_prune = max_prune
        self.data_from_region = data_from_region
        # (entry, version) -> (id, sha512) of the verified image in data_from_region that a version imports.
        self.distribution_sources = {}
        self.bytes_sent = 0
        self._sent_lock = threading.Lock()
        self.allow_prune_all = allow_prune_all
        self.warnings = []

    # ---- reading and planning ----------------------------------------------------------------
    def digest(self, filename, algorithm):
        """The digest of the data an upload of ``filename`` stores (decompressed, for a compressed file)."""
        return data_digests(filename, [algorithm], self.cache)[algorithm]

    def check_files(self):
        """Every file of a version to keep exists and matches its declared checksum (no request)."""
        for entry in self.entries:
            for version in kept_versions(entry)[0]:
                source = version["source"]
                if source["kind"] != "file":
                    continue
                where = version_where(entry["index"], entry["name"], version["version"])
                try:
                    check_file(source["filename"], require_data=True)
                    # A compressed file is uploaded decompressed: its checksum describes the file as it is.
                    source["compression"] = file_compression(source["filename"])
                except InputError as error:
                    raise InputError("%s: %s" % (where, error.message))
                if version["checksum"]:
                    algorithm, expected = version["checksum"]
                    actual = file_digests(source["filename"], [algorithm], self.cache)[algorithm]
                    if actual != expected:
                        raise InputError("%s: checksum: %s of %s is %s, not the declared %s; nothing was changed."
                                         % (where, algorithm, source["filename"], actual, expected))

    def list_catalogue_images(self):
        """The managed images (by the managed tag) and the namesakes (by the catalogue's names), each
        visible and hidden -- Glance lists hidden images only when asked for them alone. The requests
        follow the catalogue's size, never the number of other images in the project."""
        owner = self.owner = self.connection.project_id()
        scope = [("owner", owner)] if owner else []
        self.scope = owner or self.client.root
        self.publisher = Publisher(self.client, owner, self.warnings.append, self.timeout, self.cache)
        queries = [[("tag", self.managed_tag)]]
        queries += [[("name", value)] for value in name_filters(catalogue_names(self.entries))]
        return listed_images(self.client, scope, queries)

    def resolve_members(self):
        resolved = {}
        for entry in self.entries:
            for member in entry["members"] or []:
                if member not in resolved:
                    option = "images[%d] (%s) members" % (entry["index"], entry["name"])
                    resolved[member] = self.resolve_member(member, option) if self.resolve_member else member
        return resolved

    def read_members(self, listed):
        """Members of the managed images whose entry declares members (one request each, in parallel)."""
        wanted = entries_with_members(self.entries)
        ids = [image["id"] for image in listed
               if image.get(PROP_ENTRY) in wanted and self.managed_tag in (image.get("tags") or [])
               and image.get("visibility") == "shared"]
        with ThreadPoolExecutor(self.parallel) as pool:
            return dict(zip(ids, pool.map(lambda image_id: list_members(self.client, image_id), ids)))

    def prepare(self, predict=False):
        """Read and plan; ``predict`` (check mode) turns what only an earlier target's apply can make true
        (the data_from_region images) into warnings instead of errors."""
        if not self.entries and self.prune != "none" and not self.allow_prune_all:
            raise InputError("images is empty and prune is '%s': this run would prune every image tagged %s. "
                             "Set allow_prune_all: true to mean it, or check the catalogue file; nothing was "
                             "changed." % (self.prune, self.managed_tag))
        self.check_files()
        resolved = self.resolve_members()
        listed = self.list_catalogue_images()
        members = self.read_members(listed)
        self.steps, self.retired, self.clashes = plan_catalogue(
            self.entries, listed, self.managed_tag, self.prune, self.digest, members, resolved, self.scope,
            self.on_drift)
        if self.changed:
            self.check_prune_count()
            self.validate_before_write()
            self.check_distribution_sources(predict)
            self.check_quota()
        for image in self.clashes:
            self.warnings.append("image %s (%s) uses a name of the catalogue but is not managed by it (no %s tag "
                                 "or no catalogue properties); left alone."
                                 % (image.get("name"), image["id"], self.managed_tag))
        for step in self.retired:
            if step.blocked:
                self.warnings.append("image %s (%s) is protected, so prune did not delete it: %s."
                                     % (step.image.get("name"), step.image["id"], step.blocked["reason"]))

    def validate_before_write(self):
        """The one place where the plan's writes are checked against the cloud and the files, before the
        first write: every entry's formats against the cloud's schema, and the header of every file
        the plan uploads against its entry's disk_format. (A plan without writes needs none of it.)"""
        creating = {step.wanted["entry"] for step in self.steps if step.create}
        for entry in self.entries:
            for field in ("disk_format", "container_format"):
                value = entry["fields"].get(field)
                if value is None:
                    if entry["name"] not in creating:
                        continue
                    raise InputError("images[%d] (%s): %s is needed to create its images."
                                     % (entry["index"], entry["name"], field))
                allowed = allowed_values(self.client, field)
                if allowed and value not in allowed:
                    raise InputError("images[%d] (%s): %s '%s' is not one of this cloud's formats: %s."
                                     % (entry["index"], entry["name"], field, value, ", ".join(allowed)))
        stores = None
        for step in self.steps:
            wanted = step.wanted
            where = wanted_where(wanted)
            if step.data and step.data["kind"] == "url":
                self.resolve_url(step, where)
            if step.data and step.data["kind"] == "file":
                check_disk_format(step.data["filename"], wanted["fields"].get("disk_format"),
                                  wanted["fields"].get("container_format"), where=where)
            if step.data and step.data["kind"] in SENT_KINDS and self.data_from_region:
                self.check_distribution(where)
            elif step.data and step.data.get("stores"):
                stores = list_stores(self.client) if stores is None else stores
                check_store_ids(stores, step.data["stores"], where + ": import.stores")

    def resolve_url(self, step, where):
        """A url version about to be published: its checksum (from checksum_url), its compression (from its
        first bytes) against its transfer, and the source the publish path takes. Only checksum files and
        first bytes are read, in check mode too; every failure here comes before any write."""
        source, wanted = step.data, step.wanted
        fetch = http_fetch(URL_TIMEOUT, True)
        try:
            checksum = wanted["checksum"]
            if checksum is None:
                checksum = resolve_checksum(fetch, source["checksum_url"], listed_name(source["url"],
                                            source["checksum_name"]), CATALOGUE_ALGORITHMS)
            compression = peek(source["url"], URL_TIMEOUT)
        except TransferError as error:
            raise TransferError("%s: %s" % (where, error.message))
        if compression and source["transfer"] == "web-download":
            raise InputError("%s: %s is %s-compressed, and with transfer web-download Glance would store the "
                             "compressed bytes as the image. Set transfer: controller in the version (the controller "
                             "downloads, decompresses and uploads it in one pass); nothing was changed."
                             % (where, source["url"], compression))
        record = "%s:%s" % checksum
        if step.create:
            step.body = dict(step.body, **{PROP_CHECKSUM: record})
        elif step.image.get(PROP_CHECKSUM) != record:
            step.ops = step.ops + [{"op": "replace" if PROP_CHECKSUM in step.image else "add",
                                    "path": "/" + PROP_CHECKSUM, "value": record}]
        step.after = dict(step.after, **{PROP_CHECKSUM: record})
        if source["transfer"] == "controller":
            step.data = {"kind": "transfer", "url": source["url"], "checksum": checksum, "store": None,
                         "timeout": URL_TIMEOUT, "validate_certs": True}
            step.checksum = None
        else:
            step.data = {"kind": "import", "method": "web-download", "uri": source["url"], "stores": None,
                         "all_stores": False, "all_stores_must_succeed": True}
            step.checksum = checksum

    def check_distribution(self, where):
        """data_from_region: this Glance must enable glance-download and the token must know that region."""
        if getattr(self, "_distribution_checked", False):
            return
        if not self.connection.has_keystone:
            raise InputError("%s: data_from_region needs a Keystone login (cloud or auth): glance-download imports "
                             "with the caller's token, which a bare endpoint and token do not carry." % where)
        regions = self.connection.image_endpoints()
        if self.data_from_region not in regions:
            raise InputError("%s: data_from_region '%s' has no image endpoint in this login's catalogue (regions: "
                             "%s)." % (where, self.data_from_region, ", ".join(sorted(r for r in regions if r))))
        if "glance-download" not in enabled_import_methods(self.client):
            raise InputError("%s: data_from_region '%s': this target's Glance does not enable the glance-download "
                             "import method; leave data_from_region unset for it (its data is uploaded), or "
                             "import into a region whose Glance enables it." % (where, self.data_from_region))
        self._distribution_checked = True

    def check_distribution_sources(self, predict):
        """data_from_region: every version this run would send must already be active in that region with
        the local file's sha512, before the first write here (two listings of that region's managed images)."""
        needed = [step for step in self.steps if step.data and step.data["kind"] in SENT_KINDS]
        if not self.data_from_region or not needed:
            return
        url = self.connection.image_endpoints()[self.data_from_region]
        scope = [("owner", self.owner)] if self.owner else []
        remote = {(image.get(PROP_ENTRY), image.get(PROP_VERSION)): image
                  for image in listed_images(self.connection.client_for(url), scope, [[("tag", self.managed_tag)]])
                  if image.get("status") == "active"}
        for step in needed:
            wanted = step.wanted
            where = wanted_where(wanted)
            image = remote.get((wanted["entry"], wanted["version"]))
            digest = self.digest(step.data["filename"], "sha512")
            if image is not None and (image.get("os_hash_algo"), image.get("os_hash_value")) == ("sha512", digest):
                self.distribution_sources[(wanted["entry"], wanted["version"])] = (image["id"], digest)
                continue
            problem = ("%s: data_from_region '%s' has no active image of this version tagged %s with the sha512 of %s"
                       % (where, self.data_from_region, self.managed_tag, step.data["filename"]))
            if image is not None:
                problem += " (image %s there has %s %s)" % (
                    image["id"], image.get("os_hash_algo"), image.get("os_hash_value"))
            if predict:
                self.warnings.append(problem + " yet; the apply imports it once that region has it (the catalogue "
                                     "role applies that region's targets first) and fails before any write if "
                                     "it still has none.")
                continue
            raise InputError(problem + "; apply the catalogue to that region first (the catalogue role orders the "
                             "targets so), or leave data_from_region unset for this target; nothing was changed.")

    def distributed(self, wanted, source):
        """A file source as a glance-download import of the same version's image in ``data_from_region``
        (found by check_distribution_sources), verified against the local file's sha512."""
        return dict(kind="import", method="glance-download", uri=None, stores=source.get("store") and [source["store"]],
                    all_stores=False, all_stores_must_succeed=True, remote_region=self.data_from_region,
                    remote_image_id=self.distribution_sources[(wanted["entry"], wanted["version"])][0],
                    remote_service_interface=None)

    def pruned_count(self):
        """Images this run deletes or deactivates (hiding and renaming are not counted)."""
        return sum(1 for step in self.retired if step.delete or step.deactivate)

    def check_prune_count(self):
        count = self.pruned_count()
        if self.max_prune is not None and count > self.max_prune:
            raise InputError("prune '%s' would delete or deactivate %d images tagged %s, more than max_prune (%d); "
                             "raise max_prune to at least %d if that is meant; nothing was changed."
                             % (self.prune, count, self.managed_tag, self.max_prune, count))

    def added(self):
        """(images, bytes): what the run adds to the project before anything is pruned. Bytes count the
        local files only (a web-download or glance-download source's size is unknown before import)."""
        creates = [step for step in self.steps if step.create and not step.recreate]
        size = sum(os.path.getsize(step.data["filename"]) for step in self.steps
                   if step.data and step.data["kind"] in SENT_KINDS)
        return len(creates), size

    def check_quota(self):
        """Where the cloud reports unified limits, refuse a run that would go over them (one GET)."""
        images, size = self.added()
        if not images and not size:
            return
        usage = image_usage(self.client)
        over = []
        for resource, delta, unit in (("image_count_total", images, "images"),
                                      ("image_size_total", size // MIB, "MiB")):
            entry = usage.get(resource) or {}
            limit, used = entry.get("limit"), entry.get("usage") or 0
            if delta and isinstance(limit, int) and limit >= 0 and used + delta > limit:
                over.append("%s: %d %s used + %d %s this run adds > limit %d" % (
                    resource, used, unit, delta, unit, limit))
        if over:
            raise InputError("the project's image quota would be exceeded (%s; the run adds %d images, %d bytes); "
                             "nothing was changed. Ask for a higher limit or prune first."
                             % ("; ".join(over), images, size))

    @property
    def changed(self):
        return any(is_write(action) for action in plan_items(self.steps, self.retired))

    # ---- writing -----------------------------------------------------------------------------
    def apply(self):
        """Data first (new and empty images, in parallel), then metadata and sharing, then pruning."""
        probed = self.probe_visibility()
        data_steps = [s for s in self.steps if s.actions and (s.create or s.data) and s is not probed]
        other_steps = [s for s in self.steps if s.actions and not (s.create or s.data) and s is not probed]
        waits = [s for s in self.steps if s.wait and not s.actions]
        self.run_all(self.apply_step, data_steps + waits)
        self.run_all(self.apply_step, other_steps)
        self.run_all(self.apply_retired, [s for s in self.retired if s.actions])
        # Staged images take their names last, once the images that held them were renamed or pruned.
        self.run_all(self.publish, [s for s in self.steps if s.publish])

    def probe_visibility(self):
        """Glance decides by policy who may make an image public or community, and nothing tells beforehand.
        The first write that sets such a visibility goes alone, before any other: refused (403), every
        other entry would be refused the same way, so the run stops with nothing else written."""
        for step in self.steps:
            value = visibility_write(step)
            if value is None:
                continue
            try:
                if step.create or not any(op["path"] in ("/name", "/os_hidden") for op in step.ops):
                    self.apply_step(step)
                else:
                    # A rename waits for the new data (the plain name moves last): only the visibility goes first.
                    op = [op for op in step.ops if op["path"] == "/visibility"]
                    step.image = update_image(self.client, step.image["id"], op)
                    step.ops = [o for o in step.ops if o["path"] != "/visibility"]
            except GlanceError as error:
                if error.status != 403:
                    raise
                wanted = step.wanted
                rule = "publicize_image (by default: the admin role)" if value == "public" else \
                    "communitize_image (by default: admin, or a member of the image's project)"
                error.message = ("images[%d] (%s): Glance refused visibility %s (403: %s). Setting it needs the "
                                 "policy %s; ask the cloud's operator for that role, or declare another visibility "
                                 "(shared or private). Nothing else was written."
                                 % (wanted["index"], wanted["entry"], value, error.message, rule))
                raise
            return step if step.result is not None else None
        return None

    def publish(self, step):
        name, hidden = step.publish
        step.result = self.publisher.publish(get_image(self.client, step.result["id"]), name, hidden)

    def run_all(self, func, steps):
        if not steps:
            return
        with ThreadPoolExecutor(self.parallel) as pool:
            futures = [pool.submit(func, step) for step in steps]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            first = errors[0]
            if len(errors) > 1 and isinstance(first, GlanceError):
                first.message += " (and %d more failed step(s) in this run)" % (len(errors) - 1)
            raise first

    def apply_step(self, step):
        image = step.image
        if step.recreate:
            delete_image(self.client, image["id"])
        if step.create:
            image = self.create(step)
        if step.wait or image.get("status") in BUSY:
            image = self.wait_for_data(image)
        if step.data and image.get("status") == "queued":
            image = self.put_data(image, step)
        if step.ops:
            image = update_image(self.client, image["id"], step.ops)
        if step.protect and not image.get("protected"):
            image = update_image(self.client, image["id"], [{"op": "replace", "path": "/protected", "value": True}])
        if step.reactivate:
            set_active(self.client, image["id"], True)
            image = dict(image, status="active")
        for member_id in step.remove_members:
            remove_member(self.client, image["id"], member_id)
        for member_id in step.add_members:
            add_member(self.client, image["id"], member_id)
        step.result = image

    def create(self, step):
        """POST with the version's deterministic id; a 409 with our image: a concurrent run created it first."""
        wanted = step.wanted
        body = dict(step.body)
        body.pop("id", None)
        marker = {PROP_ENTRY: wanted["entry"], PROP_VERSION: wanted["version"]}
        ids = [catalogue_image_id(self.scope, self.managed_tag, wanted["entry"], wanted["version"], attempt)
               for attempt in range(MAX_ID_ATTEMPTS)]
        image, step.made_here = self.publisher.create(
            body, ids, marker, siblings=lambda: self.publisher.list_marked(list(marker.items())))
        return image

    def wait_for_data(self, image):
        return wait_for_image(self.client, image["id"], lambda i: i.get("status") not in BUSY, self.timeout)

    def put_data(self, image, step):
        wanted, made_here = step.wanted, step.made_here
        where = wanted_where(wanted)
        source = step.data
        checksum = wanted["checksum"] if step.checksum is False else step.checksum
        if self.data_from_region and source["kind"] in SENT_KINDS:
            # The sha512 check_distribution_sources found on both sides: the file is not hashed again.
            sha512 = ("sha512", self.distribution_sources[(wanted["entry"], wanted["version"])][1])
            checksum = sha512 if source.get("compression") else (checksum or sha512)
            return self.publisher.put_data(image, self.distributed(wanted, source), checksum, made_here, where=where)
        if source["kind"] == "file" and source.get("compression"):
            # Decompressed on the way; its checksum (of the file as it is) was checked before any write.
            source, checksum = {"kind": "transfer", "filename": source["filename"], "checksum": None,
                                "store": source.get("store")}, None
        try:
            image = self.publisher.put_data(image, source, checksum, made_here, where=where)
        except TransferError as error:
            error.message = "%s: %s" % (where, error.message)
            raise
        if source["kind"] in SENT_KINDS:
            with self._sent_lock:
                self.bytes_sent += os.path.getsize(wanted["source"]["filename"])
        return image

    def apply_retired(self, step):
        image = step.image
        if step.ops:
            image = update_image(self.client, image["id"], step.ops)
        if step.deactivate:
            set_active(self.client, image["id"], False)
            image = dict(image, status="deactivated")
        if step.delete:
            delete_image(self.client, image["id"])
            return
        step.result = image

    # ---- reporting ---------------------------------------------------------------------------
    def images(self, predicted):
        """The managed images after the run (or as they would be), in catalogue order."""
        result = []
        for step in list(self.steps) + list(self.retired):
            if step.after is None:
                continue
            result.append(step.after if predicted else step.result or step.image)
        order = {entry["name"]: entry["index"] for entry in self.entries}
        return sorted(result, key=lambda i: (order.get(i.get(PROP_ENTRY), len(order)), i.get(PROP_ENTRY) or "",
                                             i.get("os_hidden", False), i.get("name") or ""))

    def diffs(self):
        return [image_diff(step) for step in list(self.steps) + list(self.retired) if step.actions]

    def report(self, predicted):
        """The result (api_requests aside: the module counts the requests of the whole task)."""
        superseded = []
        for step in self.retired:
            done = [a["action"] for a in step.actions if a["action"] in ("hide", "deactivate", "delete")]
            superseded.append(dict(step.candidate, pruned=done[0] if done else
                                   ("blocked: protected" if step.blocked else "none")))
        return dict(
            changed=self.changed,
            plan=plan_items(self.steps, self.retired),
            images=self.images(predicted),
            superseded=superseded,
            unmanaged=[{"image": i.get("name"), "id": i["id"], "reason": "same name as a catalogue image, but no "
                        "%s tag or no catalogue properties: left alone" % self.managed_tag} for i in self.clashes],
            summary=self.summary(predicted),
        )

    def summary(self, predicted):
        """Counts of one line: images created / updated / pruned / unchanged, and the bytes sent."""
        done = {"hide", "deactivate", "delete"}
        return dict(
            created=sum(1 for step in self.steps if step.create),
            updated=sum(1 for step in self.steps if step.actions and not step.create),
            pruned=sum(1 for step in self.retired if any(a["action"] in done for a in step.actions)),
            unchanged=sum(1 for step in self.steps if not step.actions),
            bytes_sent=(0 if self.data_from_region else self.added()[1]) if predicted else
            self.bytes_sent + self.publisher.bytes_sent,
        )
