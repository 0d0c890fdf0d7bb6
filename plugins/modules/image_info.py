#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_info
short_description: List images of the OpenStack Image service (Glance)
version_added: 0.1.0
description:
  - Returns the images that match O(image) and O(filters), in Glance's own field shape.
  - Every page of the listing is followed, however many images match.
  - With O(api), images are read from Image API v1 or Compute's images proxy as well, and returned in the
    same shape (see the notes for the field mapping and the filters each legacy API can apply).
  - Follows Glance's listing rules; for example hidden images (C(os_hidden)) appear only with
    O(filters.os_hidden=true), and other projects' community images only with O(filters.visibility=community)
    or V(all). An O(image) given by id is found even when hidden.
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description:
      - Name or id of one image. An id (UUID) is looked up directly first; when no image has that id,
        it is tried as a name.
      - Several images may share a name; all of them are returned.
    type: str
    aliases: [name, id]
  filters:
    description:
      - Glance list filters. Every filter given must match.
    type: dict
    default: {}
    suboptions:
      name:
        description:
          - Exact image name. V(in:a,b) matches any of several names; a name containing a comma must
            be double-quoted inside V(in:).
        type: str
      id:
        description: Exact image id, or V(in:<id>,<id>).
        type: str
      status:
        description: Image status (V(active), V(queued), V(deactivated), ...), or V(in:<status>,<status>).
        type: str
      visibility:
        description: Only images with this visibility; V(all) lists every visibility the caller may see.
        type: str
        choices: [public, private, shared, community, all]
      member_status:
        description: For images shared with the caller, the caller's membership status.
        type: str
        choices: [accepted, pending, rejected, all]
      owner:
        description: Id of the project that owns the images.
        type: str
      tag:
        description: Tags that must all be present.
        type: list
        elements: str
      size_min:
        description: Minimum size in bytes (inclusive).
        type: int
      size_max:
        description: Maximum size in bytes (inclusive).
        type: int
      protected:
        description: Only protected (V(true)) or unprotected (V(false)) images.
        type: bool
      os_hidden:
        description: V(true) lists only hidden images; V(false) (Glance's default) only visible ones.
        type: bool
      disk_format:
        description: Disk format, or V(in:<format>,<format>).
        type: str
      container_format:
        description: Container format, or V(in:<format>,<format>).
        type: str
      checksum:
        description: MD5 checksum of the image data.
        type: str
      os_hash_value:
        description: Multihash value (sha512 by default) of the image data.
        type: str
      created_at:
        description:
          - Creation time as C(<operator>:<ISO 8601 time>), operator one of V(gt), V(gte), V(eq), V(neq),
            V(lt), V(lte), for example V(gte:2026-01-31T00:00:00Z). A bare time means V(eq).
        type: str
      updated_at:
        description: Last update time, in the form of O(filters.created_at).
        type: str
      sort:
        description:
          - Sort order as C(key:dir,key:dir), keys among V(name), V(status), V(container_format),
            V(disk_format), V(size), V(id), V(created_at), V(updated_at); the direction defaults to V(desc).
          - Not together with O(filters.sort_key) or O(filters.sort_dir).
        type: str
      sort_key:
        description: Sort keys (the classic form of O(filters.sort)).
        type: list
        elements: str
      sort_dir:
        description: One direction for all sort keys, or one per sort key.
        type: list
        elements: str
        choices: [asc, desc]
  properties:
    description:
      - Custom property filters, exact match, for example C(os_distro=ubuntu).
      - Values are compared as the strings Glance stores; booleans as V(true)/V(false).
    type: dict
    default: {}
  page_size:
    description:
      - Images asked for per request. The server caps it at its C(api_limit_max) (1000 by default).
    type: int
    default: 1000
extends_documentation_fragment:
  - imagecat.glance.legacy_api
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: List every image the project can see
  imagecat.glance.image_info:
    cloud: mycloud
  register: result

- name: Find an image by name (or id)
  imagecat.glance.image_info:
    cloud: mycloud
    image: ubuntu-24.04
  register: ubuntu

- name: Active public Ubuntu images tagged 'lts', newest first
  imagecat.glance.image_info:
    cloud: mycloud
    filters:
      visibility: public
      status: active
      tag: [lts]
      sort: created_at:desc
    properties:
      os_distro: ubuntu
  register: lts

- name: Images created since the start of 2026
  imagecat.glance.image_info:
    cloud: mycloud
    filters:
      created_at: gte:2026-01-01T00:00:00Z

- name: An old region whose image service serves only Image API v1 (api auto finds it)
  imagecat.glance.image_info:
    cloud: old-region
    filters:
      visibility: public

- name: A Compute-only cloud, through Compute's images proxy
  imagecat.glance.image_info:
    cloud: vendor
    api: compute
    filters:
      status: active

- name: A standalone Glance with no Keystone
  imagecat.glance.image_info:
    endpoint: http://glance.example.com:9292
    token: "{{ glance_token }}"
"""

RETURN = r"""
images:
  description:
    - The matching images in Glance's own field shape, custom properties at the top level.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Image id.
      type: str
      sample: 3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00
    name:
      description: Image name.
      type: str
      sample: ubuntu-24.04
    status:
      description: Image status.
      type: str
      sample: active
    visibility:
      description: Image visibility.
      type: str
      sample: shared
    owner:
      description: Id of the owning project.
      type: str
    disk_format:
      description: Disk format.
      type: str
      sample: qcow2
    container_format:
      description: Container format.
      type: str
      sample: bare
    size:
      description: Size of the data in bytes, null without data.
      type: int
    os_hash_algo:
      description: Algorithm of O(filters.os_hash_value).
      type: str
      sample: sha512
    os_hash_value:
      description: Digest of the data.
      type: str
    tags:
      description: Tags.
      type: list
      elements: str
    protected:
      description: Whether the image is protected from deletion.
      type: bool
    os_hidden:
      description: Whether the image is hidden from default listings.
      type: bool
    created_at:
      description: Creation time.
      type: str
      sample: "2026-11-22T18:13:49Z"
    legacy:
      description:
        - Only for images read with O(api=image_v1) or O(api=compute) - what the legacy API said that has no v2
          twin, and the v2 fields it does not carry (absent from the image).
      type: dict
      returned: when the images came from a legacy API
      version_added: 0.2.0
      contains:
        api:
          description: V(image_v1) or V(compute).
          type: str
          sample: compute
        missing:
          description: The v2 fields this API does not carry.
          type: list
          elements: str
          sample: [visibility, owner, tags, os_hash_value]
        status:
          description: Compute's status (V(compute) only).
          type: str
          sample: ACTIVE
        progress:
          description: Compute's progress in percent (V(compute) only).
          type: int
        links:
          description: Compute's links (self, bookmark, alternate) (V(compute) only).
          type: list
          elements: dict
        server:
          description: The server a snapshot was made from (V(compute) only, snapshots only).
          type: dict
        is_public:
          description: v1's C(is_public) (V(image_v1) only).
          type: bool
        deleted:
          description: v1's C(deleted) (V(image_v1) only).
          type: bool
        deleted_at:
          description: v1's C(deleted_at) (V(image_v1) only).
          type: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    FILTERS_ARGSPEC,
    build_list_query,
)
from ansible_collections.imagecat.glance.plugins.module_utils._legacy import LEGACY_ARGSPEC, open_reader
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


class ImageInfoModule(GlanceModule):
    read_only = True
    argument_spec = dict(
        image=dict(type="str", aliases=["name", "id"]),
        filters=dict(type="dict", default={}, options=FILTERS_ARGSPEC),
        properties=dict(type="dict", default={}),
        page_size=dict(type="int", default=1000),
        **LEGACY_ARGSPEC
    )

    def run(self):
        if self.params["page_size"] < 1:
            self.module.fail_json(msg="page_size must be 1 or more.")
        query = build_list_query(self.params["filters"], self.params["properties"])
        # The api option picks the reader; legacy ones return the v2 shape too.
        find = open_reader(self.connection, self.params["api"], self.params["compute_endpoint"], query)
        images = find(self.params["image"], query, self.params["page_size"])
        return self.result(images=images)


def main():
    ImageInfoModule.execute()


if __name__ == "__main__":
    main()
