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


def test_secret_auth_keys():
    found = _connection.auth_secret_values({
        "username": "demo", "password": "p", "token": "t", "application_credential_secret": "s",
        "application_credential_id": "id-1", "project_name": "x", "auth_url": "http://k",
        "nested": {"passcode": "123"}, "empty": ""})
    assert found == {"p", "t", "s", "123"}


def test_auth_without_cloud_never_takes_the_only_clouds_password(tmp_path, monkeypatch):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  only:\n    auth:\n      auth_url: http://127.0.0.1:1/v3\n"
                    "      username: u\n      password: only-cloud-password\n      project_name: p\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    region, source = _connection._load_cloud_region({"auth": {"auth_url": "http://127.0.0.1:2/v3", "username": "v"}})
    assert "password" not in region.config["auth"]
    assert region.config["auth"]["auth_url"] == "http://127.0.0.1:2/v3"
    assert "auth option" in str(source)
    # With cloud named, the task's auth is merged over the cloud's.
    region, source = _connection._load_cloud_region({"cloud": "only", "auth": {"username": "v"}})
    assert region.config["auth"]["password"] == "only-cloud-password"
    assert region.config["auth"]["username"] == "v"
    assert str(path) in str(source)


def test_token_auth_types_work_with_inline_auth(clouds_yaml):
    region, dummy = _connection._load_cloud_region(
        {"auth_type": "v3token", "auth": {"auth_url": "http://127.0.0.1:1/v3", "token": "tok", "project_name": "p",
                                          "project_domain_name": "Default"}})
    assert type(region.get_auth()).__name__ == "Token"
    with pytest.raises(GlanceError) as caught:
        _connection._load_cloud_region({"auth_type": "v3token", "auth": {"auth_url": "http://k/v3", "token": "t",
                                                                         "username": "demo"}})
    assert "auth_type v3token (option auth_type) does not take auth.username" in caught.value.message
    assert "t" not in caught.value.message.split("Its options")[0].split()


def test_an_unparsable_clouds_yaml_names_file_and_line(tmp_path, monkeypatch):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  demo:\n    auth: {username: [unclosed\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    with pytest.raises(GlanceError) as caught:
        connect({"cloud": "demo"})
    assert "clouds.yaml is not valid YAML: %s, line 4" % path in caught.value.message


@pytest.mark.parametrize("value", [0, -3])
def test_api_timeout_must_be_positive(value, clouds_yaml):
    with pytest.raises(GlanceError, match=r"^api_timeout \(task option\): %s is not a number of seconds above 0" % value):
        connect({"cloud": "alpha", "api_timeout": value})
    with pytest.raises(GlanceError, match="api_timeout"):
        connect({"endpoint": "http://g", "api_timeout": value})


def test_validate_certs_false_warns():
    assert connect({"endpoint": "https://g", "validate_certs": False}).warnings[0].startswith(
        "TLS certificates of https://g are not verified")
    assert connect({"endpoint": "https://g"}).warnings == []


def test_tls_errors_are_explained():
    message = _connection.tls_error_message(
        Exception("SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer"),
        "https://k", "cloud 'x'")
    assert "not signed by a known CA" in message and "ca_cert" in message
    assert "client_key does not belong" in _connection.tls_error_message(Exception("[SSL: KEY_VALUES_MISMATCH]"), "u", "w")
    assert _connection.tls_error_message(Exception("Connection refused"), "u", "w") is None
    # TLS 1.3: the server's "certificate required" alert may be lost, the client sees an EOF in the handshake.
    eof = _connection.tls_error_message(Exception("SSLEOFError(8, 'EOF occurred in violation of protocol')"), "u", "w")
    assert "closed the connection during the handshake" in eof and "client_cert and client_key" in eof


def test_a_password_auth_without_password_names_the_option_and_source(clouds_yaml):
    with pytest.raises(GlanceError) as caught:
        connect({"auth": {"auth_url": "http://127.0.0.1:1/v3", "username": "u", "project_name": "p"}})
    assert caught.value.message == ("Incomplete credentials for the cloud given by the auth option (clouds.yaml "
                                    "and OS_* variables not used): missing auth.password (task option).")
    with pytest.raises(GlanceError, match=r"cloud 'beta' \(option cloud in .*clouds.yaml\): missing auth.password"):
        connect({"cloud": "beta"})


def test_messages_put_the_cloud_and_url_first_then_where_it_was_configured(clouds_yaml):
    with pytest.raises(GlanceError) as caught:
        connect({"cloud": "alpha", "api_timeout": 2})
    assert caught.value.message.startswith(
        "Cannot reach the identity service of cloud 'alpha' at http://127.0.0.1:1/v3 (option cloud in %s): "
        % clouds_yaml)
