# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the image metadata options that several modules share.

One argument spec (documented once, in the ``image_metadata`` doc fragment), the
checks that need no cloud, the look-up of the image by id or by name, and the
Glance fields those options ask for. Used by the image and image_import modules.
"""

from __future__ import annotations

from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    build_patch,
    desired_fields,
    desired_tags,
    validate_id,
    validate_name,
    validate_properties,
    validate_tags,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    allowed_values,
    create_image,
    find_image_by_name,
    find_one_image,
    get_image,
    named_image_id,
    named_image_ids,
)
from ansible_collections.imagecat.glance.plugins.module_utils._projects import resolve_project

IMAGE_METADATA_ARGSPEC = dict(
    name=dict(type="str"),
    id=dict(type="str"),
    disk_format=dict(type="str"),
    container_format=dict(type="str"),
    visibility=dict(type="str", choices=["public", "private", "shared", "community"]),
    protected=dict(type="bool"),
    hidden=dict(type="bool"),
    min_disk=dict(type="int"),
    min_ram=dict(type="int"),
    kernel=dict(type="str"),
    ramdisk=dict(type="str"),
    owner=dict(type="str"),
    properties=dict(type="dict"),
    purge_properties=dict(type="bool", default=False),
    tags=dict(type="list", elements="str"),
    purge_tags=dict(type="bool", default=False),
)
# A module that uses the spec needs one of these to find the image.
IMAGE_METADATA_REQUIRED_ONE_OF = [("name", "id")]
FORMAT_FIELDS = ("disk_format", "container_format")


class ImageMetadata:
    """The metadata options of one task: checked without the cloud on creation,
    then resolved against it (owner, kernel, ramdisk, the cloud's formats)."""

    def __init__(self, params):
        self.params = params
        validate_id(params["id"])
        validate_name(params["name"])
        self.properties = validate_properties(params["properties"]) if params["properties"] is not None else None
        self.tags = validate_tags(params["tags"]) if params["tags"] is not None else None
        for option in ("min_disk", "min_ram"):
            if params[option] is not None and params[option] < 0:
                raise InputError("%s must be 0 or more." % option)
        self.owner_id = None

    def resolve_owner(self, connection):
        """The owner option as a project id (a look-up in Keystone); None when not set."""
        if self.params["owner"]:
            self.owner_id = resolve_project(connection, self.params["owner"], "owner")
        return self.owner_id

    def scope(self, connection):
        """The project whose images the name is looked up among (and new images are made for)."""
        return self.owner_id or connection.project_id()

    def new_image(self, client, connection, body, publisher):
        """Create a new image: under the id option, or under an id derived from the name, so that two
        runs creating it at the same moment make one image (never adopting another project's image:
        see ``Publisher.create``). Returns (image, made_here)."""
        if self.params["id"]:
            return create_image(client, dict(body, id=self.params["id"])), True
        name, scope = self.params["name"], self.scope(connection)
        return publisher.create(dict(body), named_image_ids(scope, name), {"name": name},
                                siblings=lambda: find_image_by_name(client, name, scope))

    def new_image_id(self, connection):
        """The id new_image() tries first: for check mode's prediction."""
        return self.params["id"] or named_image_id(self.scope(connection), self.params["name"])

    def find_current(self, client, connection):
        """The image by id, or the only image of that name in the owner's project (None: none)."""
        params = self.params
        if params["id"]:
            return get_image(client, params["id"])
        candidates = find_image_by_name(client, params["name"], self.scope(connection))
        if len(candidates) > 1:
            raise InputError("name: %d images are named '%s': %s. Give id to choose one."
                             % (len(candidates), params["name"], ", ".join(i["id"] for i in candidates)))
        return candidates[0] if candidates else None

    def desired(self, client, current):
        """Glance fields this task manages (owner, kernel and ramdisk resolved)."""
        params = self.params
        resolved = {}
        if self.owner_id:
            resolved["owner"] = self.owner_id
        for option, field in (("kernel", "kernel_id"), ("ramdisk", "ramdisk_id")):
            if params[option]:
                resolved[field] = find_one_image(client, params[option], option)["id"]
        fields = desired_fields(params, resolved)
        for field in FORMAT_FIELDS:
            if field in fields and (current is None or current.get(field) != fields[field]):
                allowed = allowed_values(client, field)
                if allowed and fields[field] not in allowed:
                    raise InputError("%s: '%s' is not one of this cloud's formats: %s."
                                     % (field, fields[field], ", ".join(allowed)))
        return fields

    def patch(self, current, fields):
        """The JSON patch that brings ``current`` to what the options ask (name only with id)."""
        params = self.params
        return build_patch(current, name=params["name"] if params["id"] else None, fields=fields,
                           properties=self.properties, purge_properties=params["purge_properties"],
                           tags=desired_tags(current.get("tags"), self.tags, params["purge_tags"]))
