"""A loopback stand-in for Glance's Image API v1 (read only), serving an image set a test defines.

No Glance that still serves v1 installs on Python 3.11 (v1 was removed in Rocky), so the
tests of the collection's v1 read path run against this server. It answers in the shapes
of the v1 reference: the version document at ``GET /``, ``GET /v1/images`` (id, name,
disk_format, container_format, size, checksum), ``GET /v1/images/detail`` (every field,
custom properties under ``properties``) and ``HEAD /v1/images/{id}`` (``x-image-meta-*``
headers, sizes as strings). v1 filters: name, status, disk_format, container_format,
size_min, size_max, is_public (true, false, None), changes-since, property-<key>;
sort_key and sort_dir; limit (default 25, at most 1000) and marker. Deleted images are
listed only with changes-since, as in v1. Every request needs an X-Auth-Token header
(any value: the server checks none); anything but GET and HEAD gets 405.

The image set is a JSON file: a list of v1 image records (the fields of the detail
listing), or {"images": [...], "limit_max": N} to cap pages at N images (Glance's
api_limit_max; 1000 by default). Run it through serve_files.py, which starts and stops it:

  serve_files.py start --image-v1 IMAGES.json --state FILE   prints {"url", "port", "pid"}
  serve_files.py stop --state FILE

Standard library only.
"""

import http.server
import json
import sys
import time
from urllib.parse import parse_qsl, urlsplit

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
SORT_KEYS = ("id", "name", "status", "disk_format", "container_format", "size", "created_at", "updated_at")
INDEX_FIELDS = ("id", "name", "disk_format", "container_format", "size", "checksum")
# HEAD headers: v1 names some with '-' and others with '_' (x-image-meta-disk_format was never sent).
HEADER_NAMES = {"disk_format": "disk-format", "container_format": "container-format", "is_public": "is-public",
                "min_disk": "min-disk", "min_ram": "min-ram"}


def load_image_set(path):
    """(images, limit_max) from the file: a list of records, or {"images": [...], "limit_max": N}."""
    with open(path) as handle:
        data = json.load(handle)
    images, limit_max = data, MAX_LIMIT
    if isinstance(data, dict):
        images, limit_max = data.get("images"), int(data.get("limit_max") or MAX_LIMIT)
    if not isinstance(images, list) or not all(isinstance(i, dict) and i.get("id") for i in images):
        raise SystemExit("image_v1_server: %s must hold a list of image records with ids" % path)
    return images, limit_max


def version_document(base_url):
    link = [{"rel": "self", "href": base_url + "/v1/"}]
    return {"versions": [{"id": "v1.1", "status": "CURRENT", "links": link},
                         {"id": "v1.0", "status": "SUPPORTED", "links": link}]}


def _bool_param(value):
    return str(value).lower() in ("true", "1", "yes", "on")


def _as_text(value):
    if isinstance(value, bool):
        return "True" if value else "False"
    return "" if value is None else str(value)


def select(images, params, limit_max=MAX_LIMIT):
    """(status, body or error text) for a v1 listing query, as Glance v1 filtered and paged."""
    query = dict(params)
    since = query.get("changes-since")
    found = [i for i in images if since or not i.get("deleted")]
    for key in ("name", "status", "disk_format", "container_format"):
        if key in query:
            found = [i for i in found if _as_text(i.get(key)) == query[key]]
    for key, test in (("size_min", lambda size, bound: size >= bound), ("size_max", lambda size, bound: size <= bound)):
        if key in query:
            try:
                bound = int(query[key])
            except ValueError:
                return 400, "Invalid %s filter: %s" % (key, query[key])
            found = [i for i in found if i.get("size") is not None and test(int(i["size"]), bound)]
    if query.get("is_public", "None") != "None":
        wanted = _bool_param(query["is_public"])
        found = [i for i in found if bool(i.get("is_public")) == wanted]
    if since:
        found = [i for i in found if str(i.get("updated_at") or "").replace(" ", "T") >= since.rstrip("Z")]
    for key, value in params:
        if key.startswith("property-"):
            name = key[len("property-"):]
            found = [i for i in found if _as_text((i.get("properties") or {}).get(name)) == value]
    sort_key = query.get("sort_key", "created_at")
    sort_dir = query.get("sort_dir", "desc")
    if sort_key not in SORT_KEYS or sort_dir not in ("asc", "desc"):
        return 400, "Unsupported sort_key %s or sort_dir %s" % (sort_key, sort_dir)
    found.sort(key=lambda i: (_as_text(i.get(sort_key)) if sort_key != "size" else int(i.get("size") or 0),
                              i["id"]), reverse=sort_dir == "desc")
    if "marker" in query:
        ids = [i["id"] for i in found]
        if query["marker"] not in ids:
            return 400, "marker not found: %s" % query["marker"]
        found = found[ids.index(query["marker"]) + 1:]
    try:
        limit = min(int(query.get("limit", DEFAULT_LIMIT)), limit_max)
    except ValueError:
        return 400, "limit param must be an integer"
    if limit < 0:
        return 400, "limit param must be positive"
    return 200, found[:limit]


def meta_headers(image):
    """HEAD /v1/images/{id}: every field as an x-image-meta-* header, values as strings."""
    headers = []
    for key, value in image.items():
        if key == "properties":
            continue
        headers.append(("x-image-meta-%s" % HEADER_NAMES.get(key, key), _as_text(value)))
    for key, value in (image.get("properties") or {}).items():
        headers.append(("x-image-meta-property-%s" % key, _as_text(value)))
    return headers


class ImageV1Handler(http.server.BaseHTTPRequestHandler):
    images = []
    limit_max = MAX_LIMIT
    protocol_version = "HTTP/1.1"

    def _send(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status, message):
        self._send(status, {"message": message, "code": status})

    def _authorized(self):
        if self.headers.get("X-Auth-Token"):
            return True
        self._error(401, "This server could not verify that you are authorized to access the document you requested.")
        return False

    def _route(self):
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        params = parse_qsl(parts.query, keep_blank_values=True)
        base = "http://%s:%d" % self.server.server_address[:2]
        if path in ("/", "/versions"):
            return self._send(300, version_document(base))
        if not self._authorized():
            return None
        if path in ("/v1/images", "/v1/images/detail") and self.command == "GET":
            status, found = select(self.images, params, self.limit_max)
            if status != 200:
                return self._error(status, found)
            if path == "/v1/images":
                found = [{key: image.get(key) for key in INDEX_FIELDS} for image in found]
            return self._send(200, {"images": found})
        if path.startswith("/v1/images/") and path.count("/") == 3:
            image_id = path.rsplit("/", 1)[1]
            image = next((i for i in self.images if i["id"] == image_id), None)
            if image is None:
                return self._error(404, "Image %s not found." % image_id)
            if self.command == "HEAD":
                return self._send(200, None, meta_headers(image))
        return self._error(404, "The resource could not be found.")

    def do_GET(self):
        self._route()

    def do_HEAD(self):
        self._route()

    def _refuse(self):
        self.close_connection = True  # the request body is not read
        self._error(405, "This v1 stand-in is read only.")

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def log_message(self, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), args[0] % args[1:]))
        sys.stderr.flush()


def handler_for(images_file):
    """A handler class serving the images of that file (for serve_files.serve)."""
    images, limit_max = load_image_set(images_file)
    return type("ImageV1SetHandler", (ImageV1Handler,), {"images": images, "limit_max": limit_max})
