"""A fake keystoneauth1 session: scripted responses, recorded requests; a fake image cache on top."""

import json
from urllib.parse import urlsplit


class FakeResponse:
    def __init__(self, status_code=200, body=None, headers=None, text=None, reason=""):
        self.status_code = status_code
        self._body = body
        self.headers = headers or {}
        self.reason = reason
        if text is not None:
            self.text = text
        elif body is not None:
            self.text = json.dumps(body)
        else:
            self.text = ""
        self.content = self.text.encode()

    def json(self):
        if self._body is None:
            return json.loads(self.text)
        return self._body


class FakeSession:
    """Answers each request with the next scripted response (or exception) for its method+path."""

    def __init__(self, responder):
        self.responder = responder
        self.calls = []
        self.auth = None

    def request(self, url, method, **kwargs):
        self.calls.append((method, url, kwargs))
        outcome = self.responder(method, url, kwargs)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def scripted(*outcomes):
    """A responder that returns the given outcomes in order."""
    queue = list(outcomes)

    def responder(method, url, kwargs):
        return queue.pop(0)
    return responder


def connect_modules_to(monkeypatch, session, root="http://glance.test"):
    """Make every module's connection a GlanceClient over ``session`` (a FakeSession)."""
    import types

    from ansible_collections.imagecat.glance.plugins.module_utils import _module
    from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient

    monkeypatch.setattr(_module, "connect", lambda adapter: types.SimpleNamespace(
        client=GlanceClient(session, root, sleep=lambda s: None)))


def connector(monkeypatch, *quiet):
    """``use(fake) -> fake``: connects every module to ``fake.session`` under a root URL of its own (so
    no version document is shared between fakes); ``time.sleep`` of the ``quiet`` modules does nothing."""
    for module in quiet:
        monkeypatch.setattr(module.time, "sleep", lambda s: None)

    def use(fake):
        connect_modules_to(monkeypatch, fake.session, "http://glance-%d.test" % id(fake))
        return fake
    return use


CACHE_IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
CACHE_VERSIONS = FakeResponse(300, {"versions": [{"id": "v2.18", "status": "CURRENT"},
                                                 {"id": "v2.14", "status": "SUPPORTED"}]})


class FakeGlanceCache:
    """A cache that caches a queued image after ``delay`` listings; records the requests."""

    def __init__(self, cached=(), queued=(), delay=1, status=200, versions=CACHE_VERSIONS):
        self.cached, self.queued, self.delay = list(cached), list(queued), delay
        self.status, self.versions = status, versions
        self.writes = []
        self.session = FakeSession(self.respond)

    def respond(self, method, url, kwargs):
        path = urlsplit(url).path
        if path == "/":
            return self.versions
        if method != "GET":
            self.writes.append((method, path, (kwargs.get("headers") or {}).get("x-image-cache-clear-target")))
        if path == "/v2/images/%s" % CACHE_IMAGE_ID:
            return FakeResponse(200, {"id": CACHE_IMAGE_ID, "name": "img", "status": "active"})
        if (method, path) == ("GET", "/v2/cache"):
            if self.status != 200:
                return FakeResponse(self.status, {"message": "no"})
            if self.queued and self.delay <= 0:
                self.cached, self.queued = self.cached + self.queued, []
            self.delay -= 1
            return FakeResponse(200, {"cached_images": [{"image_id": i, "size": 1} for i in self.cached],
                                      "queued_images": list(self.queued)})
        if (method, path) == ("PUT", "/v2/cache/%s" % CACHE_IMAGE_ID):
            self.queued.append(CACHE_IMAGE_ID)
            return FakeResponse(202, text="")
        if (method, path) == ("DELETE", "/v2/cache/%s" % CACHE_IMAGE_ID):
            self.cached = [i for i in self.cached if i != CACHE_IMAGE_ID]
            self.queued = [i for i in self.queued if i != CACHE_IMAGE_ID]
            return FakeResponse(204, text="")
        if (method, path) == ("DELETE", "/v2/cache"):
            self.cached, self.queued = [], []
            return FakeResponse(204, text="")
        if (method, path) == ("POST", "/v2/cache/prune"):
            return FakeResponse(200, {"total_files_pruned": 0, "total_bytes_pruned": 0})
        if (method, path) == ("GET", "/v2/cache/nodes/%s" % CACHE_IMAGE_ID):
            return FakeResponse(200, ["http://node-1"])
        raise AssertionError("unexpected %s %s" % (method, path))
