# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: interoperable image import (POST /v2/images/{id}/import) and waiting for it."""

from __future__ import annotations

import time

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import get_image

# Statuses an image passes through while an import works on it.
IMPORT_BUSY = ("uploading", "importing", "saving")
POLL_CAP = 5.0


def import_body(method, uri=None, stores=None, all_stores=False, all_stores_must_succeed=True,
                remote_region=None, remote_image_id=None, remote_service_interface=None):
    """The request body of an import call, with the method's own keys."""
    body = {"method": {"name": method}}
    if method == "web-download":
        body["method"]["uri"] = uri
    elif method == "glance-download":
        body["method"]["glance_region"] = remote_region
        body["method"]["glance_image_id"] = remote_image_id
        if remote_service_interface:
            body["method"]["glance_service_interface"] = remote_service_interface
    if stores:
        body["stores"] = list(stores)
    if all_stores:
        body["all_stores"] = True
    if not all_stores_must_succeed:
        body["all_stores_must_succeed"] = False
    return body


def start_import(client, image_id, method, uri=None, stores=None, all_stores=False, all_stores_must_succeed=True,
                 remote_region=None, remote_image_id=None, remote_service_interface=None):
    """Ask Glance to import data into the image; True when this call started it.

    A 409 while another import holds the image's lock means the import is already at work:
    not an error, the caller waits for it like for its own.
    """
    body = import_body(method, uri, stores, all_stores, all_stores_must_succeed, remote_region, remote_image_id,
                       remote_service_interface)
    try:
        client.request("POST", "/v2/images/%s/import" % image_id, json_body=body, expected=(202,), retry=False)
    except GlanceError as error:
        if error.status == 409 and "in progress" in error.message:
            return False
        raise
    return True


def _newest_task(client, image_id):
    """The newest task of the image (2.12+), or None."""
    try:
        tasks = client.get_json("/v2/images/%s/tasks" % image_id).get("tasks") or []
    except GlanceError:
        return None
    tasks = sorted(tasks, key=lambda task: task.get("updated_at") or "")
    return tasks[-1] if tasks else None


def wait_for_import(client, image_id, timeout, stores=None, sleep=time.sleep, clock=time.monotonic):
    """Poll until the import ends; the active image, or GlanceError with Glance's reason.

    A non-copy import that fails returns the image to ``queued``; with ``stores``, the import is
    done when every one of them holds the data.
    """
    deadline = clock() + timeout
    delay = 0.2
    left_queued = False
    while True:
        image = get_image(client, image_id)
        if image is None:
            raise GlanceError("image %s disappeared during its import" % image_id)
        status = image.get("status")
        failed = [s for s in (image.get("os_glance_failed_import") or "").split(",") if s]
        if failed:
            raise GlanceError("the import into image %s failed for store(s) %s" % (image_id, ", ".join(failed)))
        if status == "active":
            have = set((image.get("stores") or "").split(","))
            if not stores or set(stores) <= have:
                return image
        elif status in IMPORT_BUSY:
            left_queued = True
        elif status == "queued" and not image.get("os_glance_import_task"):
            # Queued with no import lock: the import has not started yet, or it failed already
            # (a small failed download can go and come back between two polls).
            task = _newest_task(client, image_id)
            if left_queued or (task and task.get("status") == "failure"):
                reason = (task or {}).get("message")
                raise GlanceError("the import into image %s failed: the image is queued again%s"
                                  % (image_id, " (%s)" % reason if reason else ""))
        elif status in ("killed", "deleted"):
            raise GlanceError("the import into image %s failed: the image is %s" % (image_id, status))
        if clock() + delay > deadline:
            raise GlanceError("the import into image %s is still %s after %s s (option timeout)"
                              % (image_id, status, timeout))
        sleep(delay)
        delay = min(POLL_CAP, delay * 2)
