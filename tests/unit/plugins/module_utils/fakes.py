"""A fake keystoneauth1 session: scripted responses, recorded requests."""

import json


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
