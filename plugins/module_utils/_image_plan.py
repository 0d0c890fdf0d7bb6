# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: what an image should look like, and the patch to get there.

Pure functions, no I/O: desired metadata from the options a user set, the
minimal JSON patch against the image Glance has, the predicted image for check
mode, and the managed view that diff mode shows.
"""

from __future__ import annotations

import re

from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    is_uuid,
    property_value_to_string,
)

# Fields of the image resource itself; everything else on an image is a custom property.
BASE_FIELDS = frozenset((
    "id", "name", "status", "visibility", "protected", "os_hidden", "owner", "container_format",
    "disk_format", "min_disk", "min_ram", "tags", "size", "virtual_size", "checksum", "os_hash_algo",
    "os_hash_value", "created_at", "updated_at", "self", "file", "schema", "direct_url", "locations",
    "stores",
))
# Keys Glance refuses in properties (read-only or reserved), besides anything starting os_glance.
RESERVED_PROPERTY_KEYS = frozenset(("location", "locations", "deleted", "deleted_at")) | BASE_FIELDS
# Custom properties that options of the image module manage, so purge_properties leaves them alone.
OPTION_PROPERTIES = frozenset(("kernel_id", "ramdisk_id"))
DIGEST_ALGORITHMS = {"sha512": 128, "sha256": 64, "md5": 32}
# Glance's image schema: a name, a tag and a property key are each at most 255 characters.
MAX_LENGTH = 255

# image module option -> Glance field, for the options that map one to one.
FIELD_OPTIONS = (
    ("disk_format", "disk_format"),
    ("container_format", "container_format"),
    ("visibility", "visibility"),
    ("protected", "protected"),
    ("hidden", "os_hidden"),
    ("min_disk", "min_disk"),
    ("min_ram", "min_ram"),
)
# Fields shown in diff mode (besides custom properties).
MANAGED_FIELDS = ("name", "status", "disk_format", "container_format", "visibility", "protected",
                  "os_hidden", "min_disk", "min_ram", "owner", "tags", "os_hash_algo", "os_hash_value")


def is_custom_property(key):
    return key not in BASE_FIELDS and not key.startswith("os_glance")


def custom_properties(image):
    return {k: v for k, v in (image or {}).items() if is_custom_property(k)}


def validate_properties(properties):
    """User properties -> {key: str}; refuses what Glance would refuse, naming the key."""
    result = {}
    for key, value in (properties or {}).items():
        key = str(key)
        if key.startswith("os_glance") or key in RESERVED_PROPERTY_KEYS:
            hint = ""
            if key in ("visibility", "protected", "min_disk", "min_ram", "disk_format", "container_format",
                       "name", "owner", "tags", "os_hidden"):
                hint = " Use the %s option instead." % ("hidden" if key == "os_hidden" else key)
            raise InputError("properties.%s: '%s' is reserved or read-only in Glance and cannot be set as a "
                             "property.%s" % (key, key, hint))
        if len(key) > MAX_LENGTH:
            raise InputError("properties: the key '%s...' is %d characters long; Glance allows at most %d."
                             % (key[:40], len(key), MAX_LENGTH))
        try:
            result[key] = property_value_to_string(value)
        except TypeError:
            raise InputError("properties.%s: values must be strings, numbers or booleans, not %s; "
                             "encode structured data as a string (for example with to_json)."
                             % (key, "null" if value is None else type(value).__name__))
    return result


def validate_name(name, option="name"):
    """An image name Glance takes: not empty, at most 255 characters. The one check of names, used by
    every module that writes one and by the catalogue, before any request."""
    if name is None:
        return None
    name = str(name)
    if not name.strip():
        raise InputError("%s: the image name is empty%s; give the image's name." % (
            option, "" if not name else " (only whitespace)"))
    if len(name) > MAX_LENGTH:
        raise InputError("%s: the image name '%s...' is %d characters long; Glance allows at most %d. Shorten it."
                         % (option, name[:40], len(name), MAX_LENGTH))
    return name


def validate_tags(tags, option="tags"):
    """Tags Glance takes: none empty (Glance's tag calls cannot name an empty tag), none longer than
    255 characters, none twice. The one check of tags, used by every module and the catalogue."""
    result = []
    for tag in tags or []:
        tag = str(tag)
        if not tag:
            raise InputError("%s: an empty tag ('') is listed; remove it (Glance's tag calls cannot name an "
                             "empty tag)." % option)
        if len(tag) > MAX_LENGTH:
            raise InputError("%s: the tag '%s...' is %d characters long; Glance allows at most %d. Shorten it."
                             % (option, tag[:40], len(tag), MAX_LENGTH))
        if tag in result:
            raise InputError("%s: the tag '%s' is listed twice." % (option, tag))
        result.append(tag)
    return result


def parse_checksum(value):
    """'sha256:ab12...' -> ('sha256', 'ab12...'), refusing anything else with the fix."""
    if value is None:
        return None
    algo, sep, digest = str(value).strip().partition(":")
    algo = algo.lower()
    digest = digest.lower()
    if not sep or algo not in DIGEST_ALGORITHMS:
        raise InputError("checksum: write it as <algorithm>:<hex digest> with algorithm one of %s, "
                         "for example sha256:9f86d0...; got '%s'." % (", ".join(DIGEST_ALGORITHMS), value))
    if len(digest) != DIGEST_ALGORITHMS[algo] or not re.match(r"^[0-9a-f]+$", digest):
        raise InputError("checksum: a %s digest is %d hexadecimal characters; got %d characters."
                         % (algo, DIGEST_ALGORITHMS[algo], len(digest)))
    return algo, digest


def validate_id(value):
    if value is not None and not is_uuid(value):
        raise InputError("id: '%s' is not a UUID (for example 3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00)." % value)
    return value


def desired_fields(params, resolved=None):
    """Glance fields and values for the options the user set (None means: not set, not managed).

    ``resolved`` carries values looked up elsewhere: owner (project id), kernel_id, ramdisk_id.
    """
    desired = {}
    for option, field in FIELD_OPTIONS:
        if params.get(option) is not None:
            desired[field] = params[option]
    for field, value in (resolved or {}).items():
        if value is not None:
            desired[field] = value
    return desired


def desired_tags(current_tags, tags, purge):
    """The tag list to have, or None when tags are not managed."""
    if tags is None:
        return None
    if purge:
        return list(tags)
    current = list(current_tags or [])
    return current + [tag for tag in tags if tag not in current]


def escape_pointer(key):
    return key.replace("~", "~0").replace("/", "~1")


def build_patch(current, name=None, fields=None, properties=None, purge_properties=False, tags=None):
    """The minimal JSON patch (RFC 6902 ops as Glance takes them) from current to desired."""
    ops = []
    if name is not None and current.get("name") != name:
        ops.append({"op": "replace", "path": "/name", "value": name})
    for field, value in sorted((fields or {}).items()):
        if current.get(field) != value:
            # kernel_id/ramdisk_id are custom properties: add, since replace needs the key to exist.
            op = "replace" if field in BASE_FIELDS or field in current else "add"
            ops.append({"op": op, "path": "/" + escape_pointer(field), "value": value})
    have = custom_properties(current)
    for key, value in sorted((properties or {}).items()):
        if have.get(key) != value:
            ops.append({"op": "replace" if key in have else "add", "path": "/" + escape_pointer(key),
                        "value": value})
    if purge_properties:
        keep = set(properties or {}) | OPTION_PROPERTIES | set(fields or {})
        for key in sorted(set(have) - keep):
            ops.append({"op": "remove", "path": "/" + escape_pointer(key)})
    if tags is not None and sorted(set(current.get("tags") or [])) != sorted(set(tags)):
        ops.append({"op": "replace", "path": "/tags", "value": list(tags)})
    return ops


def apply_patch(image, ops):
    """What Glance will return after ``ops``: the predicted image for check mode."""
    result = dict(image)
    for op in ops:
        key = op["path"][1:].replace("~1", "/").replace("~0", "~")
        if op["op"] == "remove":
            result.pop(key, None)
        else:
            result[key] = op["value"]
    return result


def create_body(image_id, name, fields=None, properties=None, tags=None):
    """The POST /v2/images body: everything desired, in one request."""
    body = {"id": image_id}
    if name is not None:
        body["name"] = name
    body.update(fields or {})
    body.update(properties or {})
    if tags:
        body["tags"] = list(tags)
    return body


def predicted_new_image(body, has_data):
    """A check-mode stand-in for an image that would be created."""
    image = {"name": None, "status": "active" if has_data else "queued", "visibility": "shared",
             "protected": False, "os_hidden": False, "min_disk": 0, "min_ram": 0, "tags": [],
             "disk_format": None, "container_format": None}
    image.update(body)
    return image


def managed_view(image):
    """The part of an image that diff mode shows: fields the module manages and custom properties."""
    if not image:
        return {}
    view = {field: image.get(field) for field in MANAGED_FIELDS if field in image}
    if "tags" in view:
        view["tags"] = sorted(view["tags"] or [])
    view["properties"] = dict(sorted(custom_properties(image).items()))
    return view
