# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: a small REST client for the Image service API v2.

The client sits on a keystoneauth1 session (which owns authentication, TLS and
timeouts) and adds what Glance needs: JSON errors turned into one exception,
retries with capped jittered backoff for idempotent requests only, pagination
that survives Glance's lossy ``next`` links, and version discovery cached per
process.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

from ansible_collections.imagecat.glance.plugins.module_utils._errors import GlanceError

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
# The methods api_requests reports (an unchanged run has GETs only).
COUNTED_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
RETRY_STATUSES = frozenset((500, 502, 503, 504))
JSON_PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
# paginate() gives up after this many pages (Glance's largest page is 1000 items).
MAX_PAGES = 10000

# Version discovery is a feature probe, the same for every call in a process.
_VERSION_CACHE = {}


def clean_error_message(text):
    """Glance's error messages carry HTML line breaks and trailing blanks."""
    text = re.sub(r"\s*<br\s*/?>\s*", " ", text or "")
    return " ".join(text.split())


def error_from_response(response, method, url):
    status = response.status_code
    request_id = response.headers.get("x-openstack-request-id")
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        # Glance: {"message", "code", "title"}; keystone-style: {"error": {...}}
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        detail = clean_error_message(inner.get("message") or inner.get("title") or "")
    if not detail:
        detail = clean_error_message(response.text[:500]) or response.reason or ""
    message = "%s %s failed with HTTP %s: %s" % (method, url, status, detail)
    if status == 401:
        message += " (the token or credentials were refused: expired, revoked or wrong)"
    return GlanceError(message, status=status, request_id=request_id, method=method, url=url)


def backoff_delays(retries, base=0.5, cap=8.0, rng=random.random):
    """Capped exponential backoff with full jitter: one delay per retry."""
    return [rng() * min(cap, base * (2 ** attempt)) for attempt in range(retries)]


def parse_version(version_id):
    """'v2.18' -> (2, 18); anything unparsable sorts first."""
    match = re.match(r"^v?(\d+)(?:\.(\d+))?$", str(version_id or ""))
    if not match:
        return (0, 0)
    return (int(match.group(1)), int(match.group(2) or 0))


def image_api_root(endpoint):
    """The catalogue may list the image endpoint with or without a /v2 suffix."""
    root = endpoint.rstrip("/")
    root = re.sub(r"/v2(\.\d+)?$", "", root)
    return root


class GlanceClient:
    """REST calls against one Image service endpoint through a keystoneauth1 session."""

    def __init__(self, session, endpoint, retries=3, sleep=time.sleep, connection_errors=(), describe_error=None):
        self.session = session
        self.root = image_api_root(endpoint)
        self.retries = retries
        self.sleep = sleep
        # keystoneauth1's connection exceptions, passed in so this file needs no import.
        self.connection_errors = tuple(connection_errors)
        # (exception, url) -> a message for failures no retry can mend (TLS), or None.
        self.describe_error = describe_error
        # Requests sent, by method (retries included): modules report them to prove idempotence.
        self.request_counts = {}
        self._count_lock = threading.Lock()

    def count_request(self, method):
        with self._count_lock:
            self.request_counts[method] = self.request_counts.get(method, 0) + 1

    def requests_since(self, before):
        """Requests sent since ``before`` (a copy of request_counts), by method, every write method listed."""
        counts = dict.fromkeys(COUNTED_METHODS, 0)
        for method, count in self.request_counts.items():
            counts[method] = count - (before or {}).get(method, 0)
        return counts

    # -- low level ---------------------------------------------------------
    def url(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.root + "/" + path.lstrip("/")

    def request(self, method, path, expected=(200,), json_body=None, headers=None,
                params=None, data=None, stream=False, retry=None):
        """Send one request; retry idempotent ones on connection errors and 5xx."""
        method = method.upper()
        url = self.url(path)
        send_headers = {"Accept": "application/json"}
        if headers:
            send_headers.update(headers)
        kwargs = {"headers": send_headers, "raise_exc": False, "connect_retries": 0}
        if json_body is not None:
            if "Content-Type" not in send_headers:
                send_headers["Content-Type"] = "application/json"
            kwargs["data"] = json.dumps(json_body)
        elif data is not None:
            kwargs["data"] = data
        if params:
            kwargs["params"] = params
        if stream:
            kwargs["stream"] = True
        if retry is None:
            retry = method in IDEMPOTENT_METHODS
        delays = backoff_delays(self.retries) if retry else []
        attempt = 0
        while True:
            self.count_request(method)
            try:
                response = self.session.request(url, method, **kwargs)
            except self.connection_errors as exc:
                fatal = self.describe_error(exc, self.root) if self.describe_error else None
                if fatal:
                    raise GlanceError("%s %s failed: %s" % (method, url, fatal), method=method, url=url)
                if attempt < len(delays):
                    self.sleep(delays[attempt])
                    attempt += 1
                    continue
                error = GlanceError(
                    "%s %s failed: cannot reach the Image service at %s (%s)%s"
                    % (method, url, self.root, clean_error_message(str(exc)),
                       "; gave up after %d retries" % attempt if attempt else ""),
                    method=method, url=url)
                error.replayed = attempt > 0
                raise error
            if response.status_code in RETRY_STATUSES and attempt < len(delays):
                self.sleep(delays[attempt])
                attempt += 1
                continue
            if response.status_code not in expected:
                error = error_from_response(response, method, url)
                if attempt and response.status_code in RETRY_STATUSES:
                    error.message += " (gave up after %d retries)" % attempt
                error.replayed = attempt > 0
                raise error
            response.replayed = attempt > 0
            return response

    def get_json(self, path, params=None, expected=(200,)):
        response = self.request("GET", path, params=params, expected=expected)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()

    # -- collections -------------------------------------------------------
    def paginate(self, path, key, params=None, page_size=None, max_pages=MAX_PAGES):
        """Yield every item of a collection, following ``next`` for every page.

        Glance builds ``next`` from the last value of each query parameter only
        (``tag=a&tag=b`` comes back as ``tag=b``), so the next page is asked with
        our own query plus the marker taken from ``next``. Bounded: more than
        ``max_pages`` pages, or a server that sends a marker again or a page of
        items it already sent (a loop), fail with a GlanceError instead of
        running forever.
        """
        query = list(_as_pairs(params))
        if page_size:
            query = [(k, v) for k, v in query if k != "limit"] + [("limit", str(page_size))]
        marker = None
        seen_markers = set()
        seen_ids = set()
        pages = 0
        while True:
            if pages >= max_pages:
                raise GlanceError("GET %s: stopped after %d pages (%d items) without reaching the last page; "
                                  "narrow the query with filters, or ask for larger pages." % (
                                      path, pages, len(seen_ids)), method="GET", url=path)
            page_query = query + ([("marker", marker)] if marker else [])
            body = self.get_json(path, params=page_query)
            pages += 1
            items = body.get(key) or []
            ids = [_item_id(item) for item in items]
            if items and None not in ids and seen_ids.issuperset(ids):
                raise GlanceError("GET %s: page %d lists only items that earlier pages listed (%s, ...): the "
                                  "server's pagination loops; stopped." % (path, pages, ids[0]),
                                  method="GET", url=path)
            # An item that moved behind the marker while we paged (sorted by a key that changed) is not
            # listed twice.
            yield from (item for item, item_id in zip(items, ids) if item_id is None or item_id not in seen_ids)
            seen_ids.update(item_id for item_id in ids if item_id is not None)
            next_link = body.get("next")
            if not next_link or not items:
                return
            marker = _marker_from(next_link) or items[-1].get("id")
            if not marker:
                return
            if marker in seen_markers:
                raise GlanceError("GET %s: the server sent the marker %s again after page %d: its pagination "
                                  "loops; stopped." % (path, marker, pages), method="GET", url=path)
            seen_markers.add(marker)

    # -- version discovery -------------------------------------------------
    def versions(self):
        """The version document of this endpoint, fetched once per process."""
        cached = _VERSION_CACHE.get(self.root)
        if cached is None:
            response = self.request("GET", self.root + "/", expected=(200, 300))
            cached = response.json().get("versions") or []
            _VERSION_CACHE[self.root] = cached
        return cached

    def current_version(self):
        versions = self.versions()
        current = [v for v in versions if v.get("status") == "CURRENT"] or versions
        if not current:
            return None
        best = max(current, key=lambda v: parse_version(v.get("id")))
        major, minor = parse_version(best.get("id"))
        return "%d.%d" % (major, minor)

    def has_version(self, version):
        """Exactly this version is advertised (2.8 and 2.14 appear only with multistore / cache)."""
        wanted = parse_version(version)
        return any(parse_version(v.get("id")) == wanted for v in self.versions())

    def supports(self, version):
        """The service is at least this version (features that came with a release)."""
        wanted = parse_version(version)
        return any(parse_version(v.get("id")) >= wanted for v in self.versions())


def _as_pairs(params):
    if not params:
        return []
    if isinstance(params, dict):
        pairs = []
        for key, value in params.items():
            if isinstance(value, (list, tuple)):
                pairs.extend((key, item) for item in value)
            else:
                pairs.append((key, value))
        return pairs
    return list(params)


def _item_id(item):
    return item.get("id") if isinstance(item, dict) else None


def _marker_from(link):
    values = parse_qs(urlsplit(link).query).get("marker")
    return values[-1] if values else None
