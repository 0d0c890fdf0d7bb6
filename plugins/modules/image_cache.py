#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_cache
short_description: Put images into the image cache of the OpenStack Image service (Glance), or take them out
version_added: 0.2.0
description:
  - Sets the state of one image in the Image service's cache (O(image) with O(state)), clears the
    whole cache or its queue (O(clear)), and runs the cache's maintenance (O(clean), O(prune)).
  - Needs an admin. Glance's cache policies (C(cache_list), C(cache_image), C(cache_delete),
    C(cache_clean), C(cache_prune)) default to the admin role; others get a clear error (HTTP 403).
  - Needs a cloud with a cache (C(image_cache_dir) in C(glance-api.conf), Image API 2.14 and later).
    Elsewhere the module fails with a clear error before any write.
  - The cache belongs to the API node that answers (C(worker_self_reference_url)); a cloud with several
    API nodes behind one endpoint has one cache per node.
  - Idempotent. Queueing an image that is already queued or cached, removing one that is not there,
    and clearing an empty cache send no write.
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of the image (by name it must be the only visible image of that name).
    type: str
  state:
    description:
      - With O(image). V(cached) queues the image unless it is cached or queued, and with O(wait) waits
        until it is cached. V(queued) queues it unless it is queued or cached, without waiting.
        V(absent) removes it from the cache and the queue.
      - Glance 33 hands a queued image at once to the cache worker of the API process that took the
        request (no prefetcher interval), so V(queued) images are usually cached within seconds.
    type: str
    choices: [cached, queued, absent]
    default: cached
  wait:
    description: With O(state=cached), wait until the image is cached.
    type: bool
    default: true
  timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 600
  clear:
    description:
      - Empty the cache (V(cache)), the queue (V(queue)), or both (V(both)); Glance's
        C(x-image-cache-clear-target) header. Not with O(image).
    type: str
    choices: [cache, queue, both]
  clean:
    description:
      - Remove invalid and stalled entries (C(POST /v2/cache/clean), Image API 2.18, Glance 2026.1).
        Refused with a clear error where the service does not offer it.
      - The task reports C(changed) when the cache's listing differs afterwards. In check mode it is not
        sent and reported as unchanged, with a warning (its effect cannot be predicted).
    type: bool
    default: false
  prune:
    description:
      - Prune the cache down to the operator's C(image_cache_max_size) (C(POST /v2/cache/prune), Image API
        2.18). Refused with a clear error where the service does not offer it.
      - Reports C(changed) when files were pruned. In check mode it is not sent and reported as unchanged,
        with a warning.
    type: bool
    default: false
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Warm the cache with an image
  imagecat.glance.image_cache:
    cloud: mycloud-admin
    image: ubuntu-24.04

- name: Take it out again
  imagecat.glance.image_cache:
    cloud: mycloud-admin
    image: ubuntu-24.04
    state: absent

- name: Empty the queue only
  imagecat.glance.image_cache:
    cloud: mycloud-admin
    clear: queue

- name: Nightly maintenance
  imagecat.glance.image_cache:
    cloud: mycloud-admin
    clean: true
    prune: true
"""

RETURN = r"""
image_id:
  description: Id of the image, with O(image).
  returned: when O(image) is given
  type: str
cache_state:
  description: The image's state in the cache after the task (predicted in check mode).
  returned: when O(image) is given
  type: str
  sample: cached
cache:
  description: The ids of the cached and the queued images after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    cached_images:
      description: Ids of the cached images.
      type: list
      elements: str
    queued_images:
      description: Ids of the queued images.
      type: list
      elements: str
pruned:
  description: What O(prune) removed.
  returned: when O(prune=true) and not in check mode
  type: dict
  contains:
    total_files_pruned:
      description: Files removed.
      type: int
    total_bytes_pruned:
      description: Bytes removed.
      type: int
"""

from ansible_collections.imagecat.glance.plugins.module_utils import _cache
from ansible_collections.imagecat.glance.plugins.module_utils._images import find_one_image
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


def _ids(listing):
    return dict(cached_images=_cache.cached_ids(listing), queued_images=sorted(listing["queued"]))


class ImageCacheModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str"),
        state=dict(type="str", default="cached", choices=list(_cache.CACHE_STATES)),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=600),
        clear=dict(type="str", choices=sorted(_cache.CLEAR_TARGETS)),
        clean=dict(type="bool", default=False),
        prune=dict(type="bool", default=False),
    )
    module_kwargs = dict(mutually_exclusive=[("image", "clear")],
                         required_one_of=[("image", "clear", "clean", "prune")])

    def run(self):
        p = self.params
        client = self.client
        listing = _cache.cache_listing(client)
        for option in ("clean", "prune"):
            if p[option]:
                _cache.check_maintenance(client, option)
        before = _ids(listing)
        changed = False
        result = {}
        if p["image"]:
            image = find_one_image(client, p["image"])
            state = _cache.image_cache_state(listing, image["id"])
            wanted = p["state"]
            if wanted != "absent" and state == "absent":
                _cache.check_cacheable(image)
                changed = True
                if not self.check_mode:
                    _cache.queue_image(client, image["id"])
                state = "queued"
            elif wanted == "absent" and state != "absent":
                changed = True
                if not self.check_mode:
                    _cache.delete_cached(client, image["id"])
                state = "absent"
            if wanted == "cached" and p["wait"] and state != "cached" and not self.check_mode:
                _cache.wait_until_cached(client, image["id"], p["timeout"])
                state = "cached"
            result.update(image_id=image["id"], cache_state=state)
        if p["clear"] and _cache.clear_would_change(listing, p["clear"]):
            changed = True
            if not self.check_mode:
                _cache.clear(client, p["clear"])
        if (p["clean"] or p["prune"]) and self.check_mode:
            self.warn("check mode: clean and prune are not sent, and their effect cannot be predicted.")
        elif p["clean"] or p["prune"]:
            seen = _ids(_cache.cache_listing(client)) if p["clean"] else None
            if p["clean"]:
                _cache.clean(client)
            if p["prune"]:
                result["pruned"] = _cache.prune(client)
                changed = changed or result["pruned"]["total_files_pruned"] > 0
            if p["clean"]:
                changed = changed or _ids(_cache.cache_listing(client)) != seen
        after = self.predicted(before, result.get("image_id"), result.get("cache_state"))
        if changed and not self.check_mode:
            after = _ids(_cache.cache_listing(client))
        return self.result(changed=changed, cache=after, before=before, after=after, **result)

    def predicted(self, before, image_id, state):
        """The listing as the task leaves it, from what it did (check mode: would do)."""
        cached = [i for i in before["cached_images"] if i != image_id or state == "cached"]
        queued = [i for i in before["queued_images"] if i != image_id or state == "queued"]
        if image_id and state == "queued" and image_id not in queued:
            queued.append(image_id)
        if image_id and state == "cached" and image_id not in cached:
            cached.append(image_id)
        if self.params["clear"] in ("cache", "both"):
            cached = []
        if self.params["clear"] in ("queue", "both"):
            queued = []
        return dict(cached_images=sorted(cached), queued_images=sorted(queued))


def main():
    ImageCacheModule.execute()


if __name__ == "__main__":
    main()
