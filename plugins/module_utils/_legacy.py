# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: read-only adapters for legacy image endpoints, returning the v2 shape.

Image API v1 (``/v1/images/detail``, ``HEAD /v1/images/{id}``) and Compute's
images proxy (``{compute}/images/detail``) are read here and mapped to the
image shape of Glance's v2 API, so that ``image_info``, the lookup and the
inventory keep one result shape. They take the v2 list query that
``_images.build_list_query`` built (the filters are checked once, for every
API): what the old API can filter is sent, what it cannot is applied to the
mapped images here, and what a legacy listing does not carry at all is refused
before any image request, naming the filter.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from urllib.parse import parse_qs, quote, urlsplit

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError, parse_version
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    DEFAULT_PAGE_SIZE,
    FILTERS_ARGSPEC,
    InputError,
    find_images,
    is_uuid,
)

API_CHOICES = ("auto", "image_v2", "image_v1", "compute")

# The options image_info, the lookup and the inventory add for this (doc fragment legacy_api).
LEGACY_ARGSPEC = dict(
    api=dict(type="str", default="auto", choices=list(API_CHOICES)),
    compute_endpoint=dict(type="str"),
)

# v2 fields a legacy listing does not carry: they are absent from its images (legacy.missing).
V1_MISSING = ("visibility", "tags", "os_hidden", "os_hash_algo", "os_hash_value", "virtual_size")
COMPUTE_MISSING = ("visibility", "owner", "disk_format", "container_format", "checksum", "tags", "protected",
                   "os_hidden", "os_hash_algo", "os_hash_value", "virtual_size")

# Compute's status and progress -> Glance's status (nova's images view: queued is SAVING at 25 %,
# saving SAVING at 50 %; deleted and pending_delete are both DELETED; killed is ERROR).
COMPUTE_STATUS = {"ACTIVE": "active", "DELETED": "deleted", "ERROR": "killed"}
COMPUTE_SAVING_PROGRESS = {25: "queued", 50: "saving"}

# Filters neither legacy API can filter on nor tell from its images, with the reason.
_NOT_CARRIED = {
    "member_status": "has no image members in its listing",
    "os_hash_value": "has no multihash (os_hash_value)",
    "tag": "has no tags",
    "os_hidden": "has no hidden images (os_hidden)",
}
_NOT_CARRIED_COMPUTE = dict(_NOT_CARRIED, **{
    "visibility": "does not tell an image's visibility",
    "owner": "does not tell an image's owner",
    "disk_format": "does not tell an image's disk_format",
    "container_format": "does not tell an image's container_format",
    "checksum": "does not tell an image's checksum",
    "protected": "does not tell whether an image is protected",
})
_API_NAMES = {"image_v1": "Image API v1", "compute": "Compute's images proxy"}


def classify_versions(versions):
    """What a version document describes: image_v2, image_v1, compute, or None.

    Compute's document also lists v2.0/v2.1, but its entries carry min_version
    (microversions), which Glance's never do.
    """
    versions = [v for v in versions or [] if isinstance(v, dict)]
    if any("min_version" in v for v in versions):
        return "compute"
    majors = {parse_version(v.get("id"))[0] for v in versions}
    if 2 in majors:
        return "image_v2"
    if 1 in majors:
        return "image_v1"
    return None


def describe_versions(versions, most=3):
    """'v1.1 (CURRENT), v1.0 (SUPPORTED)'; a long list as its current versions and a count of the others."""
    versions = [v for v in versions or [] if isinstance(v, dict)]
    shown = versions if len(versions) <= most else [v for v in versions if v.get("status") == "CURRENT"][:most]
    text = ", ".join("%s (%s)" % (v.get("id"), v.get("status")) for v in shown) or "none"
    if len(shown) < len(versions):
        text += " and %d other versions" % (len(versions) - len(shown))
    return text


def require_image_v2(client):
    """Raise before any write when the endpoint serves no Image API v2 (v1 only, or Compute).

    An endpoint whose root answers no version document (an HTTP error) is left to the
    module's own requests, which report what the endpoint says.
    """
    try:
        versions = client.versions()
    except GlanceError as error:
        if error.status is None:
            raise
        return
    kind = classify_versions(versions)
    if kind == "image_v1":
        raise GlanceError("The image endpoint %s serves only Image API v1 (%s), which this collection reads "
                          "(image_info, the lookup and the inventory with api: image_v1) but never writes: "
                          "writing modules need Image API v2." % (client.root, describe_versions(versions)))
    if kind == "compute":
        raise GlanceError("The endpoint %s is a Compute API (%s), not an Image service; its images proxy is "
                          "read-only (image_info, the lookup and the inventory with api: compute). Point "
                          "writing modules at a Glance with Image API v2." % (client.root, describe_versions(versions)))


# ---- query pairs -------------------------------------------------------------------------

def _split_query(query):
    """v2 query pairs -> (filters {key: [values]}, properties [(key, value)]), as build_list_query made them."""
    filters, properties = {}, []
    for key, value in query or []:
        if key in FILTERS_ARGSPEC:
            filters.setdefault(key, []).append(value)
        else:
            properties.append((key, value))
    return filters, properties


def _operator(value):
    """'eq:x' -> ('eq', ['x']); 'in:a,b' -> ('in', ['a', 'b']) (as _images._operator_value wrote them)."""
    op, dummy, rest = str(value).partition(":")
    if op == "in":
        return op, [v.strip().strip('"') for v in rest.split(",")]
    return "eq", [rest]


def _refuse(api, option, reason):
    raise InputError("filters.%s: %s %s, so this filter cannot be applied; remove it or use api: image_v2 "
                     "against an Image API v2 endpoint." % (option, _API_NAMES[api], reason))


def _sort_spec(filters):
    """[(key, direction)] from sort or sort_key/sort_dir (directions default to desc, as in Glance)."""
    pairs = []
    for part in ",".join(filters.get("sort") or []).split(","):
        if part:
            key, dummy, direction = part.partition(":")
            pairs.append((key, direction or "desc"))
    keys, dirs = filters.get("sort_key") or [], filters.get("sort_dir") or []
    for index, key in enumerate(keys):
        direction = dirs[index] if len(dirs) > index else (dirs[0] if dirs else "desc")
        pairs.append((key, direction))
    return pairs


def _parse_time(text):
    if not text:
        return None
    stamp = str(text).strip().replace(" ", "T")
    if stamp.endswith("Z"):
        stamp = stamp[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # legacy APIs give UTC without a zone
    return parsed.astimezone(timezone.utc)


def v2_time(text):
    """A legacy timestamp ('2010-02-03 09:34:01', '...T09:34:01.000000') in v2's form ('...T09:34:01Z')."""
    parsed = _parse_time(text)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else (text or None)


_TIME_TESTS = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "eq": lambda a, b: a == b,
               "neq": lambda a, b: a != b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def _time_matches(image_value, condition):
    op, dummy, stamp = condition.partition(":")
    have, want = _parse_time(image_value), _parse_time(stamp)
    return have is not None and want is not None and _TIME_TESTS[op](have, want)


def _client_test(key, values):
    """A predicate on a mapped image for one v2 filter the legacy API does not apply itself."""
    if key in ("name", "id", "status", "disk_format", "container_format"):
        tests = [_operator(value)[1] for value in values]
        return lambda image: all(image.get(key) in allowed for allowed in tests)
    if key in ("owner", "checksum"):
        return lambda image: all(image.get(key) == value for value in values)
    if key == "visibility":
        return lambda image: all(value == "all" or image.get(key) == value for value in values)
    if key == "protected":
        return lambda image: all(bool(image.get(key)) == (value == "true") for value in values)
    if key == "size_min":
        return lambda image: image.get("size") is not None and all(image["size"] >= int(v) for v in values)
    if key == "size_max":
        return lambda image: image.get("size") is not None and all(image["size"] <= int(v) for v in values)
    if key in ("created_at", "updated_at"):
        return lambda image: all(_time_matches(image.get(key), value) for value in values)
    raise AssertionError("no client-side test for %s" % key)  # pragma: no cover - guarded by the plans


def _property_test(properties):
    return lambda image: all(str(image.get(key)) == value and key in image for key, value in properties)


def sort_images(images, spec):
    """Sort mapped images by [(key, direction)], most significant first; missing values sort first."""
    result = list(images)
    for key, direction in reversed(spec):
        result.sort(key=lambda image: (image.get(key) is not None, image.get(key) if image.get(key) is not None
                                       else ""), reverse=direction == "desc")
    return result


class LegacyPlan:
    """What a legacy API sends for a v2 query, and what is left to do on the mapped images."""

    def __init__(self):
        self.params = []
        self.tests = []
        self.sort = []

    def apply(self, images):
        kept = [image for image in images if all(test(image) for test in self.tests)]
        return sort_images(kept, self.sort) if self.sort else kept


def plan_v1_query(query):
    """v2 query pairs -> a LegacyPlan for GET /v1/images/detail; refuses what v1 cannot tell."""
    filters, properties = _split_query(query)
    plan = LegacyPlan()
    for key in filters:
        if key in _NOT_CARRIED:
            _refuse("image_v1", key, _NOT_CARRIED[key])
    for key in ("name", "status", "disk_format", "container_format"):
        values = filters.get(key) or []
        if len(values) == 1 and _operator(values[0])[0] == "eq":
            plan.params.append((key, _operator(values[0])[1][0]))
        elif values:
            plan.tests.append(_client_test(key, values))
    for key in ("size_min", "size_max"):
        for value in filters.get(key) or []:
            plan.params.append((key, value))
    for value in filters.get("visibility") or []:
        if value == "public":
            plan.params.append(("is_public", "true"))
        elif value == "private":
            plan.params.append(("is_public", "false"))
        elif value == "all":
            plan.params.append(("is_public", "None"))  # v1: every image the caller may see
        else:
            _refuse("image_v1", "visibility", "knows only public and non-public images (is_public), not %s ones"
                    % value)
    for key in ("id", "owner", "checksum", "protected", "created_at"):
        if filters.get(key):
            plan.tests.append(_client_test(key, filters[key]))
    for value in filters.get("updated_at") or []:
        if value.startswith(("gte:", "gt:")):
            plan.params.append(("changes-since", value.partition(":")[2]))
        plan.tests.append(_client_test("updated_at", [value]))
    spec = _sort_spec(filters)
    if len(spec) == 1:
        plan.params.extend([("sort_key", spec[0][0]), ("sort_dir", spec[0][1])])
    elif spec:
        plan.sort = spec  # v1 sorts by one key only
    for key, value in properties:
        plan.params.append(("property-%s" % key, value))
    return plan


def plan_compute_query(query):
    """v2 query pairs -> a LegacyPlan for {compute}/images/detail; refuses what the proxy cannot tell.

    Nova passes name and status (lower-cased) to Glance and turns changes-since into
    updated_at=gte:; its property-<key> filter is broken (nova strips the characters of
    'property-' from the key: property-os_distro becomes s_distro), so custom properties
    are compared here, on the images' metadata.
    """
    filters, properties = _split_query(query)
    plan = LegacyPlan()
    for key in filters:
        if key in _NOT_CARRIED_COMPUTE:
            _refuse("compute", key, _NOT_CARRIED_COMPUTE[key])
    for key in ("name", "status"):
        values = filters.get(key) or []
        if len(values) == 1 and _operator(values[0])[0] == "eq":
            plan.params.append((key, _operator(values[0])[1][0]))
        elif values:
            plan.tests.append(_client_test(key, values))
    for key in ("id", "size_min", "size_max", "created_at"):
        if filters.get(key):
            plan.tests.append(_client_test(key, filters[key]))
    for value in filters.get("updated_at") or []:
        if value.startswith(("gte:", "gt:")):
            plan.params.append(("changes-since", value.partition(":")[2]))
        plan.tests.append(_client_test("updated_at", [value]))
    plan.sort = _sort_spec(filters)
    if properties:
        plan.tests.append(_property_test(properties))
    return plan


# ---- mapping -----------------------------------------------------------------------------

def _int_or_none(value):
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def map_v1_image(record):
    """An image of GET /v1/images/detail (or of HEAD headers, see v1_record_from_headers) in the v2 shape."""
    image = dict(record.get("properties") or {})
    is_public = _bool(record.get("is_public"))
    owner = record.get("owner")
    image.update(
        id=record.get("id"),
        name=record.get("name"),
        status=record.get("status"),
        visibility="public" if is_public else "private",
        owner=None if owner in (None, "", "null") else owner,
        disk_format=record.get("disk_format"),
        container_format=record.get("container_format"),
        size=_int_or_none(record.get("size")),
        checksum=record.get("checksum") or None,
        min_disk=_int_or_none(record.get("min_disk")) or 0,
        min_ram=_int_or_none(record.get("min_ram")) or 0,
        protected=_bool(record.get("protected")),
        created_at=v2_time(record.get("created_at")),
        updated_at=v2_time(record.get("updated_at")),
    )
    image["legacy"] = {
        "api": "image_v1",
        "is_public": is_public,
        "deleted": _bool(record.get("deleted")),
        "deleted_at": v2_time(record.get("deleted_at")) if record.get("deleted_at") else None,
        "missing": list(V1_MISSING),
    }
    return image


_HEADER_PREFIX = "x-image-meta-"
_PROPERTY_PREFIX = _HEADER_PREFIX + "property-"


def v1_record_from_headers(headers):
    """HEAD /v1/images/{id}: x-image-meta-* headers -> the record shape of a v1 listing."""
    record, properties = {}, {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(_PROPERTY_PREFIX):
            properties[name[len(_PROPERTY_PREFIX):]] = value
        elif lower.startswith(_HEADER_PREFIX):
            # v1 writes some names with '-' (disk-format, is-public) and others with '_' (created_at).
            record[lower[len(_HEADER_PREFIX):].replace("-", "_")] = value
    record["properties"] = properties
    return record


def compute_status(status, progress):
    """(Glance status or None, what nova said) for one proxied image."""
    status = str(status or "").upper()
    if status == "SAVING":
        return COMPUTE_SAVING_PROGRESS.get(_int_or_none(progress), "saving")
    return COMPUTE_STATUS.get(status)  # UNKNOWN: deactivated, uploading, importing and others


def map_compute_image(record):
    """An image of Compute's images proxy in the v2 shape; metadata values become top-level properties."""
    image = dict(record.get("metadata") or {})
    status = compute_status(record.get("status"), record.get("progress"))
    image.update(
        id=record.get("id"),
        name=record.get("name"),
        status=status,
        # Nova says 0 for an image without data (queued), where Glance says null.
        size=None if status == "queued" else _int_or_none(record.get("OS-EXT-IMG-SIZE:size")),
        min_disk=_int_or_none(record.get("minDisk")) or 0,
        min_ram=_int_or_none(record.get("minRam")) or 0,
        created_at=v2_time(record.get("created")),
        updated_at=v2_time(record.get("updated")),
    )
    legacy = {"api": "compute", "status": record.get("status"), "progress": record.get("progress"),
              "links": record.get("links") or [], "missing": list(COMPUTE_MISSING)}
    if record.get("server"):
        legacy["server"] = record["server"]
    image["legacy"] = legacy
    return image


# ---- readers -----------------------------------------------------------------------------

def _marker_from_links(links):
    for link in links or []:
        if link.get("rel") == "next":
            values = parse_qs(urlsplit(link.get("href") or "").query).get("marker")
            if values:
                return values[-1]
    return None


class LegacyReader:
    """Lists images of one legacy endpoint in the v2 shape; callable like _images.find_images."""

    api = None
    path = None  # the listing
    by_id = None  # (method, path of one image)
    plan = None  # v2 query pairs -> LegacyPlan
    map = None  # API record -> v2-shaped image

    def __init__(self, client):
        self.client = client

    def next_marker(self, body, items, page_size):
        raise NotImplementedError

    def record_of(self, response):
        raise NotImplementedError

    def get_by_id(self, image_id):
        method, path = self.by_id
        response = self.client.request(method, path % quote(str(image_id), safe=""), expected=(200, 204, 404))
        if response.status_code == 404:
            return None
        return self.map(self.record_of(response))

    def list(self, params, page_size):
        """Every page: limit + marker until a page says it is the last."""
        self._longest = 0
        marker, seen = None, set()
        while True:
            page_params = list(params) + [("limit", str(page_size))] + ([("marker", marker)] if marker else [])
            body = self.client.get_json(self.path, params=page_params)
            items = body.get("images") or []
            yield from items
            marker = self.next_marker(body, items, page_size)
            if not marker or marker in seen:
                return
            seen.add(marker)

    def listed(self, params, page_size):
        return [self.map(record) for record in self.list(params, page_size)]

    def __call__(self, image=None, query=None, page_size=DEFAULT_PAGE_SIZE):
        """Like _images.find_images: an id is looked up first, then the term is tried as a name."""
        query = list(query or [])
        plan = self.plan(query)
        if image is None:
            return plan.apply(self.listed(plan.params, page_size))
        if is_uuid(image):
            if query:
                found = [i for i in plan.apply(self.listed(plan.params, page_size)) if i.get("id") == image]
            else:
                by_id = self.get_by_id(image)
                found = [by_id] if by_id is not None else []
            if found:
                return found
        # The term replaces a name filter, as in v2.
        by_name = self.plan([(k, v) for k, v in query if k != "name"] + [("name", "eq:%s" % image)])
        return by_name.apply(self.listed(by_name.params, page_size))


class ImageV1Reader(LegacyReader):
    api = "image_v1"
    path = "/v1/images/detail"
    by_id = ("HEAD", "/v1/images/%s")
    plan = staticmethod(plan_v1_query)
    map = staticmethod(map_v1_image)

    def next_marker(self, body, items, page_size):
        # v1 has no next link: a full page means there may be more. The server may cap the page
        # below page_size (api_limit_max), so a page as long as the longest seen counts as full.
        self._longest = max(getattr(self, "_longest", 0), len(items))
        full = bool(items) and len(items) >= min(page_size, self._longest)
        return items[-1].get("id") if full else None

    def list(self, params, page_size):
        for record in LegacyReader.list(self, params, page_size):
            # changes-since also returns deleted images, which v2 never lists.
            if not _bool(record.get("deleted")) and record.get("status") != "deleted":
                yield record

    def record_of(self, response):
        return v1_record_from_headers(response.headers)


class ComputeReader(LegacyReader):
    api = "compute"
    path = "images/detail"
    by_id = ("GET", "images/%s")
    plan = staticmethod(plan_compute_query)
    map = staticmethod(map_compute_image)

    def next_marker(self, body, items, page_size):
        return _marker_from_links(body.get("images_links"))

    def record_of(self, response):
        return response.json().get("image") or {}


class ComputeClient(GlanceClient):
    """The REST client on a Compute endpoint: its errors explained for the images proxy."""

    def __init__(self, session, endpoint, **kwargs):
        super().__init__(session, endpoint, **kwargs)
        self.root = endpoint.rstrip("/")  # keep /v2.1 or /v2/{project_id}: the proxy lives below it

    def request(self, method, path, **kwargs):
        try:
            return super().request(method, path, **kwargs)
        except GlanceError as error:
            raise explain_compute_error(error, self.root)


def explain_compute_error(error, endpoint):
    text = error.message
    if error.status == 400 and "doesn't match Context's project_id" in text:
        text += (" (the Compute endpoint %s names another project than the one the token is scoped to: "
                 "use a compute_endpoint with the token's own project id, or credentials scoped to that "
                 "project)" % endpoint)
    elif error.status == 404 and "/images" in (error.url or ""):
        text += (" (Compute's images proxy answers 404 from microversion 2.36 on and when the endpoint is "
                 "not a Compute API root such as .../v2.1 or .../v2/<project_id>; check compute_endpoint)")
    return GlanceError(text, status=error.status, request_id=error.request_id, method=error.method,
                       url=error.url)


def compute_endpoint_of(connection, compute_endpoint=None):
    """The Compute endpoint: the option, else the catalogue's compute service; a clear error when none."""
    if compute_endpoint:
        return compute_endpoint
    found = None
    if connection.has_keystone:
        found = connection.service_endpoint("compute")
    if not found:
        if connection.has_keystone:
            raise InputError("api: compute needs a Compute endpoint, and the token's catalogue lists no compute "
                             "service in region %s (interface %s). Give compute_endpoint (for example "
                             "https://compute.example.com/v2.1), or check region_name and interface."
                             % (connection.region_name or "(any)", getattr(connection, "interface", None) or "public"))
        raise InputError("api: compute needs a Compute endpoint, and without Keystone there is no catalogue to find "
                         "one in. Give compute_endpoint (for example https://compute.example.com/v2.1).")
    return found


def open_reader(connection, api="auto", compute_endpoint=None, query=None):
    """A callable (image, query, page_size) -> v2-shaped images, for the API chosen by the api option.

    ``query`` (the v2 query pairs the caller will list with) is checked first, so that a
    filter an explicitly chosen legacy API cannot apply is refused before any request.
    """
    api = api or "auto"
    check_legacy_filters(api, query)
    if api == "compute":
        endpoint = compute_endpoint_of(connection, compute_endpoint)
        client = ComputeClient(connection.session, endpoint, connection_errors=connection.client.connection_errors)
        return ComputeReader(client)
    client = connection.client
    if api == "image_v2":
        return functools.partial(find_images, client)
    try:
        versions = client.versions()
    except GlanceError as error:
        if api == "image_v1" or error.status is None:
            raise
        # auto: an endpoint whose root answers no version document is read as v2, as before.
        return functools.partial(find_images, client)
    kind = classify_versions(versions)
    if api == "image_v1":
        if not any(parse_version(v.get("id"))[0] == 1 for v in versions if isinstance(v, dict)) \
                or kind == "compute":
            raise InputError("api: image_v1, but the image endpoint %s does not serve Image API v1 (its versions: "
                             "%s). Use api: auto or image_v2 for it." % (client.root, describe_versions(versions)))
        return ImageV1Reader(client)
    if kind == "image_v1":
        return ImageV1Reader(client)
    if kind == "compute":
        raise InputError("api: auto found a Compute API at the image endpoint %s (%s); use api: compute with "
                         "compute_endpoint for its images proxy." % (client.root, describe_versions(versions)))
    return functools.partial(find_images, client)


def check_legacy_filters(api, query):
    """Refuse, before any request, filters an explicitly chosen legacy API cannot apply."""
    if api == "image_v1":
        plan_v1_query(query)
    elif api == "compute":
        plan_compute_query(query)
