#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_tag
short_description: Add and remove tags of an image in the OpenStack Image service (Glance)
version_added: 0.1.0
description:
  - Adds or removes the listed tags, or with O(purge=true) makes the image's tags exactly O(tags).
  - All changes go in one JSON patch of the tag list. (Glance's per-tag URL calls store tags with
    non-ASCII characters garbled when Glance runs under uwsgi, which the patch avoids.)
  - Tags are checked before any write; at most 255 characters each, no duplicates.
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of the image (by name it must be the only visible image of that name).
    type: str
    required: true
  tags:
    description: Tags to add (or to remove with O(state=absent)). Spaces and any Unicode characters are fine.
    type: list
    elements: str
    required: true
  state:
    description: V(present) adds the tags, V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description: With O(state=present), remove every tag that O(tags) does not list.
    type: bool
    default: false
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Tag an image
  imagecat.glance.image_tag:
    cloud: mycloud
    image: ubuntu-24.04
    tags: [lts, "approved 2026-11"]

- name: Exactly these tags
  imagecat.glance.image_tag:
    cloud: mycloud
    image: ubuntu-24.04
    tags: [lts]
    purge: true

- name: Remove a tag
  imagecat.glance.image_tag:
    cloud: mycloud
    image: ubuntu-24.04
    tags: [candidate]
    state: absent
"""

RETURN = r"""
image_id:
  description: Id of the image.
  returned: always
  type: str
tags:
  description: The image's tags after the task (or as they would be in check mode), sorted.
  returned: always
  type: list
  elements: str
  sample: [approved 2026-11, lts]
"""

from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import validate_tags
from ansible_collections.imagecat.glance.plugins.module_utils._images import find_one_image
from ansible_collections.imagecat.glance.plugins.module_utils._tags import plan_tags, replace_tags
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


class ImageTagModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str", required=True),
        tags=dict(type="list", elements="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        purge=dict(type="bool", default=False),
    )

    def run(self):
        p = self.params
        tags = validate_tags(p["tags"])
        image = find_one_image(self.client, p["image"])
        current = sorted(image.get("tags") or [])
        to_add, to_remove = plan_tags(current, tags, p["state"], p["purge"])
        predicted = sorted((set(current) - set(to_remove)) | set(to_add))
        changed = bool(to_add or to_remove)
        if changed and not self.check_mode:
            predicted = sorted(replace_tags(self.client, image["id"], predicted).get("tags") or [])
        return self.result(changed=changed, image_id=image["id"], tags=predicted,
                           before={"tags": current}, after={"tags": predicted})


def main():
    ImageTagModule.execute()


if __name__ == "__main__":
    main()
