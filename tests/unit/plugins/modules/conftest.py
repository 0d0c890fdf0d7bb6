"""Fixtures of the module tests: module classes run against glance_stub's in-memory Glance."""

import os
import sys

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _glance, _images, _module

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugin_utils"))
from glance_stub import StubGlance  # noqa: E402
from writable_glance import WritableGlance  # noqa: E402


class Connection:
    """What the modules use of _connection.Connection, for a Glance without Keystone."""

    has_keystone = False

    def __init__(self, client):
        self.client = client

    def project_id(self):
        return "p1"

    def image_endpoints(self, interface):
        return {}

    def is_admin(self):
        return False


@pytest.fixture
def glance(monkeypatch):
    _glance._VERSION_CACHE.clear()
    _images._SCHEMA_CACHE.clear()
    stub = StubGlance([])
    monkeypatch.setattr(_module, "connect", lambda adapter: Connection(stub.client()))
    return stub


@pytest.fixture
def cloud(monkeypatch):
    """Like ``glance``, an in-memory Glance that also takes writes (see writable_glance.py)."""
    _glance._VERSION_CACHE.clear()
    _images._SCHEMA_CACHE.clear()
    stub = WritableGlance()
    monkeypatch.setattr(_module, "connect", lambda adapter: Connection(stub.client()))
    return stub
