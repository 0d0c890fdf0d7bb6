#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_cache_info
short_description: List the cached and queued images of the OpenStack Image service (Glance) cache
version_added: 0.2.0
description:
  - Lists the images in the Image service's cache and its queue (C(GET /v2/cache)); with O(image), only
    that image, and the API nodes whose cache holds it (C(GET /v2/cache/nodes/{id}), C(centralized_db)
    cache driver only).
  - Needs an admin (Glance's C(cache_list) policy defaults to the admin role; others get a clear error,
    HTTP 403) and a cloud with a cache (C(image_cache_dir) set; elsewhere a clear error, HTTP 404).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of one image to report on.
    type: str
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: What is in the cache?
  imagecat.glance.image_cache_info:
    cloud: mycloud-admin
  register: cache

- name: Is this image cached?
  imagecat.glance.image_cache_info:
    cloud: mycloud-admin
    image: ubuntu-24.04
  register: one

- name: Say so
  ansible.builtin.debug:
    msg: "{{ one.cache_state }}"
"""

RETURN = r"""
cached_images:
  description: The cached images (with O(image), at most that one).
  returned: always
  type: list
  elements: dict
  contains:
    image_id:
      description: Id of the image.
      type: str
    size:
      description: Bytes the cached copy takes.
      type: int
    hits:
      description: How often the cache served it.
      type: int
    last_accessed:
      description: When it was last served, seconds since the epoch.
      type: float
    last_modified:
      description: When it was cached, seconds since the epoch.
      type: float
    checksum:
      description: MD5 of the cached data (C(centralized_db) driver).
      type: str
queued_images:
  description: Ids of the images queued for caching (with O(image), at most that one).
  returned: always
  type: list
  elements: str
image_id:
  description: Id of the image, with O(image).
  returned: when O(image) is given
  type: str
cache_state:
  description: V(cached), V(queued) or V(absent), with O(image).
  returned: when O(image) is given
  type: str
nodes:
  description: URLs of the API nodes whose cache holds the image; null where the cache driver does not track nodes.
  returned: when O(image) is given
  type: list
  elements: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils import _cache
from ansible_collections.imagecat.glance.plugins.module_utils._images import find_one_image
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


class ImageCacheInfoModule(GlanceModule):
    argument_spec = dict(image=dict(type="str"))
    read_only = True

    def run(self):
        listing = _cache.cache_listing(self.client)
        cached, queued = listing["cached"], sorted(listing["queued"])
        result = {}
        if self.params["image"]:
            image = find_one_image(self.client, self.params["image"])
            cached = [entry for entry in cached if entry.get("image_id") == image["id"]]
            queued = [image_id for image_id in queued if image_id == image["id"]]
            result.update(image_id=image["id"], cache_state=_cache.image_cache_state(listing, image["id"]),
                          nodes=_cache.cache_nodes(self.client, image["id"]))
        return self.result(cached_images=sorted(cached, key=lambda e: e.get("image_id") or ""),
                           queued_images=queued, **result)


def main():
    ImageCacheInfoModule.execute()


if __name__ == "__main__":
    main()
