"""An in-memory Glance that also takes writes, for the module tests.

On top of glance_stub's read routes (image list and show, versions, schema, usage) it answers
PATCH and DELETE of images, tags, members, the info calls, tasks and metadefs, so a module class
runs its whole path through the real GlanceClient. Every request is recorded in ``requests``
(method, path, query), and the JSON body of every write in ``bodies`` (method, path, body).
A test scripts a refusal with ``refuse[(method, path)] = (status, message)``, and something that
happens meanwhile (another run) with ``hooks[(method, path)] = callable``.
"""

import hashlib
import json
import re
import threading
from urllib.parse import unquote

from glance_stub import ENDPOINT, Response, StubGlance


def no_content():
    response = Response(204, None)
    response.text, response.content = "", b""
    return response


IMAGE = r"/v2/images/(?P<image>[^/]+)"
MEMBER = IMAGE + r"/members/(?P<member>[^/]+)"


class WritableGlance(StubGlance):

    def __init__(self, images=(), stores=None, import_methods=("glance-direct", "web-download", "copy-image"),
                 cache=None):
        super().__init__(list(images))
        self.members = {}  # image id -> {member id: member}
        self.stores = stores  # None: a single-store cloud (GET /v2/info/stores answers 404)
        self.store_details = None  # None: the caller may not read them (403)
        self.import_methods = list(import_methods)
        self.cache = cache  # None: no cache (404); else {"cached_images": [...], "queued_images": [...]}
        self.tasks = []  # task records, each with image_id
        self.namespaces = []  # metadefs namespace records
        self.locations = {}  # image id -> [{url, metadata}]
        self.locations_readable = True  # False: GET .../locations answers 403 (no service role)
        self.bodies = []
        self.refuse = {}
        self.hooks = {}  # (method, path) -> callable run when that request arrives (before any refusal)
        self.versions = [{"id": "v2.17", "status": "CURRENT"}]  # the version document (GET /)
        self._write_lock = threading.Lock()
        self.deleted_ids = set()  # Glance never reuses the id of a deleted image
        self.staged = {}  # image id -> bytes in Glance's staging area (a cut staging leaves some behind)
        self._routes = [
            ("POST", r"/v2/images$", self._create),
            ("PUT", IMAGE + "/stage$", self._stage),
            ("POST", IMAGE + "/import$", self._import),
            ("GET", r"/?$", lambda body, **kw: Response(300, {"versions": self.versions})),
            ("PATCH", IMAGE + "$", self._patch),
            ("DELETE", IMAGE + "$", self._delete),
            ("GET", IMAGE + "/members$", self._list_members),
            ("POST", IMAGE + "/members$", self._add_member),
            ("GET", MEMBER + "$", self._get_member),
            ("PUT", MEMBER + "$", self._set_member),
            ("DELETE", MEMBER + "$", self._remove_member),
            ("GET", IMAGE + "/tasks$", self._image_tasks),
            ("GET", IMAGE + "/locations$", self._locations),
            ("POST", IMAGE + "/locations$", self._add_location),
            ("GET", r"/v2/tasks$", lambda body, **kw: Response(200, {"tasks": self.tasks})),
            ("GET", r"/v2/tasks/(?P<task>[^/]+)$", self._task),
            ("GET", r"/v2/info/import$", lambda body, **kw: Response(200, {
                "import-methods": {"type": "array", "value": self.import_methods}})),
            ("GET", r"/v2/info/stores$", self._stores),
            ("GET", r"/v2/info/stores/detail$", self._stores_detail),
            ("GET", r"/v2/cache$", self._cache),
            ("GET", r"/v2/cache/nodes/[^/]+$", lambda body, **kw: Response(404, {"message": "no centralized_db"})),
            ("GET", r"/v2/metadefs/namespaces$", lambda body, **kw: Response(200, {"namespaces": self.namespaces})),
            ("GET", r"/v2/metadefs/namespaces/(?P<namespace>[^/]+)$", self._namespace),
            ("GET", r"/v2/metadefs/namespaces/(?P<namespace>[^/]+)/(?P<kind>objects|properties)/(?P<name>[^/]+)$",
             self._namespace_item),
            ("GET", r"/v2/metadefs/resource_types$", lambda body, **kw: Response(200, {"resource_types": [
                {"name": "OS::Glance::Image"}]})),
        ]

    def session(self):
        return WritableSession(self)

    def record(self, image_id):
        return next((i for i in self.images if i["id"] == image_id), None)

    def answer(self, method, url, params, data=None):
        path = url[len(ENDPOINT):]
        for route_method, pattern, handler in self._routes:
            match = re.match(pattern, path)
            if route_method != method or not match:
                continue
            if hasattr(data, "read"):
                # A streamed body (upload or stage): read it whole, recorded as its length.
                self.data = b"".join(iter(lambda: data.read(65536), b""))
                body = {"bytes": len(self.data)}
            else:
                body = json.loads(data) if isinstance(data, str) and data else None
            with self._write_lock:
                self.requests.append((method, path, list(params or [])))
                if method != "GET":
                    self.bodies.append((method, path, body))
            if (method, path) in self.hooks:
                self.hooks[(method, path)]()
            if (method, path) in self.refuse:
                status, message = self.refuse[(method, path)]
                return Response(status, {"message": message})
            return handler(body, **{k: unquote(v) for k, v in match.groupdict().items()})
        return super().answer(method, url, params)

    # ---- images --------------------------------------------------------------------------------
    def _patch(self, ops, image):
        record = self.record(image)
        if record is None:
            return Response(404, {"message": "No image found with ID %s" % image})
        for op in ops:
            key = op["path"][1:].replace("~1", "/").replace("~0", "~")
            if op["op"] == "remove":
                record.pop(key, None)
            else:
                record[key] = op["value"]
        return Response(200, record)

    def _delete(self, body, image):
        record = self.record(image)
        if record is None:
            return Response(404, {"message": "No image found with ID %s" % image})
        self.images.remove(record)
        self.deleted_ids.add(image)
        self.staged.pop(image, None)
        return no_content()

    def _create(self, body):
        if body["id"] in self.deleted_ids or self.record(body["id"]):
            return Response(409, {"message": "Image ID %s already exists!" % body["id"]})
        record = dict(body, status="queued", size=None, owner=body.get("owner", "p1"), os_hash_algo=None,
                      os_hash_value=None, checksum=None, created_at="2026-02-01T00:00:00Z")
        record.setdefault("visibility", "shared")
        record.setdefault("os_hidden", False)
        record.setdefault("protected", False)
        record.setdefault("tags", [])
        self.images.append(record)
        return Response(201, record)

    def _stage(self, body, image):
        """Glance's stage: refused (and the image put back to queued) while staging holds data for it."""
        record = self.record(image)
        if record is None:
            return Response(404, {"message": "not found"})
        if record["status"] != "queued":
            return Response(409, {"message": "Image status transition from %s to uploading is not allowed"
                                             % record["status"]})
        if image in self.staged:
            return Response(409, {"message": "The image %s has data on staging" % image})
        self.staged[image] = self.data
        record.update(status="uploading", size=len(self.data))
        return no_content()

    def _import(self, body, image):
        """glance-direct, done at once: the staged data becomes the image's data."""
        record = self.record(image)
        data = self.staged.pop(image, None)
        if record is None or record["status"] != "uploading" or data is None:
            return Response(409, {"message": "Image %s is not ready for import" % image})
        record.update(status="active", size=len(data), os_hash_algo="sha512",
                      os_hash_value=hashlib.sha512(data).hexdigest())
        return Response(202, {})

    # ---- members -------------------------------------------------------------------------------
    def _list_members(self, body, image):
        return Response(200, {"members": list(self.members.get(image, {}).values())})

    def _add_member(self, body, image):
        record = self.record(image)
        if record is None:
            return Response(404, {"message": "not found"})
        if record.get("visibility") != "shared":
            return Response(403, {"message": "Only shared images have members."})
        members = self.members.setdefault(image, {})
        if body["member"] in members:
            return Response(409, {"message": "already a member"})
        members[body["member"]] = {"member_id": body["member"], "image_id": image, "status": "pending",
                                   "created_at": "2026-01-02T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"}
        return Response(200, members[body["member"]])

    def _get_member(self, body, image, member):
        found = self.members.get(image, {}).get(member)
        return Response(200, found) if found else Response(404, {"message": "not a member"})

    def _set_member(self, body, image, member):
        found = self.members.get(image, {}).get(member)
        if not found:
            return Response(404, {"message": "not a member"})
        found.update(status=body["status"], updated_at="2026-01-03T00:00:00Z")
        return Response(200, found)

    def _remove_member(self, body, image, member):
        if self.members.get(image, {}).pop(member, None) is None:
            return Response(404, {"message": "not a member"})
        return no_content()

    # ---- tasks, info, cache, metadefs --------------------------------------------------------------
    def _image_tasks(self, body, image):
        return Response(200, {"tasks": [t for t in self.tasks if t.get("image_id") == image]})

    def _locations(self, body, image):
        if not self.locations_readable:
            return Response(403, {"message": "You are not authorized to complete fetch_image_location action."})
        return Response(200, self.locations.get(image, []))

    def _add_location(self, body, image):
        """Glance's location_import, done at once: the location recorded, a successful task, the image active."""
        record = self.record(image)
        if record is None or record.get("status") != "queued":
            return Response(409, {"message": "image is not queued"})
        self.locations.setdefault(image, []).append({"url": body["url"], "metadata": {}})
        self.tasks.append({"id": "7e1d5c3a-0b9f-4e2d-8c7a-6f5e4d3c2b1%d" % len(self.tasks), "type": "location_import",
                           "status": "success", "image_id": image, "input": {"loc_url": body["url"]},
                           "created_at": "2026-01-05T00:00:00Z"})
        record["status"] = "active"
        return Response(202, {})

    def _task(self, body, task):
        found = next((t for t in self.tasks if t["id"] == task), None)
        return Response(200, found) if found else Response(404, {"message": "Task %s not found" % task})

    def _stores(self, body):
        if self.stores is None:
            return Response(404, {"message": "Multi backend is not supported at this site."})
        return Response(200, {"stores": self.stores})

    def _stores_detail(self, body):
        if self.store_details is None:
            return Response(403, {"message": "Access was denied to this resource."})
        return Response(200, {"stores": self.store_details})

    def _cache(self, body):
        if self.cache is None:
            return Response(404, {"message": "The resource could not be found."})
        return Response(200, self.cache)

    def _namespace(self, body, namespace):
        found = next((n for n in self.namespaces if n["namespace"] == namespace), None)
        return Response(200, found) if found else Response(404, {"message": "Metadata definition namespace=%s "
                                                                            "was not found." % namespace})

    def _namespace_item(self, body, namespace, kind, name):
        found = next((n for n in self.namespaces if n["namespace"] == namespace), None) or {}
        if kind == "properties":
            item = dict(found.get("properties", {}).get(name) or {}, name=name) if name in found.get(
                "properties", {}) else None
        else:
            item = next((o for o in found.get("objects", []) if o["name"] == name), None)
        return Response(200, item) if item else Response(404, {"message": "not found"})


class WritableSession:
    """The part of a keystoneauth1 session that GlanceClient uses, with request bodies."""

    def __init__(self, glance):
        self.glance = glance
        self.auth = None

    def request(self, url, method, **kwargs):
        return self.glance.answer(method, url, kwargs.get("params"), kwargs.get("data"))
