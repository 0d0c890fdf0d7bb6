#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_store
short_description: Keep an image's data in given stores of a multi-store OpenStack Image service (Glance)
version_added: 0.2.0
description:
  - With O(state=present), copies the image's data into those of O(stores) that do not hold it yet, with
    Glance's C(copy-image) import (all of them or none), and waits for the copy.
  - With O(state=absent), removes the data from those of O(stores) that hold it
    (C(DELETE /v2/stores/{store}/{image})).
  - Refuses, before any write, a store the cloud does not have, a read-only store, a cloud with a single
    store, an image that is not active, and removing the last store that holds the image.
  - Both calls are admin-only with Glance's default policies (C(copy_image), C(delete_image_location)).
  - The stores themselves, with their type, weight and driver properties for admins, are listed by
    M(imagecat.glance.service_info) (its C(features.stores)).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of the image (by name it must be the only visible image of that name).
    type: str
    required: true
  stores:
    description: Ids of the stores (as M(imagecat.glance.service_info) lists them).
    type: list
    elements: str
    required: true
  state:
    description: V(present) adds the image to the stores that lack it, V(absent) removes it from them.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description: Seconds to wait for a copy.
    type: int
    default: 900
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Keep a copy of the image in the cheap store too
  imagecat.glance.image_store:
    cloud: mycloud-admin
    image: ubuntu-24.04
    stores: [cheap]

- name: Free the fast store
  imagecat.glance.image_store:
    cloud: mycloud-admin
    image: ubuntu-24.04
    stores: [fast]
    state: absent
"""

RETURN = r"""
image_id:
  description: Id of the image.
  returned: always
  type: str
stores:
  description: The stores holding the image's data after the task (predicted in check mode), sorted.
  returned: always
  type: list
  elements: str
  sample: [cheap, fast]
added:
  description: The stores the data was (or would be) copied to.
  returned: always
  type: list
  elements: str
removed:
  description: The stores the data was (or would be) removed from.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils import _stores
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import find_one_image, get_image
from ansible_collections.imagecat.glance.plugins.module_utils._imports import image_stores, list_stores
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

ADMIN_HINT = (" (Glance's copy_image and delete_image_location policies, which copying to and removing from "
              "stores need, default to the admin role)")


class ImageStoreModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str", required=True),
        stores=dict(type="list", elements="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        timeout=dict(type="int", default=900),
    )

    def run(self):
        p = self.params
        client = self.client
        stores = list_stores(client)
        image = find_one_image(client, p["image"])
        to_add, to_remove = _stores.plan_stores(image, stores, p["stores"], p["state"])
        _stores.check_copy(client, stores, to_add)
        current = sorted(image_stores(image))
        predicted = sorted((set(current) | set(to_add)) - set(to_remove))
        changed = bool(to_add or to_remove)
        if changed and not self.check_mode:
            try:
                for store in to_remove:
                    _stores.remove_from_store(client, image["id"], store)
                if to_add:
                    _stores.copy_to_stores(client, image["id"], to_add, p["timeout"])
            except GlanceError as error:
                if error.status == 403:
                    error.message += ADMIN_HINT
                raise
            predicted = sorted(image_stores(get_image(client, image["id"]) or {}))
        return self.result(changed=changed, image_id=image["id"], stores=predicted, added=to_add,
                           removed=to_remove, before={"stores": current}, after={"stores": predicted})


def main():
    ImageStoreModule.execute()


if __name__ == "__main__":
    main()
