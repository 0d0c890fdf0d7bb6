"""Test helpers for the lookup and inventory plugins: an in-memory Glance and the plugin loader.

The stub answers the real GlanceClient (through a fake keystoneauth session), so the
plugins run through the same client, pagination and look-up code as in production;
only the HTTP server is fake. Every request is recorded, so tests can count them.
"""

import json
import os
import sys
import threading
from urllib.parse import unquote

from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.imagecat.glance.plugins.module_utils import _glance
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient

ENDPOINT = "http://glance.test:9292"


def load_collection_plugins():
    """Let Ansible's plugin loader find this collection by its FQCN, as ansible-test does."""
    if AnsibleCollectionConfig.collection_finder is None:
        # .../<root>/ansible_collections/imagecat/glance/plugins/module_utils/_glance.py
        root = _glance.__file__
        for dummy in range(6):
            root = os.path.dirname(root)
        # The collection's package must be (re-)imported through the finder, which records the
        # collection's metadata on it; modules already imported stay as they are.
        for name in ("ansible_collections.imagecat.glance", "ansible_collections.imagecat", "ansible_collections"):
            sys.modules.pop(name, None)
        init_plugin_loader([root])


class Response:
    def __init__(self, status_code, body):
        self.status_code = status_code
        self.headers = {"x-openstack-request-id": "req-stub"}
        self.reason = ""
        self.text = json.dumps(body)
        self.content = self.text.encode()
        self._body = body

    def json(self):
        return self._body


def image(name, image_id, **fields):
    record = {"id": image_id, "name": name, "status": "active", "visibility": "shared", "disk_format": "raw",
              "container_format": "bare", "tags": [], "owner": "p1", "size": 10, "protected": False,
              "os_hidden": False, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
              "self": "/v2/images/" + image_id, "file": "/v2/images/%s/file" % image_id,
              "schema": "/v2/schemas/image"}
    record.update(fields)
    return record


def split_in_values(text):
    """The values of an ``in:`` filter as Glance splits them: comma-separated, a value holding a comma
    double-quoted."""
    values, rest = [], text
    while rest:
        if rest.startswith('"'):
            end = rest.index('"', 1)
            values.append(rest[1:end])
            rest = rest[end + 2:]
        else:
            value, dummy, rest = rest.partition(",")
            values.append(value)
    return values


class StubGlance:
    """Enough of GET /v2/images, GET /v2/images/{id} and GET / to serve the plugins."""

    def __init__(self, images, api_limit_max=1000):
        self.images = list(images)
        self.api_limit_max = api_limit_max
        self.usage = {}  # what GET /v2/info/usage reports: {} when the cloud has no unified limits
        self.requests = []
        self._lock = threading.Lock()

    def session(self):
        return StubSession(self)

    def client(self):
        return GlanceClient(self.session(), ENDPOINT, retries=0)

    def writes(self):
        return [r for r in self.requests if r[0] != "GET"]

    def list_requests(self):
        return [r for r in self.requests if r[1] == "/v2/images"]

    def answer(self, method, url, params):
        path = url[len(ENDPOINT):]
        with self._lock:
            self.requests.append((method, path, list(params or [])))
        if method == "GET" and path in ("", "/"):
            return Response(300, {"versions": [{"id": "v2.17", "status": "CURRENT"}]})
        if method == "GET" and path.startswith("/v2/images/"):
            wanted = unquote(path.rsplit("/", 1)[1])
            for record in self.images:
                if record["id"] == wanted:
                    return Response(200, record)
            return Response(404, {"message": "No image found with ID %s" % wanted})
        if method == "GET" and path == "/v2/images":
            return self._list(params or [])
        if method == "GET" and path == "/v2/info/usage":
            return Response(200, {"usage": self.usage})
        if method == "GET" and path == "/v2/schemas/image":
            return Response(200, {"properties": {
                "disk_format": {"enum": [None, "raw", "qcow2", "vmdk", "iso"]},
                "container_format": {"enum": [None, "bare", "ovf"]}}})
        return Response(405, {"message": "not in the stub"})

    def _list(self, params):
        # As in Glance, hidden images are listed only when asked for.
        hidden = ("os_hidden", "true") in params
        matches = [m for m in self.images if bool(m.get("os_hidden")) == hidden]
        limit, marker = 25, None
        for key, value in params:
            if key == "limit":
                limit = int(value)
            elif key == "marker":
                marker = value
            elif key == "tag":
                matches = [m for m in matches if value in m.get("tags", [])]
            elif key in ("name", "id", "status", "disk_format"):
                op, dummy, rest = value.partition(":")
                allowed = split_in_values(rest) if op == "in" else [rest]
                matches = [m for m in matches if m.get(key) in allowed]
            elif key == "visibility":
                if value != "all":
                    matches = [m for m in matches if m.get("visibility") == value]
            elif key in ("sort", "sort_key", "sort_dir", "os_hidden"):
                continue
            else:
                # Anything else is a custom property filter, as in Glance.
                matches = [m for m in matches if str(m.get(key)) == value]
        if marker is not None:
            ids = [m["id"] for m in matches]
            if marker not in ids:
                return Response(400, {"message": "marker not found"})
            matches = matches[ids.index(marker) + 1:]
        limit = min(limit, self.api_limit_max)
        page = matches[:limit]
        body = {"images": page, "first": "/v2/images"}
        if len(page) == limit and page:
            body["next"] = "/v2/images?limit=%d&marker=%s" % (limit, page[-1]["id"])
        return Response(200, body)


class StubSession:
    """The part of a keystoneauth1 session that GlanceClient uses."""

    def __init__(self, glance):
        self.glance = glance
        self.auth = None

    def request(self, url, method, **kwargs):
        return self.glance.answer(method, url, kwargs.get("params"))


class FakeConnection:
    def __init__(self, client):
        self.client = client


class Connector:
    """Stands in for _connection.connect: records the options each call saw, per cloud."""

    def __init__(self, clouds, failures=None):
        self.clouds = clouds  # cloud name (or None) -> StubGlance
        self.failures = failures or {}  # cloud name -> exception to raise
        self.calls = []
        self._lock = threading.Lock()

    def __call__(self, adapter):
        options = {name: adapter.get(name) for name in ("cloud", "auth", "token", "endpoint", "region_name")}
        with self._lock:
            self.calls.append(options)
        cloud = options["cloud"]
        if cloud in self.failures:
            raise self.failures[cloud]
        return FakeConnection(self.clouds[cloud].client())
