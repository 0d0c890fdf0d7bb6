import pytest

from ansible.errors import AnsibleError

from ansible_collections.imagecat.glance.plugins.module_utils._connection import MissingLibraryError
from ansible_collections.imagecat.glance.plugins.plugin_utils import _plugin_options
from ansible_collections.imagecat.glance.plugins.plugin_utils._plugin_options import (
    REDACTED,
    apply_jmespath,
    compile_jmespath,
    connect_plugin,
    connection_adapter,
    fingerprint,
    list_query,
    redact,
    secret_values,
    validated_filters,
)


class Plugin:
    """A plugin as OptionAdapter.from_plugin sees it."""

    ansible_name = "imagecat.glance.image"

    def __init__(self, **options):
        self.options = options

    def has_option(self, name):
        return name in ("cloud", "auth", "token", "client_key", "region_name")

    def get_option(self, name):
        return self.options.get(name)


# ---- filters: the same checks and messages as image_info ---------------------------------
@pytest.mark.parametrize("filters, fragment", [
    ({"colour": "blue"}, "option filters: unsupported parameter filters.colour. Supported parameters include: checksum"),
    ({"protected": "maybe"}, "option filters: argument 'protected' is of type"),
    ({"visibility": "secret"}, "option filters: value of visibility must be one of: public, private"),
    ({"size_min": "x"}, "option filters: argument 'size_min' is of type"),
    ({"sort_dir": ["up"]}, "option filters: value of sort_dir must be one or more of: asc, desc"),
    ({"status": "running"}, "option filters.status: unknown status 'running'"),
    ({"created_at": "after:2026-01-01T00:00:00Z"}, "option filters.created_at: unknown operator 'after'"),
    ({"sort": "colour:asc"}, "option filters.sort: cannot sort by 'colour'"),
    ({"size_min": -1}, "option filters.size_min must be 0 or more"),
])
def test_bad_filters_name_the_option(filters, fragment):
    with pytest.raises(AnsibleError) as caught:
        list_query(filters, {})
    assert fragment in caught.value.message
    assert "Traceback" not in caught.value.message


def test_filters_are_converted_like_the_module_converts_them():
    assert validated_filters({"tag": "a", "protected": "yes"})["tag"] == ["a"]
    assert list_query({"tag": "a", "protected": "yes", "name": "x:y"}, {"idx": 3}) == [
        ("name", "eq:x:y"), ("tag", "a"), ("protected", "true"), ("idx", "3")]
    assert list_query(None, None) == []
    assert list_query({}, {}) == []


def test_bad_properties_name_the_option():
    with pytest.raises(AnsibleError, match="option properties.limit: 'limit' is a list filter"):
        list_query({}, {"limit": 3})
    with pytest.raises(AnsibleError, match="option properties: expected a dictionary"):
        list_query({}, ["os_distro=ubuntu"])


# ---- query --------------------------------------------------------------------------------
def test_jmespath_is_compiled_before_use_and_errors_name_the_option():
    assert compile_jmespath(None) is None and compile_jmespath("") is None
    compiled = compile_jmespath("sort_by(@, &created_at)[-1].id")
    data = [{"id": "a", "created_at": "2026-02-01"}, {"id": "b", "created_at": "2026-01-01"}]
    assert apply_jmespath(compiled, data) == "a"
    with pytest.raises(AnsibleError, match=r"option query: invalid JMESPath expression 'sort_by\(@'"):
        compile_jmespath("sort_by(@")
    with pytest.raises(AnsibleError, match="option query: expected a JMESPath expression as a string"):
        compile_jmespath(["[].id"])


def test_jmespath_type_errors_against_the_data_name_the_option():
    compiled = compile_jmespath("sort_by(@, &size)[-1].id")
    with pytest.raises(AnsibleError, match="option query: the JMESPath expression 'sort_by"):
        apply_jmespath(compiled, [{"id": "a", "size": None}, {"id": "b", "size": 3}])


def test_missing_jmespath_is_reported_with_the_fix(monkeypatch):
    monkeypatch.setattr(_plugin_options, "HAS_JMESPATH", False)
    monkeypatch.setattr(_plugin_options, "JMESPATH_IMPORT_ERROR", ImportError("No module named 'jmespath'"))
    assert compile_jmespath(None) is None  # only the query option needs it
    with pytest.raises(AnsibleError, match=r"option query needs the Python library jmespath .*pip install jmespath"):
        compile_jmespath("[].id")


# ---- connection ---------------------------------------------------------------------------
def test_adapter_reads_plugin_options_and_can_override_the_cloud():
    plugin = Plugin(cloud="alpha", region_name="r1")
    assert connection_adapter(plugin).get("cloud") == "alpha"
    adapter = connection_adapter(plugin, cloud="beta")
    assert adapter.get("cloud") == "beta" and adapter.get("region_name") == "r1"
    assert adapter.get("endpoint") is None  # not an option of this plugin


def test_connect_plugin_goes_through_connect(monkeypatch):
    seen = []
    monkeypatch.setattr(_plugin_options, "connect", lambda adapter: seen.append(adapter.get("cloud")) or "conn")
    assert connect_plugin(Plugin(cloud="alpha")) == "conn"
    assert connect_plugin(Plugin(cloud="alpha"), cloud="beta") == "conn"
    assert seen == ["alpha", "beta"]


def test_missing_library_is_an_ansible_error_with_the_fix(monkeypatch):
    def refuse(adapter):
        raise MissingLibraryError("keystoneauth1", ImportError("No module named 'keystoneauth1'"))
    monkeypatch.setattr(_plugin_options, "connect", refuse)
    with pytest.raises(AnsibleError) as caught:
        connect_plugin(Plugin())
    assert "imagecat.glance.image lookup needs the Python library keystoneauth1 on the Ansible controller" \
        in caught.value.message
    assert "pip install keystoneauth1" in caught.value.message


# ---- secrets ------------------------------------------------------------------------------
def test_secrets_are_collected_and_redacted():
    plugin = Plugin(token="tok-123456", client_key="/keys/client.pem",
                    auth={"username": "demo", "password": "pw-secret", "application_credential_secret": "acs-1",
                          "project_name": "Default", "auth_url": "http://k"})
    secrets = secret_values(plugin)
    assert set(secrets) == {"tok-123456", "/keys/client.pem", "pw-secret", "acs-1"}
    message = redact("auth pw-secret and tok-123456 for demo at http://k", secrets)
    assert message == "auth %s and %s for demo at http://k" % (REDACTED, REDACTED)
    assert secret_values(Plugin()) == []


def test_fingerprint_is_stable_and_order_sensitive():
    assert fingerprint(["a", "b"], [("tag", "x")]) == fingerprint(["a", "b"], [("tag", "x")])
    assert fingerprint(["a", "b"]) != fingerprint(["b", "a"])


def test_short_secrets_are_redacted_only_where_they_stand_alone():
    message = "GET http://127.0.0.1:9/v2/images failed with token t and password pw1 (pw1x)"
    assert redact(message, ["t", "pw1"]) == \
        "GET http://127.0.0.1:9/v2/images failed with token ******** and password ******** (pw1x)"
