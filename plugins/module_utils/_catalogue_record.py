# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the catalogue's record of what it set on an image (its last-applied state).

The record says which fields, tags and property keys the catalogue set on an image, with a short
digest of each value, so that the next run can tell a key it no longer declares (removed or reset)
from a key it never set (left alone), and a value changed by hand (drift) from one it changed itself.

Encoding (version 1), one text, split into Glance properties of at most 255 characters:
``imagecat_catalogue_applied`` holds the first 255, ``imagecat_catalogue_applied_2`` the next, and
so on. The text is ``1;f=<items>;t=<tags>;p=<items>``: fields and properties as ``key:digest``, tags
as names, items separated by commas. In keys and tags ``%``, ``;``, ``,`` and ``:`` are written as
``%25``, ``%3B``, ``%2C`` and ``%3A``. A digest is the first 5 characters of the URL-safe base64 of
the SHA-256 of the value as Glance stores it (``true``/``false`` for booleans, decimal for numbers).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

RECORD_PROPERTY = "imagecat_catalogue_applied"
MAX_VALUE_LENGTH = 255
RECORD_VERSION = "1"
DIGEST_CHARS = 5
_CHUNK = re.compile(r"^%s(?:_([2-9]|[1-9][0-9]+))?$" % RECORD_PROPERTY)


@dataclass
class Record:
    """What the catalogue set on one image: {field: digest}, tags, {property key: digest}."""

    fields: dict = field(default_factory=dict)
    tags: set = field(default_factory=set)
    properties: dict = field(default_factory=dict)


def value_digest(value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    raw = hashlib.sha256(str(value).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")[:DIGEST_CHARS]


def _escape(text):
    return text.replace("%", "%25").replace(";", "%3B").replace(",", "%2C").replace(":", "%3A")


def _items(mapping):
    return ",".join("%s:%s" % (_escape(k), v) for k, v in sorted(mapping.items()))


def encode(record):
    return "%s;f=%s;t=%s;p=%s" % (RECORD_VERSION, _items(record.fields),
                                  ",".join(_escape(t) for t in sorted(record.tags)), _items(record.properties))


def _parse_items(text):
    result = {}
    for item in filter(None, text.split(",")):
        key, sep, digest = item.rpartition(":")
        if not sep:
            raise ValueError("item without a digest: %s" % item)
        result[unquote(key)] = digest
    return result


def decode(text):
    version, sep, rest = text.partition(";")
    if version != RECORD_VERSION:
        raise ValueError("unknown record version %r" % version)
    sections = dict(part.split("=", 1) for part in rest.split(";"))
    return Record(fields=_parse_items(sections["f"]), tags={unquote(t) for t in sections["t"].split(",") if t},
                  properties=_parse_items(sections["p"]))


def chunk_name(number):
    return RECORD_PROPERTY if number == 1 else "%s_%d" % (RECORD_PROPERTY, number)


def is_record_property(key):
    return bool(_CHUNK.match(key))


def record_properties(record):
    """The record as Glance properties: {name: value of at most 255 characters}."""
    text = encode(record)
    chunks = [text[start:start + MAX_VALUE_LENGTH] for start in range(0, len(text), MAX_VALUE_LENGTH)]
    return {chunk_name(number): chunk for number, chunk in enumerate(chunks, 1)}


def read_record(image):
    """The image's record, or None when it has none (made before records) or one this version cannot read."""
    if RECORD_PROPERTY not in image:
        return None
    parts, number = [], 1
    while chunk_name(number) in image:
        parts.append(image[chunk_name(number)])
        number += 1
    try:
        return decode("".join(parts))
    except (ValueError, KeyError):
        return None


def record_ops(image, record):
    """The JSON patch ops that make the image's record properties hold ``record`` (none when they do)."""
    wanted = record_properties(record)
    ops = []
    for key, value in sorted(wanted.items()):
        if image.get(key) != value:
            ops.append({"op": "replace" if key in image else "add", "path": "/" + key, "value": value})
    for key in sorted(k for k in image if is_record_property(k) and k not in wanted):
        ops.append({"op": "remove", "path": "/" + key})
    return ops
