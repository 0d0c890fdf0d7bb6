import sys

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _connection
from ansible_collections.imagecat.glance.plugins.module_utils._connection import (
    OptionAdapter,
    connect,
)
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError

CLOUDS = """
clouds:
  alpha:
    auth:
      auth_url: http://127.0.0.1:1/v3
      username: u
      password: s3cret-password
      project_name: p
      user_domain_name: Default
      project_domain_name: Default
  beta:
    auth:
      auth_url: http://127.0.0.1:1/v3
"""


@pytest.fixture
def clouds_yaml(tmp_path, monkeypatch):
    path = tmp_path / "clouds.yaml"
    path.write_text(CLOUDS)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    for name in ("OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_unknown_cloud_lists_the_clouds_that_exist(clouds_yaml):
    with pytest.raises(GlanceError) as caught:
        connect({"cloud": "gamma"})
    message = caught.value.message
    assert "Unknown cloud 'gamma' (option cloud)" in message
    assert "alpha, beta" in message
    assert str(clouds_yaml) in message


def test_unreachable_identity_service_names_cloud_and_url(clouds_yaml):
    with pytest.raises(GlanceError) as caught:
        connect({"cloud": "alpha", "api_timeout": 2})
    message = caught.value.message
    assert "cloud 'alpha'" in message and "http://127.0.0.1:1/v3" in message
    assert "s3cret-password" not in message


def test_token_needs_endpoint():
    with pytest.raises(GlanceError, match="token needs endpoint"):
        connect({"token": "abc"})


def test_endpoint_alone_needs_no_keystone_and_no_openstacksdk(monkeypatch):
    def refuse():
        raise AssertionError("the clouds.yaml loader must not be used")
    monkeypatch.setattr(_connection, "_import_openstack_config_loader", refuse)
    connection = connect({"endpoint": "http://127.0.0.1:9292/v2", "token": "tok"})
    assert connection.client.root == "http://127.0.0.1:9292"
    assert connection.session.auth.get_token(connection.session) == "tok"
    assert connect({"endpoint": "http://127.0.0.1:9292"}).session.auth is None


def test_tls_options_reach_the_session():
    connection = connect({"endpoint": "https://g", "validate_certs": True, "ca_cert": "/ca.pem",
                          "client_cert": "/c.pem", "client_key": "/k.pem", "api_timeout": 7})
    assert connection.session.verify == "/ca.pem"
    assert connection.session.cert == ("/c.pem", "/k.pem")
    assert connection.session.timeout == 7.0
    assert connect({"endpoint": "https://g", "validate_certs": False}).session.verify is False
    assert connect({"endpoint": "https://g"}).session.verify is True


def test_loader_import_skips_the_sdk_package_init():
    saved = {k: v for k, v in sys.modules.items() if k == "openstack" or k.startswith("openstack.")}
    for name in saved:
        del sys.modules[name]
    try:
        loader = _connection._import_openstack_config_loader()
        assert hasattr(loader, "OpenStackConfig")
        assert "openstack.connection" not in sys.modules
        assert "openstack" not in sys.modules  # the stand-in is gone again
        import openstack  # noqa: F401  a real import still works afterwards
        assert hasattr(sys.modules["openstack"], "connect")
    finally:
        sys.modules.update(saved)


def test_option_adapter_reads_plugins_and_dicts():
    class Plugin:
        def has_option(self, name):
            return name == "cloud"

        def get_option(self, name):
            return "alpha"
    adapter = OptionAdapter.from_plugin(Plugin())
    assert adapter.get("cloud") == "alpha" and adapter.get("auth") is None
    assert OptionAdapter.from_dict({"region_name": "r"}).get("region_name") == "r"


def test_cloud_identity_names_who_asks_without_the_secret(clouds_yaml):
    identity = _connection.cloud_identity({"cloud": "alpha"})
    assert identity["auth.auth_url"] == "http://127.0.0.1:1/v3"
    assert identity["auth.username"] == "u" and identity["auth.project_name"] == "p"
    assert not identity["region_name"] and identity["endpoint"] is None
    assert "s3cret-password" not in repr(identity)
    assert not [key for key in identity if "password" in key]
    # the same configuration is the same identity; each part of it counts
    assert _connection.cloud_identity({"cloud": "alpha"}) == identity
    for options in ({"auth": {"password": "other"}}, {"auth": {"project_name": "q"}}, {"region_name": "RegionTwo"},
                    {"endpoint": "http://127.0.0.1:2"}, {"interface": "internal"}):
        assert _connection.cloud_identity(dict({"cloud": "alpha"}, **options)) != identity, options


def test_cloud_identity_of_an_endpoint_alone_reads_no_clouds_yaml(monkeypatch):
    def no_loader(options):
        raise AssertionError("the clouds.yaml loader must not be used")
    monkeypatch.setattr(_connection, "_load_cloud_region", no_loader)
    first = _connection.cloud_identity({"endpoint": "http://glance.test", "token": "tok-1"})
    assert first["endpoint"] == "http://glance.test" and "tok-1" not in repr(first)
    assert _connection.cloud_identity({"endpoint": "http://glance.test", "token": "tok-2"}) != first
