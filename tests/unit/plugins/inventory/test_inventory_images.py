import os
import sys
import threading

import pytest
import yaml

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.plugin_utils import _plugin_options

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugin_utils"))
from glance_stub import Connector, StubGlance, image, load_collection_plugins  # noqa: E402

ID_1 = "11111111-1111-4111-8111-111111111111"
ID_2 = "22222222-2222-4222-8222-222222222222"
ID_3 = "33333333-3333-4333-8333-333333333333"
ID_4 = "44444444-4444-4444-8444-444444444444"
ID_5 = "55555555-5555-4555-8555-555555555555"


CLOUDS_YAML = {"clouds": {
    "demo": {"auth": {"auth_url": "http://keystone.test/v3", "username": "demo", "password": "demo-secret",
                      "project_name": "demo", "user_domain_name": "Default", "project_domain_name": "Default"},
             "region_name": "RegionOne"},
    "alt": {"auth": {"auth_url": "http://keystone.test/v3", "username": "alt", "password": "alt-secret",
                     "project_name": "alt", "user_domain_name": "Default", "project_domain_name": "Default"},
            "region_name": "RegionOne"},
}}


def write_clouds_yaml(path, clouds_yaml, monkeypatch):
    path.write_text(yaml.safe_dump(clouds_yaml))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))


@pytest.fixture
def clouds(monkeypatch, tmp_path):
    load_collection_plugins()
    # The cache key reads the real clouds.yaml (no request): these clouds' identities.
    write_clouds_yaml(tmp_path / "clouds.yaml", CLOUDS_YAML, monkeypatch)
    for name in [name for name in os.environ if name.startswith("OS_") and name != "OS_CLIENT_CONFIG_FILE"]:
        monkeypatch.delenv(name)
    demo = StubGlance([
        image("ubuntu", ID_1, tags=["lts", "with space", "ünï"], os_distro="ubuntu", visibility="public"),
        image("ubuntu", ID_2, tags=["lts"], os_distro="ubuntu", status="queued", disk_format=None),
        image("cirros", ID_3, size=1000, hw_qemu_guest_agent="yes", **{"com.example:team": "ops", "in": "x"}),
        image(None, ID_4),
    ])
    alt = StubGlance([image("ubuntu", ID_5, os_distro="ubuntu", visibility="community", cloud="not-alt")])
    connector = Connector({"demo": demo, "alt": alt, None: demo})
    monkeypatch.setattr(_plugin_options, "connect", connector)
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.delenv("ANSIBLE_GLANCE_CLOUD", raising=False)
    return {"demo": demo, "alt": alt, "connector": connector}


def parse(tmp_path, config, cache=True, name="test.glance_images.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(dict({"plugin": "imagecat.glance.images"}, **config)))
    plugin = inventory_loader.get("imagecat.glance.images")
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=cache)
    # What the inventory manager does after every parse.
    if getattr(plugin, "_cache", None) is not None:
        plugin.update_cache_if_changed()
    return inventory


def members(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def hostvars(inventory, host):
    return inventory.get_host(host).get_vars()


def test_only_glance_images_files_are_taken(tmp_path):
    load_collection_plugins()
    plugin = inventory_loader.get("imagecat.glance.images")
    for name, wanted in (("a.glance_images.yml", True), ("glance_images.yaml", True),
                         ("a.glance_images.json", False), ("hosts.yml", False), ("glance.yml", False)):
        path = tmp_path / name
        path.write_text("plugin: imagecat.glance.images\n")
        assert plugin.verify_file(str(path)) is wanted, name
    assert not plugin.verify_file(str(tmp_path / "missing.glance_images.yml"))


def test_images_become_hosts_with_prefixed_fields_and_the_cloud(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo"]})
    assert sorted(inventory.hosts) == sorted(["cirros", ID_4, "ubuntu@demo@" + ID_1, "ubuntu@demo@" + ID_2])
    cirros = hostvars(inventory, "cirros")
    assert cirros["glance_id"] == ID_3
    assert cirros["glance_size"] == 1000
    assert cirros["glance_hw_qemu_guest_agent"] == "yes"  # custom properties too
    assert cirros["glance_com_example_team"] == "ops"  # made a valid variable name
    assert cirros["glance_cloud"] == "demo"
    assert "glance_name" in cirros and "name" not in cirros


def test_default_groups(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo"]})
    first, second = "ubuntu@demo@" + ID_1, "ubuntu@demo@" + ID_2
    assert members(inventory, "cloud_demo") == sorted(["cirros", ID_4, first, second])
    assert members(inventory, "visibility_public") == [first]
    assert members(inventory, "status_queued") == [second]
    assert members(inventory, "disk_format_raw") == sorted(["cirros", ID_4, first])
    assert members(inventory, "tag_lts") == sorted([first, second])
    # tags are sanitised into valid group names (letters of any script are valid)
    assert members(inventory, "tag_with_space") == [first]
    assert members(inventory, "tag_ünï") == [first]


def test_same_name_across_clouds_is_qualified_by_cloud(tmp_path, clouds):
    clouds["demo"].images = [i for i in clouds["demo"].images if i["id"] != ID_2]
    inventory = parse(tmp_path, {"clouds": ["demo", "alt"]})
    assert sorted(inventory.hosts) == sorted(["cirros", ID_4, "ubuntu@demo", "ubuntu@alt"])
    alt = hostvars(inventory, "ubuntu@alt")
    # the cloud variable wins over a custom property called cloud
    assert alt["glance_cloud"] == "alt" and alt["glance_id"] == ID_5
    assert members(inventory, "cloud_alt") == ["ubuntu@alt"]
    assert members(inventory, "visibility_community") == ["ubuntu@alt"]


def test_same_name_in_one_cloud_is_qualified_by_cloud_and_id(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo", "alt"]})
    assert sorted(h for h in inventory.hosts if h.startswith("ubuntu")) == sorted(
        ["ubuntu@alt", "ubuntu@demo@" + ID_1, "ubuntu@demo@" + ID_2])


def test_host_names_do_not_depend_on_listing_order(tmp_path, clouds):
    before = sorted(parse(tmp_path, {"clouds": ["demo", "alt"]}).hosts)
    clouds["demo"].images.reverse()
    assert sorted(parse(tmp_path, {"clouds": ["alt", "demo"]}).hosts) == before


def test_unique_host_names_rule():
    load_collection_plugins()
    plugin_module = sys.modules[type(inventory_loader.get("imagecat.glance.images")).__module__]
    names = plugin_module.unique_host_names([
        ("a", "demo", "1"), ("a", "alt", "2"), ("b", "demo", "3"), ("b", "demo", "4"), ("b", "alt", "5"),
        ("c", "demo", "6"), ("x", "demo", "7"), ("x", "alt", "7"),
    ])
    assert names == ["a@demo", "a@alt", "b@demo@3", "b@demo@4", "b@alt", "c", "x@demo", "x@alt"]


def test_hostname_id_and_expression(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo"], "hostname": "id"})
    assert sorted(inventory.hosts) == sorted([ID_1, ID_2, ID_3, ID_4])
    inventory = parse(tmp_path, {"clouds": ["demo", "alt"],
                                 "hostname": "(glance_name or 'unnamed') ~ '-' ~ glance_id[:4]"})
    assert sorted(inventory.hosts) == sorted(["ubuntu-1111", "ubuntu-2222", "cirros-3333", "unnamed-4444",
                                              "ubuntu-5555"])
    # an empty result falls back to the id
    inventory = parse(tmp_path, {"clouds": ["demo"], "hostname": "glance_os_distro | default('')"})
    assert sorted(inventory.hosts) == sorted(["ubuntu@demo@" + ID_1, "ubuntu@demo@" + ID_2, ID_3, ID_4])


def test_hostname_expression_errors_name_the_option(tmp_path, clouds):
    with pytest.raises(AnsibleParserError) as caught:
        parse(tmp_path, {"clouds": ["demo"], "hostname": "glance_os_distro ~ '-x'"})
    assert "option hostname: cannot make the host name of image" in caught.value.message


def test_vars_prefix(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo"], "vars_prefix": "img_"})
    assert hostvars(inventory, "cirros")["img_size"] == 1000
    assert hostvars(inventory, "cirros")["img_cloud"] == "demo"
    inventory = parse(tmp_path, {"clouds": ["demo"], "vars_prefix": ""})
    assert hostvars(inventory, "cirros")["size"] == 1000
    assert hostvars(inventory, "cirros")["_in"] == "x"  # a keyword is no variable name
    assert hostvars(inventory, "cirros")["com_example_team"] == "ops"


def test_compose_groups_and_keyed_groups(tmp_path, clouds):
    inventory = parse(tmp_path, {
        "clouds": ["demo", "alt"],
        "compose": {"distro": "glance_os_distro | default('none')", "kib": "glance_size / 1000"},
        "groups": {"big": "glance_size >= 1000", "ubuntu_everywhere": "distro == 'ubuntu'"},
        "keyed_groups": [{"key": "distro", "prefix": "distro"}, {"key": "glance_owner", "prefix": "project"}],
    })
    assert float(hostvars(inventory, "cirros")["kib"]) == 1.0  # a string before ansible-core 2.19
    assert members(inventory, "big") == ["cirros"]
    assert members(inventory, "ubuntu_everywhere") == sorted(["ubuntu@alt", "ubuntu@demo@" + ID_1,
                                                              "ubuntu@demo@" + ID_2])
    assert members(inventory, "distro_none") == sorted(["cirros", ID_4])
    assert len(members(inventory, "project_p1")) == 5


def test_strict_makes_compose_errors_fatal(tmp_path, clouds):
    config = {"clouds": ["demo"], "compose": {"x": "glance_no_such_field.upper()"}}
    parse(tmp_path, config)
    with pytest.raises(AnsibleError, match="Could not set x"):
        parse(tmp_path, dict(config, strict=True))


def test_bad_filters_fail_before_any_request(tmp_path, clouds):
    for filters, fragment in (({"visibility": "secret"}, "option filters: value of visibility must be one of"),
                              ({"status": "running"}, "option filters.status: unknown status 'running'"),
                              ({"colour": "x"}, "unsupported parameter filters.colour")):
        with pytest.raises(AnsibleParserError) as caught:
            parse(tmp_path, {"clouds": ["demo"], "filters": filters})
        assert fragment in caught.value.message
    assert clouds["connector"].calls == []


def test_filters_reach_glance_and_every_page_is_fetched(tmp_path, clouds):
    clouds["demo"].api_limit_max = 2
    inventory = parse(tmp_path, {"clouds": ["demo"], "filters": {"tag": ["lts"]}, "properties": {"os_distro": "ubuntu"}})
    assert len(inventory.hosts) == 2
    inventory = parse(tmp_path, {"clouds": ["demo"]})
    assert len(inventory.hosts) == 4
    queries = [params for dummy, dummy_path, params in clouds["demo"].list_requests()]
    assert queries[0] == [("tag", "lts"), ("os_distro", "ubuntu"), ("limit", "1000")]
    # the second run: 2 + 2 + an empty last page
    assert [q[-1][0] for q in queries[-3:]] == ["limit", "marker", "marker"]


def test_one_connection_per_cloud(tmp_path, clouds):
    parse(tmp_path, {"clouds": ["demo", "alt", "demo"]})
    assert sorted(call["cloud"] for call in clouds["connector"].calls) == ["alt", "demo"]


def test_without_clouds_the_cloud_option_or_os_cloud_is_used(tmp_path, clouds, monkeypatch):
    inventory = parse(tmp_path, {})
    assert clouds["connector"].calls[-1]["cloud"] is None
    assert "cloud_default" in inventory.groups
    monkeypatch.setenv("OS_CLOUD", "demo")
    assert "cloud_demo" in parse(tmp_path, {}).groups
    monkeypatch.setenv("ANSIBLE_GLANCE_CLOUD", "demo")
    parse(tmp_path, {})
    assert clouds["connector"].calls[-1]["cloud"] == "demo"


def test_an_unreachable_cloud_fails_the_inventory_naming_it(tmp_path, clouds):
    clouds["connector"].failures["alt"] = GlanceError("Cannot reach the identity service of cloud 'alt'")
    with pytest.raises(AnsibleParserError) as caught:
        parse(tmp_path, {"clouds": ["demo", "alt"]})
    assert "cloud 'alt': Cannot reach the identity service" in caught.value.message
    assert "fail_on_errors" in caught.value.message


def test_unknown_cloud_names_the_clouds_option(tmp_path, clouds):
    clouds["connector"].failures["nope"] = GlanceError("Unknown cloud 'nope' (option cloud). Clouds defined: demo")
    with pytest.raises(AnsibleParserError, match=r"Unknown cloud 'nope' \(option clouds\)"):
        parse(tmp_path, {"clouds": ["demo", "nope"]})


def test_fail_on_errors_false_warns_and_goes_on(tmp_path, clouds, monkeypatch):
    warnings = []
    plugin_module = sys.modules[type(inventory_loader.get("imagecat.glance.images")).__module__]
    monkeypatch.setattr(plugin_module.display, "warning", warnings.append)
    clouds["connector"].failures["alt"] = GlanceError("Authentication failed: password hunter2 refused")
    inventory = parse(tmp_path, {"clouds": ["demo", "alt"], "fail_on_errors": False,
                                 "auth": {"password": "hunter2"}})
    assert len(inventory.hosts) == 4 and "cloud_alt" not in inventory.groups
    assert len(warnings) == 1
    assert warnings[0].startswith("imagecat.glance.images: cloud 'alt': Authentication failed")
    assert "hunter2" not in warnings[0]


# ---- caching ------------------------------------------------------------------------------
def cache_config(tmp_path, **extra):
    config = {"clouds": ["demo", "alt"], "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache")}
    config.update(extra)
    return config


def cache_files(tmp_path):
    directory = tmp_path / "cache"
    return {name: os.stat(directory / name).st_mtime_ns for name in os.listdir(directory)} if directory.exists() else {}


def api_requests(clouds):
    return len(clouds["demo"].requests) + len(clouds["alt"].requests)


def test_second_run_is_served_from_the_cache_without_rewriting_it(tmp_path, clouds):
    first = parse(tmp_path, cache_config(tmp_path))
    requests, written = api_requests(clouds), cache_files(tmp_path)
    assert requests == 2 and len(written) == 1

    clouds["connector"].failures.update(demo=GlanceError("down"), alt=GlanceError("down"))
    second = parse(tmp_path, cache_config(tmp_path))
    assert api_requests(clouds) == requests
    assert sorted(second.hosts) == sorted(first.hosts)
    assert hostvars(second, "ubuntu@alt")["glance_id"] == ID_5
    assert cache_files(tmp_path) == written  # a hit is not written back


def test_constructed_options_apply_to_a_cached_listing(tmp_path, clouds):
    parse(tmp_path, cache_config(tmp_path))
    requests = api_requests(clouds)
    inventory = parse(tmp_path, cache_config(tmp_path, hostname="id", groups={"big": "glance_size >= 1000"}))
    assert api_requests(clouds) == requests
    assert members(inventory, "big") == [ID_3]


def test_other_filters_or_clouds_miss_the_cache(tmp_path, clouds):
    parse(tmp_path, cache_config(tmp_path))
    requests = api_requests(clouds)
    inventory = parse(tmp_path, cache_config(tmp_path, filters={"tag": ["lts"]}))
    assert api_requests(clouds) == requests + 2
    assert len(inventory.hosts) == 2
    requests = api_requests(clouds)
    parse(tmp_path, cache_config(tmp_path, clouds=["demo"]))
    assert api_requests(clouds) == requests + 1


def test_flush_cache_refreshes_and_rewrites(tmp_path, clouds):
    parse(tmp_path, cache_config(tmp_path))
    requests, written = api_requests(clouds), cache_files(tmp_path)
    clouds["demo"].images.append(image("fresh", "66666666-6666-4666-8666-666666666666"))
    inventory = parse(tmp_path, cache_config(tmp_path), cache=False)  # ansible-inventory --flush-cache
    assert api_requests(clouds) == requests + 2
    assert "fresh" in inventory.hosts
    assert cache_files(tmp_path) != written
    assert "fresh" in parse(tmp_path, cache_config(tmp_path)).hosts


def test_a_partial_listing_is_not_cached(tmp_path, clouds, monkeypatch):
    plugin_module = sys.modules[type(inventory_loader.get("imagecat.glance.images")).__module__]
    monkeypatch.setattr(plugin_module.display, "warning", lambda message: None)
    clouds["connector"].failures["alt"] = GlanceError("down")
    parse(tmp_path, cache_config(tmp_path, fail_on_errors=False))
    assert cache_files(tmp_path) == {}
    del clouds["connector"].failures["alt"]
    assert "ubuntu@alt" in parse(tmp_path, cache_config(tmp_path, fail_on_errors=False)).hosts


def test_cache_disabled_never_writes(tmp_path, clouds):
    parse(tmp_path, cache_config(tmp_path, cache=False))
    parse(tmp_path, cache_config(tmp_path, cache=False))
    assert cache_files(tmp_path) == {}
    assert api_requests(clouds) == 4


# ---- chosen host variables ------------------------------------------------------------------
def test_fields_choose_the_host_variables(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo"], "fields": ["name", "size", "com.example:team", "size"]})
    cirros = hostvars(inventory, "cirros")
    chosen = {key: value for key, value in cirros.items() if key.startswith("glance_")}
    assert chosen == {"glance_name": "cirros", "glance_size": 1000, "glance_com_example_team": "ops"}
    # the cloud's name is a field to choose as well
    inventory = parse(tmp_path, {"clouds": ["demo"], "fields": ["cloud"]})
    assert [key for key in hostvars(inventory, "cirros") if key.startswith("glance_")] == ["glance_cloud"]
    # an image without a chosen field gets no variable for it
    assert "glance_com_example_team" not in hostvars(inventory, ID_4)
    # default groups still come from every field
    assert members(inventory, "disk_format_raw") == sorted(["cirros", ID_4, "ubuntu@demo@" + ID_1])
    assert members(inventory, "tag_lts") == sorted(["ubuntu@demo@" + ID_1, "ubuntu@demo@" + ID_2])


def test_constructed_features_see_fields_that_are_not_host_variables(tmp_path, clouds):
    inventory = parse(tmp_path, {
        "clouds": ["demo"], "fields": ["name"], "strict": True,
        "hostname": "glance_name ~ '-' ~ glance_id[:4] if glance_name else glance_id",
        "compose": {"agent": "glance_hw_qemu_guest_agent | default('no')", "kib": "glance_size / 1000"},
        "groups": {"big": "glance_size >= 1000", "with_agent": "agent == 'yes'"},
        "keyed_groups": [{"key": "glance_owner", "prefix": "project"}, {"key": "agent", "prefix": "agent"}],
    })
    assert sorted(inventory.hosts) == sorted(["ubuntu-1111", "ubuntu-2222", "cirros-3333", ID_4])
    cirros = hostvars(inventory, "cirros-3333")
    assert cirros["agent"] == "yes" and float(cirros["kib"]) == 1.0
    assert "glance_size" not in cirros and "glance_hw_qemu_guest_agent" not in cirros
    assert members(inventory, "big") == ["cirros-3333"]
    assert members(inventory, "with_agent") == ["cirros-3333"]
    assert len(members(inventory, "project_p1")) == 4
    assert members(inventory, "agent_no") == sorted(["ubuntu-1111", "ubuntu-2222", ID_4])


def test_an_unknown_field_names_the_option(tmp_path, clouds):
    with pytest.raises(AnsibleParserError) as caught:
        parse(tmp_path, {"clouds": ["demo"], "fields": ["name", "os_distr", "glance_size"]})
    message = caught.value.message
    assert "option fields: unknown image fields 'os_distr', 'glance_size'" in message
    assert "without vars_prefix" in message and "os_distro" in message
    # a property that only some images have, and a base field no image carries, are known
    parse(tmp_path, {"clouds": ["demo"], "fields": ["hw_qemu_guest_agent", "direct_url"]})
    for bad in ([""], [3]):
        with pytest.raises(AnsibleParserError, match="option fields"):
            parse(tmp_path, {"clouds": ["demo"], "fields": bad})


def test_fields_are_not_checked_when_nothing_is_listed(tmp_path, clouds):
    inventory = parse(tmp_path, {"clouds": ["demo"], "filters": {"tag": ["none"]}, "fields": ["os_distro"]})
    assert len(inventory.hosts) == 0


def test_compose_over_a_missing_field_follows_strict(tmp_path, clouds):
    # strict off: constructed's rule, the variable is left out where the field is missing
    config = {"clouds": ["demo"], "fields": ["name"], "compose": {"team": "glance_com_example_team"}}
    inventory = parse(tmp_path, config)
    assert hostvars(inventory, "cirros")["team"] == "ops"  # not a host variable, still seen by compose
    assert "team" not in hostvars(inventory, ID_4)
    # strict on: an error naming the option, the variable and the host
    with pytest.raises(AnsibleParserError) as caught:
        parse(tmp_path, dict(config, strict=True))
    assert caught.value.message.startswith("imagecat.glance.images: option compose: Could not set team for host")
    assert "glance_com_example_team" in caught.value.message
    for option, value in (("groups", {"g": "glance_no_such_field > 1"}),
                          ("keyed_groups", [{"key": "glance_no_such_field", "prefix": "k"}])):
        parse(tmp_path, {"clouds": ["demo"], option: value})
        with pytest.raises(AnsibleParserError, match="option %s: Could not" % option):
            parse(tmp_path, {"clouds": ["demo"], option: value, "strict": True})


# ---- fetching ---------------------------------------------------------------------------------
def test_clouds_are_listed_in_parallel(tmp_path, clouds):
    # Each cloud's connection waits until both have started: a serial fetch would break the barrier.
    barrier = threading.Barrier(2, timeout=10)
    connector = clouds["connector"]

    def connect(adapter):
        barrier.wait()
        return connector(adapter)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_plugin_options, "connect", connect)
        inventory = parse(tmp_path, {"clouds": ["demo", "alt"]})
    assert "ubuntu@alt" in inventory.hosts and len(connector.calls) == 2


# ---- the cache and who is asking ----------------------------------------------------------------
def test_identities_sharing_a_cache_never_see_each_others_images(tmp_path, clouds, monkeypatch):
    # The same configuration file and cloud name, two clouds.yaml files: demo's user, then alt's.
    as_alt = {"clouds": {"demo": CLOUDS_YAML["clouds"]["alt"]}}
    clouds["connector"].clouds["demo"] = clouds["demo"]
    config = cache_config(tmp_path, clouds=["demo"])
    first = parse(tmp_path, config)
    assert "cirros" in first.hosts and api_requests(clouds) == 1

    write_clouds_yaml(tmp_path / "alt-clouds.yaml", as_alt, monkeypatch)
    clouds["connector"].clouds["demo"] = clouds["alt"]  # what alt's user sees
    second = parse(tmp_path, config)
    assert api_requests(clouds) == 2  # a miss: another identity
    assert sorted(second.hosts) == ["ubuntu"]

    # each identity is served its own listing from the shared directory, without a request
    clouds["connector"].failures["demo"] = GlanceError("down")
    assert sorted(parse(tmp_path, config).hosts) == ["ubuntu"]
    write_clouds_yaml(tmp_path / "clouds.yaml", CLOUDS_YAML, monkeypatch)
    assert sorted(parse(tmp_path, config).hosts) == sorted(first.hosts)
    assert api_requests(clouds) == 2
    assert len(cache_files(tmp_path)) == 2
    # no credential in clear in the cache
    for name in cache_files(tmp_path):
        text = (tmp_path / "cache" / name).read_text()
        assert "demo-secret" not in text and "alt-secret" not in text


def test_another_credential_or_project_misses_the_cache(tmp_path, clouds, monkeypatch):
    config = cache_config(tmp_path, clouds=["demo"])
    parse(tmp_path, config)
    requests = api_requests(clouds)
    for change in ({"password": "another"}, {"project_name": "other"}, {"auth_url": "http://elsewhere.test/v3"}):
        changed = {"clouds": {"demo": dict(CLOUDS_YAML["clouds"]["demo"],
                                           auth=dict(CLOUDS_YAML["clouds"]["demo"]["auth"], **change))}}
        write_clouds_yaml(tmp_path / "clouds.yaml", changed, monkeypatch)
        parse(tmp_path, config)
        assert api_requests(clouds) == requests + 1, change
        requests += 1
    changed = {"clouds": {"demo": dict(CLOUDS_YAML["clouds"]["demo"], region_name="RegionTwo")}}
    write_clouds_yaml(tmp_path / "clouds.yaml", changed, monkeypatch)
    parse(tmp_path, config)
    assert api_requests(clouds) == requests + 1


def test_a_cloud_whose_configuration_cannot_be_read_fails_or_is_left_out(tmp_path, clouds, monkeypatch):
    warnings = []
    plugin_module = sys.modules[type(inventory_loader.get("imagecat.glance.images")).__module__]
    monkeypatch.setattr(plugin_module.display, "warning", warnings.append)
    with pytest.raises(AnsibleParserError, match=r"cloud 'nope': Unknown cloud 'nope' \(option clouds\)"):
        parse(tmp_path, cache_config(tmp_path, clouds=["demo", "nope"]))
    assert api_requests(clouds) == 0  # failed before any request
    inventory = parse(tmp_path, cache_config(tmp_path, clouds=["demo", "nope"], fail_on_errors=False))
    assert "cirros" in inventory.hosts and len(warnings) == 1
    assert cache_files(tmp_path) == {}  # partial: not cached
