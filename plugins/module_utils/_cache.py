# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the image cache API (Glance 2.14 and later; clean and prune 2.18).

Every call starts with ``GET /v2/cache``: it tells the cache's content, and its
403 (not an admin) or 404 (no cache at this site) turns into a clear error
before anything is written.
"""

from __future__ import annotations

import time

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._waits import CACHE_POLL, poll

# The clear option -> the x-image-cache-clear-target header (None: no header, Glance clears both).
CLEAR_TARGETS = {"cache": "cache", "queue": "queue", "both": None}
CACHE_STATES = ("cached", "queued", "absent")

ADMIN_ONLY = ("the image cache API is for admins only (Glance's cache_list, cache_image, cache_delete, cache_clean "
              "and cache_prune policies default to the admin role): run the task with an admin's credentials "
              "(cloud or auth).")
NO_CACHE = ("this Image service has no image cache: its cache API answers 404 unless the operator sets "
            "image_cache_dir in glance-api.conf.")


def cache_listing(client):
    """{"cached": [entries], "queued": [ids]} from GET /v2/cache, or a clear error (403, 404)."""
    response = client.request("GET", "/v2/cache", expected=(200, 403, 404))
    request_id = response.headers.get("x-openstack-request-id")
    if response.status_code == 403:
        raise GlanceError("GET %s/v2/cache: %s" % (client.root, ADMIN_ONLY), status=403, request_id=request_id)
    if response.status_code == 404:
        raise GlanceError("GET %s/v2/cache: %s" % (client.root, NO_CACHE), status=404, request_id=request_id)
    body = response.json() if response.content else {}
    return dict(cached=list(body.get("cached_images") or []), queued=list(body.get("queued_images") or []))


def cached_ids(listing):
    return sorted(entry.get("image_id") for entry in listing["cached"])


def image_cache_state(listing, image_id):
    """cached, queued or absent."""
    if image_id in cached_ids(listing):
        return "cached"
    if image_id in listing["queued"]:
        return "queued"
    return "absent"


def check_cacheable(image):
    if image.get("status") != "active":
        raise InputError("image: Glance caches only active images; image %s (%s) is %s."
                         % (image.get("name"), image["id"], image.get("status")))


def queue_image(client, image_id):
    """PUT /v2/cache/{id}: Glance 33 hands the image at once to the cache worker of the API process
    that takes the request (202; 200 before 2.16)."""
    client.request("PUT", "/v2/cache/%s" % image_id, expected=(200, 202))


def delete_cached(client, image_id):
    """Remove the image from the cache and the queue; True when Glance had it."""
    return client.request("DELETE", "/v2/cache/%s" % image_id, expected=(204, 404)).status_code == 204


def clear(client, target):
    """DELETE /v2/cache for ``target`` (cache, queue or both)."""
    header = CLEAR_TARGETS[target]
    client.request("DELETE", "/v2/cache", headers={"x-image-cache-clear-target": header} if header else None,
                   expected=(204,))


def clear_would_change(listing, target):
    return bool((target in ("cache", "both") and listing["cached"]) or (target in ("queue", "both") and listing["queued"]))


def check_maintenance(client, option):
    """clean and prune came with the Image API 2.18 (2026.1); refuse them clearly before."""
    if not client.supports("2.18"):
        raise InputError("%s: this Image service does not offer POST /v2/cache/%s (Image API 2.18, Glance 2026.1 "
                         "and later); its API version is %s. Remove the option."
                         % (option, option, client.current_version()))


def clean(client):
    client.request("POST", "/v2/cache/clean", expected=(200, 204), retry=False)


def prune(client):
    """{"total_files_pruned": n, "total_bytes_pruned": n}."""
    response = client.request("POST", "/v2/cache/prune", expected=(200,), retry=False)
    body = response.json() if response.content else {}
    return dict(total_files_pruned=int(body.get("total_files_pruned") or 0),
                total_bytes_pruned=int(body.get("total_bytes_pruned") or 0))


def cache_nodes(client, image_id):
    """The API workers holding the image in their cache (centralized_db driver only; None otherwise)."""
    response = client.request("GET", "/v2/cache/nodes/%s" % image_id, expected=(200, 404, 409))
    if response.status_code != 200:
        return None
    return list(response.json() or [])


def wait_until_cached(client, image_id, timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll GET /v2/cache with capped backoff until the image is cached; returns the listing."""
    def timed_out(listing):
        return GlanceError("image %s is not cached after %s s (option timeout; it is %s in the cache); the log "
                           "of the Image service says why its cache worker did not store it."
                           % (image_id, timeout, image_cache_state(listing, image_id)))
    # (Glance pops the queue entry a moment before it records the cached one: absent is not final.)
    return poll(lambda: cache_listing(client), lambda listing: image_cache_state(listing, image_id) == "cached",
                timeout, CACHE_POLL, timed_out, sleep=sleep, clock=clock)
