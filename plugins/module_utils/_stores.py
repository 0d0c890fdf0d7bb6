# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: which stores of a multi-store cloud hold an image's data.

Adding stores goes through the import code (copy-image, _imports.py); removing
one is ``DELETE /v2/stores/{store}/{image}``. Every refusal Glance would give
(unknown or read-only store, the last copy) is given before any write.
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.imagecat.glance.plugins.module_utils._imports import (
    check_import_request,
    enabled_import_methods,
    image_stores,
    start_import,
    wait_for_import,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError


def store_details(client):
    """{store id: {type, weight, properties}} from GET /v2/info/stores/detail (admins and services,
    Image API 2.15); {} where the caller may not read it or the cloud has a single store."""
    if not client.supports("2.15"):
        return {}
    body = client.get_json("/v2/info/stores/detail", expected=(200, 403, 404))
    return {store.get("id"): dict(type=store.get("type"), weight=store.get("weight"),
                                  properties=store.get("properties") or {})
            for store in body.get("stores") or []}


def plan_stores(image, stores, requested, state):
    """(to_add, to_remove) for an image, or an InputError naming ``stores``.

    ``stores`` is what list_stores() returned; ``requested`` the option's store ids.
    """
    known = [store["id"] for store in stores]
    if not stores:
        raise InputError("stores: this cloud has a single store (GET /v2/info/stores answers 404), so an image "
                         "cannot be added to or removed from stores.")
    unknown = [store for store in requested if store not in known]
    if unknown:
        raise InputError("stores: this cloud has no store %s; its stores: %s."
                         % (", ".join("'%s'" % store for store in unknown), ", ".join(known)))
    if image.get("status") != "active":
        raise InputError("image: image %s (%s) is %s; only an active image's data can be copied to or removed "
                         "from stores." % (image.get("name"), image["id"], image.get("status")))
    current = image_stores(image)
    if state == "present":
        return [store for store in requested if store not in current], []
    to_remove = [store for store in requested if store in current]
    if to_remove and not [store for store in current if store not in to_remove]:
        raise InputError("stores: removing %s would leave image %s without data: it is only in %s, and Glance "
                         "refuses to delete the last copy. Keep one store, or delete the image "
                         "(imagecat.glance.image with state: absent)."
                         % (", ".join(to_remove), image["id"], ", ".join(current)))
    return [], to_remove


def check_copy(client, stores, to_add):
    """copy-image must be enabled and the stores writable (checked by the import code's own check)."""
    if not to_add:
        return
    enabled = enabled_import_methods(client)
    if "copy-image" not in enabled:
        raise InputError("stores: adding an image to stores needs the copy-image import method, which this cloud "
                         "does not enable (enabled: %s)." % (", ".join(enabled) or "none"))
    check_import_request("copy-image", enabled, stores, requested=to_add)


def copy_to_stores(client, image_id, to_add, timeout):
    """copy-image into the missing stores only, all of them or none; returns the image after the copy."""
    start_import(client, image_id, "copy-image", stores=to_add)
    return wait_for_import(client, image_id, timeout, stores=to_add)


def remove_from_store(client, image_id, store):
    """DELETE /v2/stores/{store}/{image}; True when this call removed it (404: already gone)."""
    response = client.request("DELETE", "/v2/stores/%s/%s" % (quote(store, safe=""), image_id),
                              expected=(204, 404))
    return response.status_code == 204
