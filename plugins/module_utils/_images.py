# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: image look-ups and list queries.

Pure functions turn user filters into Glance's query parameters and refuse
values Glance would answer with 400, so the error names the option instead.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime
from urllib.parse import quote

from ansible_collections.imagecat.glance.plugins.module_utils._errors import GlanceError, InputError  # noqa: F401
from ansible_collections.imagecat.glance.plugins.module_utils._glance import JSON_PATCH_TYPE
from ansible_collections.imagecat.glance.plugins.module_utils._waits import IMAGE_POLL, poll

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")

IMAGE_STATUSES = ("queued", "saving", "active", "killed", "deleted", "pending_delete",
                  "deactivated", "uploading", "importing")
VISIBILITY_FILTERS = ("public", "private", "shared", "community", "all")
MEMBER_STATUS_FILTERS = ("accepted", "pending", "rejected", "all")
SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id",
             "created_at", "updated_at")
SORT_DIRS = ("asc", "desc")
TIME_OPERATORS = ("gt", "gte", "eq", "neq", "lt", "lte")
# Fields that Glance filters with an optional eq:/in: operator.
OPERATOR_FIELDS = ("name", "id", "status", "disk_format", "container_format")
DEFAULT_PAGE_SIZE = 1000
# Ids of images created by name are derived from (project, name, attempt) in this namespace.
NAMED_ID_NAMESPACE = uuid.UUID("6f1d3c2e-8a0b-4b7e-9c55-2f4e7d9a1b30")
NAMED_ID_ATTEMPTS = 20

# The argument spec of the ``filters`` option, shared by modules and plugins.
FILTERS_ARGSPEC = dict(
    name=dict(type="str"),
    id=dict(type="str"),
    status=dict(type="str"),
    visibility=dict(type="str", choices=list(VISIBILITY_FILTERS)),
    member_status=dict(type="str", choices=list(MEMBER_STATUS_FILTERS)),
    owner=dict(type="str"),
    tag=dict(type="list", elements="str", no_log=False),
    size_min=dict(type="int"),
    size_max=dict(type="int"),
    protected=dict(type="bool"),
    os_hidden=dict(type="bool"),
    disk_format=dict(type="str"),
    container_format=dict(type="str"),
    checksum=dict(type="str", no_log=False),
    os_hash_value=dict(type="str", no_log=False),
    created_at=dict(type="str"),
    updated_at=dict(type="str"),
    sort=dict(type="str"),
    sort_key=dict(type="list", elements="str", no_log=False),
    sort_dir=dict(type="list", elements="str", choices=list(SORT_DIRS)),
)

# Query keys that are not image properties, so a custom property filter must not use them.
RESERVED_QUERY_KEYS = frozenset(FILTERS_ARGSPEC) | {"limit", "marker", "changes-since"}


def is_uuid(value):
    return bool(value) and bool(UUID_RE.match(str(value)))


def property_value_to_string(value):
    """Glance stores custom property values as strings; booleans in OpenStack's lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (dict, list, tuple, set)):
        raise TypeError("not a scalar")
    return str(value)


def _operator_value(option, value):
    """name/id/status/formats: a plain value becomes eq:<value>, so a name may contain ':'."""
    text = str(value)
    op, sep, rest = text.partition(":")
    if sep and op in ("eq", "in"):
        values = [v.strip().strip('"') for v in rest.split(",")] if op == "in" else [rest]
    else:
        values, text = [text], "eq:" + text
    if option == "status":
        bad = [v for v in values if v not in IMAGE_STATUSES]
        if bad:
            raise InputError("filters.status: unknown status %s; use one of %s (optionally as eq:<status> "
                             "or in:<status>,<status>)." % (", ".join(repr(b) for b in bad),
                                                            ", ".join(IMAGE_STATUSES)))
    return text


def _time_value(option, value):
    text = str(value).strip()
    op, stamp = "eq", text
    head, sep, rest = text.partition(":")
    if sep and head.isalpha():
        if head not in TIME_OPERATORS:
            raise InputError("filters.%s: unknown operator '%s'; use one of %s, e.g. gte:2026-01-31T00:00:00Z."
                             % (option, head, ", ".join(TIME_OPERATORS)))
        op, stamp = head, rest
    try:
        datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("filters.%s: '%s' is not an ISO 8601 time; write <operator>:<time>, "
                         "e.g. gte:2026-01-31T00:00:00Z." % (option, stamp))
    return "%s:%s" % (op, stamp)


def _sort_pairs(filters):
    sort = filters.get("sort")
    sort_keys = filters.get("sort_key") or []
    sort_dirs = filters.get("sort_dir") or []
    if sort and (sort_keys or sort_dirs):
        raise InputError("filters: use either sort (key:dir,...) or sort_key/sort_dir, not both.")
    pairs = []
    if sort:
        for part in sort.split(","):
            key, _sep, direction = part.strip().partition(":")
            if key not in SORT_KEYS:
                raise InputError("filters.sort: cannot sort by '%s'; sort keys: %s." % (key, ", ".join(SORT_KEYS)))
            if direction and direction not in SORT_DIRS:
                raise InputError("filters.sort: direction '%s' of '%s' must be asc or desc." % (direction, key))
        pairs.append(("sort", sort.replace(" ", "")))
    for key in sort_keys:
        if key not in SORT_KEYS:
            raise InputError("filters.sort_key: cannot sort by '%s'; sort keys: %s." % (key, ", ".join(SORT_KEYS)))
        pairs.append(("sort_key", key))
    if sort_dirs:
        if len(sort_dirs) not in (1, len(sort_keys)):
            raise InputError("filters.sort_dir: give one direction for all sort keys or one per sort_key.")
        pairs.extend(("sort_dir", d) for d in sort_dirs)
    return pairs


def build_list_query(filters=None, properties=None):
    """User filters and custom property filters -> ordered (key, value) query pairs."""
    filters = {k: v for k, v in (filters or {}).items() if v is not None and v != []}
    query = []
    for option in OPERATOR_FIELDS:
        if option in filters:
            query.append((option, _operator_value(option, filters[option])))
    for option in ("visibility", "member_status", "owner", "checksum", "os_hash_value"):
        if option in filters:
            query.append((option, str(filters[option])))
    for tag in filters.get("tag") or []:
        query.append(("tag", tag))
    for option in ("size_min", "size_max"):
        if option in filters:
            if int(filters[option]) < 0:
                raise InputError("filters.%s must be 0 or more bytes." % option)
            query.append((option, str(int(filters[option]))))
    for option in ("protected", "os_hidden"):
        if option in filters:
            query.append((option, "true" if filters[option] else "false"))
    for option in ("created_at", "updated_at"):
        if option in filters:
            query.append((option, _time_value(option, filters[option])))
    query.extend(_sort_pairs(filters))
    for key, value in (properties or {}).items():
        if key in RESERVED_QUERY_KEYS:
            raise InputError("properties.%s: '%s' is a list filter, not a custom property; "
                             "use filters.%s instead." % (key, key, key))
        try:
            query.append((key, property_value_to_string(value)))
        except TypeError:
            raise InputError("properties.%s: a property filter value must be a string, number or "
                             "boolean, not %s." % (key, type(value).__name__))
    return query


def get_image(client, image_id):
    """The image with this id, or None when it does not exist or is invisible."""
    response = client.request("GET", "/v2/images/%s" % quote(str(image_id), safe=""), expected=(200, 404))
    if response.status_code == 404:
        return None
    return response.json()


def list_images(client, query=None, page_size=DEFAULT_PAGE_SIZE):
    return list(client.paginate("/v2/images", "images", params=query, page_size=page_size))


def find_images(client, image=None, query=None, page_size=DEFAULT_PAGE_SIZE):
    """Images matching ``query``; ``image`` narrows by id (when it is a UUID) or else by name.

    A bare id is fetched directly, which also finds hidden images; with filters
    the id goes into the list query so that Glance applies every filter.
    """
    query = list(query or [])
    if image is None:
        return list_images(client, query, page_size)
    if is_uuid(image):
        if query:
            found = list_images(client, query + [("id", "eq:%s" % image)], page_size)
        else:
            by_id = get_image(client, image)
            found = [by_id] if by_id else []
        if found:
            return found
    by_name = [(k, v) for k, v in query if k != "name"] + [("name", "eq:%s" % image)]
    return list_images(client, by_name, page_size)


def image_usage(client):
    """The project's quota usage from ``/v2/info/usage``: {resource: {"usage": n, "limit": n}};
    empty when the cloud enforces no unified limits (or hides them)."""
    body = client.get_json("/v2/info/usage", expected=(200, 403, 404))
    return body.get("usage") or {}


# A name filter's value is sent URL-encoded. 3 KiB of it keeps a listing's request line under 3.3 KiB, so
# with its headers (a Fernet token is under 255 bytes) a request fits in 4 KiB: uwsgi's default buffer, the
# smallest of the usual limits (Apache's and nginx's request line: 8 KiB). Glance sets no limit on the
# number of in: values; 100 a listing keeps each answer small.
NAME_QUERY_BYTES = 3072
NAME_QUERY_COUNT = 100


def name_filters(names, budget=NAME_QUERY_BYTES, most=NAME_QUERY_COUNT):
    """``name`` filter values that together match exactly ``names``: ``in:`` lists in chunks of at
    most ``most`` names and ``budget`` URL-encoded characters, each name double-quoted (Glance's rule
    for values holding a comma). A name holding a double quote or a backslash, which the ``in:``
    syntax cannot carry, gets its own ``eq:`` query."""
    # The encoded "in:" and a comma after each name but the last.
    empty = len(quote("in:", safe="")) - 3
    filters, chunk, size = [], [], empty
    for name in sorted(set(names)):
        if '"' in name or "\\" in name:
            filters.append("eq:%s" % name)
            continue
        item = '"%s"' % name
        cost = len(quote(item, safe="")) + 3
        if chunk and (len(chunk) >= most or size + cost > budget):
            filters.append("in:" + ",".join(chunk))
            chunk, size = [], empty
        chunk.append(item)
        size += cost
    if chunk:
        filters.append("in:" + ",".join(chunk))
    return filters


# ---- the image module's look-ups and writes ------------------------------------------------

# The image schema is the same for every call in a process (it depends on the cloud's config).
_SCHEMA_CACHE = {}


def image_schema(client):
    schema = _SCHEMA_CACHE.get(client.root)
    if schema is None:
        schema = client.get_json("/v2/schemas/image")
        _SCHEMA_CACHE[client.root] = schema
    return schema


def allowed_values(client, field):
    """The enum the cloud's schema gives for disk_format or container_format (None: any)."""
    definition = (image_schema(client).get("properties") or {}).get(field) or {}
    values = definition.get("enum")
    return [v for v in values if v is not None] if values else None


def find_image_by_name(client, name, owner=None):
    """Every image of that name (and owner) the caller can see, hidden ones included.

    Glance lists hidden images only when asked for them alone, so this takes two requests.
    """
    query = [("name", "eq:%s" % name)] + ([("owner", owner)] if owner else [])
    found = {}
    for hidden in ("false", "true"):
        for image in list_images(client, query + [("os_hidden", hidden)]):
            found[image["id"]] = image
    return sorted(found.values(), key=lambda image: (image.get("created_at") or "", image["id"]))


def create_image(client, body):
    """POST with a client-chosen id, so a retried request cannot make a second image.

    A 409 means the id exists: the first try of this request landed (or, for an id
    the user chose, an image with it exists or existed). Glance never reuses the id
    of a deleted image, so a 409 with nothing to read back is an error.
    """
    try:
        return client.request("POST", "/v2/images", json_body=body, expected=(201,), retry=True).json()
    except GlanceError as error:
        if error.status != 409:
            raise
    existing = get_image(client, body["id"])
    if existing is None:
        raise InputError("id: %s belonged to an image that was deleted; Glance never reuses image ids. "
                         "Choose another id, or leave id unset." % body["id"])
    return existing


def named_image_id(scope, name, attempt=0):
    """The id an image named ``name`` in project ``scope`` is created with: the same in every run."""
    return str(uuid.uuid5(NAMED_ID_NAMESPACE, json.dumps([scope or "", name, attempt])))


def named_image_ids(scope, name, attempts=NAMED_ID_ATTEMPTS):
    """Every id a new image of that name tries in turn (ids of deleted images are skipped)."""
    return [named_image_id(scope, name, attempt) for attempt in range(attempts)]


def update_image(client, image_id, ops):
    response = client.request("PATCH", "/v2/images/%s" % image_id, json_body=ops,
                              headers={"Content-Type": JSON_PATCH_TYPE}, expected=(200,))
    return response.json()


def delete_image(client, image_id):
    """True when this call deleted it, False when it was already gone.

    Two deletes of one image that overlap (a retried DELETE whose first try went through, or
    another run pruning the same image) make Glance answer the later one with 400 "Image status
    transition from deleted to deleted is not allowed": gone all the same, as a read confirms.
    """
    try:
        response = client.request("DELETE", "/v2/images/%s" % image_id, expected=(204, 404))
    except GlanceError as error:
        if error.status != 400:
            raise
        current = get_image(client, image_id)
        if current is not None and current.get("status") not in ("deleted", "pending_delete"):
            raise
        return False
    return response.status_code == 204


def set_active(client, image_id, active):
    action = "reactivate" if active else "deactivate"
    client.request("POST", "/v2/images/%s/actions/%s" % (image_id, action), expected=(204,), retry=True)


# The largest piece of a chunked upload body: uWSGI (Glance's usual server) resets the connection on a
# chunk of 1 MB or more (its chunked-input-limit), seen on the local cloud.
CHUNKED_PIECE = 256 * 1024


def chunked_pieces(chunks):
    """The chunks of an upload of unknown size, cut into pieces of at most CHUNKED_PIECE bytes (no copy)."""
    for chunk in chunks:
        if len(chunk) <= CHUNKED_PIECE:
            yield chunk
            continue
        view = memoryview(chunk)
        for start in range(0, len(chunk), CHUNKED_PIECE):
            yield view[start:start + CHUNKED_PIECE]


def upload_data(client, image_id, reader, store=None):
    """Stream ``reader`` (a HashingReader, or an iterator of chunks: sent chunked, size unknown) into the
    image; never retried, the stream is spent."""
    headers = {"Content-Type": "application/octet-stream"}
    if hasattr(reader, "__len__"):
        headers["x-openstack-image-size"] = str(len(reader))
    else:
        reader = chunked_pieces(reader)
    if store:
        headers["X-Image-Meta-Store"] = store
    client.request("PUT", "/v2/images/%s/file" % image_id, data=reader, headers=headers,
                   expected=(204,), retry=False)


def wait_for_upload(client, image_id, timeout):
    """After an upload: wait until Glance has stored the data and return the active image."""
    image = wait_for_image(client, image_id, lambda i: i.get("status") in ("active", "killed", "queued"), timeout)
    if image.get("status") != "active":
        raise GlanceError("image %s went to status %s after the upload" % (image["id"], image.get("status")))
    return image


def wait_for_image(client, image_id, done, timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll until ``done(image)`` is true, along the IMAGE_POLL curve; returns the image.

    Raises GlanceError when the image disappears or the timeout passes.
    """
    def timed_out(image):
        return GlanceError("image %s is still %s after %s s (option timeout)" % (image_id, image.get("status"), timeout))
    return poll(image_fetcher(client, image_id, "waiting for it"), done, timeout, IMAGE_POLL, timed_out,
                sleep=sleep, clock=clock)


def image_fetcher(client, image_id, during):
    """A callable that GETs the image, for ``poll``; an image gone meanwhile is an error."""
    def fetch():
        image = get_image(client, image_id)
        if image is None:
            raise GlanceError("image %s disappeared while %s" % (image_id, during))
        return image
    return fetch


def find_one_image(client, image, option="image", shared_with_caller=False):
    """Exactly one image by id or name, or a clear error naming ``option``.

    By name, hidden images count too; ``shared_with_caller`` adds images shared with
    the caller whatever its member status (they are missing from default lists
    until accepted).
    """
    if is_uuid(image):
        found = get_image(client, image)
        if found is not None:
            return found
    query = [("name", "eq:%s" % image)]
    candidates = {}
    extra = [[("visibility", "shared"), ("member_status", "all")]] if shared_with_caller else []
    for more in [[("os_hidden", "false")], [("os_hidden", "true")]] + extra:
        for item in list_images(client, query + more):
            candidates[item["id"]] = item
    if not candidates:
        raise InputError("%s: no image named or with id '%s' is visible to this project." % (option, image))
    if len(candidates) > 1:
        raise InputError("%s: %d images are named '%s': %s; give the id."
                         % (option, len(candidates), image, ", ".join(sorted(candidates))))
    return next(iter(candidates.values()))
