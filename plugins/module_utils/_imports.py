# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: Glance's interoperable image import.

Discovery (enabled import methods, stores), the import request, staging for
glance-direct, and waiting for an import with capped backoff, reporting a
failure with the stores that failed and the message of the image's task.
"""

from __future__ import annotations

import hashlib
import time
import urllib.error

from ansible.module_utils.urls import open_url

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError, get_image, image_fetcher
from ansible_collections.imagecat.glance.plugins.module_utils._waits import IMPORT_POLL, poll

IMPORT_METHODS = ("glance-direct", "web-download", "copy-image", "glance-download")
SERVICE_INTERFACES = ("public", "internal", "admin")
DOWNLOAD_CHUNK = 1 << 20
# Markers of the 409 Glance answers when another import holds the image's lock.
IN_PROGRESS_MARKERS = ("still in progress", "has active task")


def _flag(value):
    """Glance writes the flags of /v2/info/stores as strings."""
    return str(value).lower() == "true"


def _split_stores(value):
    return [store for store in (value or "").split(",") if store]


# ---- discovery ---------------------------------------------------------------------------------

def enabled_import_methods(client):
    """The import methods the cloud enables (GET /v2/info/import); [] when import is off."""
    if not client.supports("2.6"):
        return []
    body = client.get_json("/v2/info/import", expected=(200, 404))
    return list((body.get("import-methods") or {}).get("value") or [])


def list_stores(client):
    """The stores of a multi-store cloud (GET /v2/info/stores); [] on a single-store cloud."""
    # 404: "Multi backend is not supported at this site".
    body = client.get_json("/v2/info/stores", expected=(200, 404))
    return [
        dict(id=store.get("id"), default=_flag(store.get("default")),
             description=store.get("description", ""), read_only=_flag(store.get("read-only")))
        for store in body.get("stores") or []
    ]


def writable_store_ids(stores):
    """The stores Glance's all_stores means: every store except read-only ones."""
    return [store["id"] for store in stores if not store["read_only"]]


def check_store_ids(stores, requested, option="stores"):
    """Refuse, before any write, store ids (``requested``) the cloud (``stores``) lacks or cannot write."""
    if not requested:
        return
    if not stores:
        raise InputError("%s: this cloud has a single store, so there are no stores to choose; remove %s."
                         % (option, option))
    known = [store["id"] for store in stores]
    unknown = [store for store in requested if store not in known]
    if unknown:
        raise InputError("%s: this cloud has no store %s; its stores: %s."
                         % (option, ", ".join("'%s'" % store for store in unknown), ", ".join(known)))
    read_only = [store["id"] for store in stores if store["read_only"] and store["id"] in requested]
    if read_only:
        raise InputError("%s: %s %s read-only; writable stores: %s."
                         % (option, ", ".join(read_only), "is" if len(read_only) == 1 else "are",
                            ", ".join(writable_store_ids(stores))))


def check_import_request(method, enabled, stores, requested=None, all_stores=False,
                         all_stores_must_succeed=True):
    """Refuse, before any write, a method or stores the cloud does not have.

    ``enabled`` and ``stores`` are what discovery returned; returns the store ids the
    import targets (None: the cloud's default store).
    """
    if method not in enabled:
        raise InputError("method: this cloud does not enable the import method '%s'; enabled methods: %s."
                         % (method, ", ".join(enabled) or "none (import is off)"))
    check_store_ids(stores, requested)
    if not stores:
        if all_stores:
            raise InputError("all_stores: this cloud has a single store, so there are no stores to choose; "
                             "remove all_stores.")
        if not all_stores_must_succeed:
            raise InputError("all_stores_must_succeed: false needs a multi-store cloud; this cloud has a single "
                             "store. Remove the option.")
        return None
    if all_stores:
        return writable_store_ids(stores)
    if requested:
        return list(requested)
    return [store["id"] for store in stores if store["default"]][:1] or None


# ---- the import request --------------------------------------------------------------------------

def import_body(method, uri=None, stores=None, all_stores=False, all_stores_must_succeed=True,
                remote_region=None, remote_image_id=None, remote_service_interface=None):
    """The body of POST /v2/images/{id}/import."""
    method_body = {"name": method}
    if method == "web-download":
        method_body["uri"] = uri
    elif method == "glance-download":
        method_body["glance_region"] = remote_region
        method_body["glance_image_id"] = remote_image_id
        if remote_service_interface:
            method_body["glance_service_interface"] = remote_service_interface
    body = {"method": method_body}
    if all_stores:
        body["all_stores"] = True
    elif stores:
        body["stores"] = list(stores)
    if not all_stores_must_succeed:
        body["all_stores_must_succeed"] = False
    return body


def is_in_progress_conflict(error):
    """A 409 because another import or location task holds the image's import lock."""
    return error.status == 409 and any(marker in (error.message or "").lower() for marker in IN_PROGRESS_MARKERS)


def image_tasks(client, image_id):
    """The image's tasks, newest first (GET /v2/images/{id}/tasks, Glance 2.12)."""
    body = client.get_json("/v2/images/%s/tasks" % image_id, expected=(200, 404))
    return sorted(body.get("tasks") or [], key=lambda task: task.get("created_at") or "", reverse=True)


def newest_task(client, image_id):
    tasks = image_tasks(client, image_id)
    return tasks[0] if tasks else None


def start_import(client, image_id, method, uri=None, stores=None, all_stores=False, all_stores_must_succeed=True,
                 remote_region=None, remote_image_id=None, remote_service_interface=None):
    """Ask Glance to import; returns the id of the task at work (None if unknown).

    A 409 because an import is already at work on the image is not an error: the
    caller waits for that import (its task id is returned) instead of starting another.
    """
    body = import_body(method, uri=uri, stores=stores, all_stores=all_stores,
                       all_stores_must_succeed=all_stores_must_succeed, remote_region=remote_region,
                       remote_image_id=remote_image_id, remote_service_interface=remote_service_interface)
    try:
        client.request("POST", "/v2/images/%s/import" % image_id, json_body=body, expected=(202,), retry=False)
    except GlanceError as error:
        if not is_in_progress_conflict(error):
            raise
        image = get_image(client, image_id) or {}
        return image.get("os_glance_import_task")
    # Glance records the task before it answers 202, and holds the lock with its id.
    task = newest_task(client, image_id)
    return task.get("id") if task else None


def stage_data(client, image_id, reader):
    """PUT the data to the staging area (glance-direct); never retried, the stream is spent."""
    headers = {"Content-Type": "application/octet-stream", "x-openstack-image-size": str(len(reader))}
    client.request("PUT", "/v2/images/%s/stage" % image_id, data=reader, headers=headers,
                   expected=(204,), retry=False)


# ---- waiting and reporting -----------------------------------------------------------------------

def import_running(image):
    """An import (or copy) is at work on the image: its task holds the image's import lock.

    (os_glance_importing_to_stores is not a sign: a failed import may leave stores in it.)
    """
    return bool(image.get("os_glance_import_task")) or image.get("status") == "importing"


def failed_stores(image):
    return _split_stores(image.get("os_glance_failed_import"))


def image_stores(image):
    return _split_stores(image.get("stores"))


def task_summary(task):
    """'task <id> (<status>): <message>' for error messages."""
    if not task:
        return "no import task is recorded for the image"
    message = (task.get("message") or "").strip() or "no message"
    return "task %s (%s): %s" % (task.get("id"), task.get("status"), message)


def wait_for_import(client, image_id, timeout, stores=None, sleep=time.sleep, clock=time.monotonic):
    """Poll with capped backoff until no import is at work on the image; return the image.

    Raises GlanceError naming the failed stores (os_glance_failed_import) and the task's
    message (GET /v2/images/{id}/tasks) when the import failed: the image has no data,
    the task failed, or every one of ``stores`` failed.
    """
    def timed_out(image):
        return GlanceError("the import into image %s is still running after %s s (option timeout; status %s, "
                           "stores to go: %s); a later run waits for it."
                           % (image_id, timeout, image.get("status"),
                              image.get("os_glance_importing_to_stores") or "none"))
    image = poll(image_fetcher(client, image_id, "its import was running"), lambda i: not import_running(i), timeout,
                 IMPORT_POLL, timed_out, sleep=sleep, clock=clock)

    failed = failed_stores(image)
    task = newest_task(client, image_id)
    task_failed = bool(task) and task.get("status") == "failure"
    no_data = image.get("status") != "active"
    every_store_failed = bool(stores) and all(store in failed for store in stores)
    if task_failed or no_data or every_store_failed:
        raise GlanceError("the import into image %s failed (image status %s%s); %s."
                          % (image_id, image.get("status"),
                             "; failed stores: %s" % ", ".join(failed) if failed else "", task_summary(task)))
    return image


def probe_uri(uri, timeout=10):
    """How ``uri`` answers from this host, for the message of a failed web-download
    (Glance's task often says only "Task failed due to Internal Error")."""
    try:
        with open_url(uri, method="HEAD", timeout=timeout) as response:
            return "HTTP %s" % response.status
    except urllib.error.HTTPError as error:
        return "HTTP %s %s" % (error.code, error.reason)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return "no answer (%s)" % (getattr(error, "reason", None) or error)


# ---- verifying data ------------------------------------------------------------------------------

def stored_digest(image, algorithm):
    """The digest Glance recorded for ``algorithm`` (None when it recorded another one)."""
    if image.get("os_hash_algo") == algorithm:
        return image.get("os_hash_value")
    if algorithm == "md5":
        return image.get("checksum")
    return None


def download_digest(client, image_id, algorithm):
    """Hash the image's data as Glance serves it (for an algorithm Glance did not record)."""
    response = client.request("GET", "/v2/images/%s/file" % image_id, stream=True, expected=(200,))
    hasher = hashlib.new(algorithm)
    try:
        for chunk in response.iter_content(DOWNLOAD_CHUNK):
            hasher.update(chunk)
    finally:
        response.close()
    return hasher.hexdigest()
