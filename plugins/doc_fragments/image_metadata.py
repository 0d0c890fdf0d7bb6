# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Image metadata options shared by the image and image_import modules."""

    DOCUMENTATION = r"""
options:
  name:
    description:
      - Image name. Without O(id), the image is looked up by name among the images of its owner's
        project (O(owner), by default the caller's project), hidden ones included. Two images with this
        name make the task fail, listing their ids.
      - With O(id), the image is looked up by id and renamed to O(name) when the names differ.
    type: str
  id:
    description:
      - Image id (a UUID). Looks the image up by id; when creating, the new image gets this id.
      - Without it, a new image gets an id derived from its project and name, the same in every run, so
        two runs of one task at the same moment create one image.
    type: str
  disk_format:
    description:
      - Disk format, one of the cloud's (C(qcow2), C(raw), C(iso), ... as its image schema lists them).
      - Fixed once the image has data; Glance refuses to change it then.
    type: str
  container_format:
    description:
      - Container format, one of the cloud's (usually C(bare)). Fixed once the image has data, like O(disk_format).
    type: str
  visibility:
    description:
      - Who may see the image. V(public) needs an admin.
    type: str
    choices: [public, private, shared, community]
  protected:
    description:
      - Whether the image is protected from deletion.
    type: bool
  hidden:
    description:
      - Whether the image is hidden from default image lists (Glance's C(os_hidden)).
    type: bool
  min_disk:
    description: Minimum disk size in GB to boot the image.
    type: int
  min_ram:
    description: Minimum RAM in MB to boot the image.
    type: int
  kernel:
    description: Name or id of the kernel image; stored as the C(kernel_id) property.
    type: str
  ramdisk:
    description: Name or id of the ramdisk image; stored as the C(ramdisk_id) property.
    type: str
  owner:
    description:
      - Name or id of the project that owns the image. Setting another project than the caller's needs an admin.
      - Also narrows the look-up by O(name) to that project.
    type: str
  properties:
    description:
      - Custom properties. Values are stored as strings; numbers become their decimal form and booleans
        V(true)/V(false).
      - Keys Glance reserves (C(os_glance_*), read-only fields such as C(checksum), C(size), C(status))
        and values that are lists or dicts are refused before anything is sent.
    type: dict
  purge_properties:
    description:
      - Remove custom properties that O(properties) does not list (C(kernel_id) and C(ramdisk_id)
        are left to O(kernel) and O(ramdisk)).
    type: bool
    default: false
  tags:
    description: Tags the image must have.
    type: list
    elements: str
  purge_tags:
    description: Remove tags that O(tags) does not list.
    type: bool
    default: false
"""
