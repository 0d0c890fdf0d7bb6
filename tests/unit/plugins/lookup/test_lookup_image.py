import os
import sys

import pytest

from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.plugin_utils import _plugin_options

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugin_utils"))
from glance_stub import Connector, StubGlance, image, load_collection_plugins  # noqa: E402

ID_A = "11111111-1111-4111-8111-111111111111"
ID_B = "22222222-2222-4222-8222-222222222222"
ID_C = "33333333-3333-4333-8333-333333333333"
ID_D = "44444444-4444-4444-8444-444444444444"
HIDDEN = "55555555-5555-4555-8555-555555555555"

IMAGES = [
    image("ubuntu", ID_A, tags=["lts"], os_distro="ubuntu", created_at="2026-01-01T00:00:00Z"),
    image("ubuntu", ID_B, tags=["lts"], os_distro="ubuntu", created_at="2026-03-01T00:00:00Z"),
    image("debian", ID_C, visibility="public", os_distro="debian", created_at="2026-02-01T00:00:00Z"),
    image("cirros", ID_D, visibility="public", status="queued"),
]


@pytest.fixture
def glance(monkeypatch):
    load_collection_plugins()
    stub = StubGlance(IMAGES + [image("hidden", HIDDEN, os_hidden=True)])
    stub.connector = Connector({"demo": stub, None: stub})
    monkeypatch.setattr(_plugin_options, "connect", stub.connector)
    return stub


def run(terms=(), variables=None, **kwargs):
    lookup = lookup_loader.get("imagecat.glance.image")
    return lookup.run(list(terms), variables=variables or {}, **kwargs)


def names(images):
    return [i["name"] for i in images]


def test_the_plugin_loads_with_its_documented_options():
    load_collection_plugins()
    lookup = lookup_loader.get("imagecat.glance.image")
    lookup.set_options(direct={})
    assert lookup.get_option("on_missing") == "error"
    assert lookup.get_option("filters") == {}
    assert lookup.get_option("cloud") is None


def test_by_name_returns_every_image_of_that_name(glance):
    found = run(["ubuntu"], cloud="demo")
    assert [i["id"] for i in found] == [ID_A, ID_B]
    assert glance.list_requests()[0][2] == [("name", "eq:ubuntu"), ("limit", "1000")]


def test_by_id_gets_the_image_directly_even_when_hidden(glance):
    assert run([HIDDEN], cloud="demo")[0]["os_hidden"] is True
    assert glance.requests == [("GET", "/v2/images/" + HIDDEN, [])]


def test_terms_are_narrowed_by_filters_and_properties(glance):
    assert names(run(["ubuntu", "debian"], cloud="demo", properties={"os_distro": "debian"},
                     on_missing="skip")) == ["debian"]
    found = run(["debian", "cirros"], cloud="demo", filters={"visibility": "public", "status": "active"},
                on_missing="skip")
    assert names(found) == ["debian"]


def test_no_terms_lists_every_image_matching_the_filters_on_every_page(glance):
    glance.api_limit_max = 1
    assert names(run(cloud="demo", filters={"tag": ["lts"]})) == ["ubuntu", "ubuntu"]
    # one request per page, plus the empty page that ends the listing
    assert len(glance.list_requests()) == 3
    assert all(("limit", "1000") in params for dummy, dummy_path, params in glance.list_requests())


def test_one_connection_and_no_version_discovery_however_many_terms(glance):
    run(["ubuntu", "debian", ID_D, "cirros"], cloud="demo")
    assert len(glance.connector.calls) == 1
    assert [r for r in glance.requests if r[1] in ("", "/")] == []


def test_an_image_matching_several_terms_is_returned_once(glance):
    assert [i["id"] for i in run([ID_C, "debian", "ubuntu"], cloud="demo")] == [ID_C, ID_A, ID_B]


def test_query_scalar_result_is_one_element(glance):
    newest = run(cloud="demo", properties={"os_distro": "ubuntu"}, query="sort_by(@, &created_at)[-1].id")
    assert newest == [ID_B]
    assert run(["ubuntu"], cloud="demo", query="length(@)") == [2]
    assert run(["nothing"], cloud="demo", query="[0].id", on_missing="skip") == [None]


def test_query_list_result_is_the_list(glance):
    assert run(cloud="demo", filters={"visibility": "public"}, query="[].name") == ["debian", "cirros"]


def test_missing_terms_fail_by_default_naming_every_one(glance):
    with pytest.raises(AnsibleError) as caught:
        run(["ubuntu", "nope", "nada"], cloud="demo")
    assert "no image matches 'nope', 'nada'" in caught.value.message
    assert "on_missing" in caught.value.message


def test_missing_terms_warn_or_skip(glance, monkeypatch):
    warnings = []
    plugin_module = sys.modules[type(lookup_loader.get("imagecat.glance.image")).__module__]
    monkeypatch.setattr(plugin_module.display, "warning", warnings.append)
    assert names(run(["nope", "debian"], cloud="demo", on_missing="warn")) == ["debian"]
    assert warnings == ["imagecat.glance.image lookup: no image matches 'nope'."]
    assert names(run(["nope", "debian"], cloud="demo", on_missing="skip")) == ["debian"]
    assert len(warnings) == 1


def test_no_match_without_terms_is_an_empty_list(glance):
    assert run(cloud="demo", filters={"tag": ["none-has-it"]}) == []


@pytest.mark.parametrize("options, fragment", [
    ({"query": "sort_by(@"}, "option query: invalid JMESPath expression"),
    ({"filters": {"visibility": "secret"}}, "option filters: value of visibility must be one of"),
    ({"filters": {"status": "running"}}, "option filters.status: unknown status 'running'"),
    ({"filters": {"colour": "blue"}}, "unsupported parameter filters.colour"),
    ({"properties": {"limit": 1}}, "option properties.limit"),
])
def test_bad_input_fails_before_any_request(glance, options, fragment):
    with pytest.raises(AnsibleError) as caught:
        run(["ubuntu"], cloud="demo", **options)
    assert fragment in caught.value.message
    assert glance.connector.calls == [] and glance.requests == []


def test_terms_must_be_names_or_ids(glance):
    with pytest.raises(AnsibleError, match="terms are image names or ids, got a dict"):
        run([{"name": "ubuntu"}], cloud="demo")


def test_connection_options_come_from_variables_and_environment(glance, monkeypatch):
    run(["debian"], variables={"ansible_glance_cloud": "demo", "ansible_glance_region_name": "r2"})
    assert glance.connector.calls[-1]["cloud"] == "demo"
    assert glance.connector.calls[-1]["region_name"] == "r2"
    monkeypatch.setenv("ANSIBLE_GLANCE_CLOUD", "demo")
    run(["debian"])
    assert glance.connector.calls[-1]["cloud"] == "demo"
    # a keyword wins over a variable
    run(["debian"], variables={"ansible_glance_region_name": "r2"}, region_name="r3")
    assert glance.connector.calls[-1]["region_name"] == "r3"


def test_service_errors_never_repeat_secrets(monkeypatch):
    load_collection_plugins()

    def refuse(adapter):
        raise GlanceError("Authentication failed with password hunter2-secret and token tok-99 (HTTP 401)")
    monkeypatch.setattr(_plugin_options, "connect", refuse)
    with pytest.raises(AnsibleError) as caught:
        run(["x"], auth={"auth_url": "http://k", "password": "hunter2-secret"}, endpoint="http://g", token="tok-99")
    message = caught.value.message
    assert "hunter2-secret" not in message and "tok-99" not in message
    assert "Authentication failed with password ********" in message


def test_option_variables_are_templated(glance):
    # Ansible gives lookups their variables untemplated (ansible_glance_auth: "{{ vault_auth }}").
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 templates any string
        def trust_as_template(value):
            return value
    variables = {"the_cloud": "demo", "region": "r9",
                 "ansible_glance_cloud": trust_as_template("{{ the_cloud }}"),
                 "ansible_glance_region_name": trust_as_template("{{ region }}"),
                 "unrelated": trust_as_template("{{ undefined_variable }}")}
    templar = Templar(loader=DataLoader(), variables=variables)
    lookup = lookup_loader.get("imagecat.glance.image", templar=templar)
    assert names(lookup.run(["debian"], variables=variables)) == ["debian"]
    assert glance.connector.calls[-1]["cloud"] == "demo"
    assert glance.connector.calls[-1]["region_name"] == "r9"


def test_api_image_v1_against_a_v2_service_fails_clearly(glance):
    with pytest.raises(AnsibleError, match=r"api: image_v1, but the image endpoint http://glance.test:9292 does not "
                                           r"serve Image API v1"):
        run(["ubuntu"], cloud="demo", api="image_v1")
    assert glance.list_requests() == []


def test_a_filter_the_chosen_legacy_api_cannot_express_fails_before_connecting(glance):
    with pytest.raises(AnsibleError, match=r"option filters.tag: Compute's images proxy has no tags"):
        run(cloud="demo", api="compute", filters={"tag": ["lts"]})
    assert glance.connector.calls == [] and glance.requests == []


def test_page_size_reaches_the_listing(glance):
    assert len(run(cloud="demo", page_size=2)) == 4
    assert [dict(r[2]).get("limit") for r in glance.list_requests()] == ["2", "2", "2"]
