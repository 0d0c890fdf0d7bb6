"""GlanceModule.run_in_controller: the module's class run inside the controller process."""

import hashlib
import json
import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _module
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


class EchoModule(GlanceModule):
    """Returns what it got; fails or warns on demand; never connects unless asked to."""

    read_only = True  # it sends no request, so the Image API v2 check of writing modules does not apply

    argument_spec = dict(
        name=dict(type="str", required=True),
        secret=dict(type="str", no_log=True),
        fail_with=dict(type="int"),
        use_connection=dict(type="bool", default=False),
    )

    def run(self):
        p = self.params
        if p["fail_with"]:
            raise GlanceError("refused: %s" % p["secret"], status=p["fail_with"], request_id="req-1")
        if p["secret"]:
            self.module.warn("the secret is %s" % p["secret"])
        connection = self.connection if p["use_connection"] else None
        return self.result(changed=not self.check_mode, before={"name": "old"}, after={"name": p["name"]},
                           echo="%s/%s" % (p["name"], p["secret"]), connection_id=id(connection))


def run(args, **kwargs):
    return EchoModule.run_in_controller("echo", args, **kwargs)


def test_a_run_returns_the_module_result_with_its_invocation():
    result = run({"name": "a"})
    assert result["changed"] is True
    assert result["echo"] == "a/None"
    assert result["invocation"]["module_args"]["name"] == "a"
    assert result["invocation"]["module_args"]["cloud"] is None
    assert "diff" not in result


def test_check_and_diff_mode_reach_the_module():
    result = run({"name": "a"}, check_mode=True, diff=True)
    assert result["changed"] is False
    assert result["diff"] == {"before": {"name": "old"}, "after": {"name": "a"}}


def test_missing_and_unknown_options_fail_like_ansible_module():
    missing = run({})
    assert missing["failed"] is True
    assert missing["msg"] == "missing required arguments: name"
    unknown = run({"name": "a", "bogus": 1})
    assert unknown["failed"] is True
    assert unknown["msg"].startswith("Unsupported parameters for (echo) module: bogus.")


def test_type_errors_name_the_option():
    result = run({"name": "a", "fail_with": "many"})
    assert result["failed"] is True
    assert "fail_with" in result["msg"]


def test_no_log_values_are_hidden_everywhere():
    result = run({"name": "a", "secret": "s3cr3t-value"})
    assert "s3cr3t-value" not in repr(result)
    assert result["echo"] == "a/********"
    assert result["invocation"]["module_args"]["secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["warnings"] == ["the secret is ********"]
    # booleans and None survive the masking, as in AnsibleModule
    assert result["changed"] is True and result["invocation"]["module_args"]["cloud"] is None


def test_glance_errors_become_failures_with_status_and_request_id():
    result = run({"name": "a", "secret": "s3cr3t-value", "fail_with": 409})
    assert result["failed"] is True
    assert result["msg"] == "refused: ********"
    assert result["status"] == 409
    assert result["request_id"] == "req-1"


def test_a_loop_shares_one_connection_per_cloud(monkeypatch):
    made = []

    def fake_connect(adapter):
        made.append(adapter.get("cloud"))
        return object()

    monkeypatch.setattr(_module, "connect", fake_connect)
    monkeypatch.delenv("OS_CLOUD", raising=False)
    connections = {}
    first = run({"name": "a", "cloud": "demo", "use_connection": True}, connections=connections)
    second = run({"name": "b", "cloud": "demo", "use_connection": True}, connections=connections)
    other = run({"name": "c", "cloud": "alt", "use_connection": True}, connections=connections)
    monkeypatch.setenv("OS_CLOUD", "elsewhere")
    fourth = run({"name": "d", "cloud": "demo", "use_connection": True}, connections=connections)
    assert made == ["demo", "alt", "demo"]
    assert first["connection_id"] == second["connection_id"] != other["connection_id"]
    assert fourth["connection_id"] != first["connection_id"]


@pytest.mark.parametrize("args", [{"name": "a"}, {"name": "a", "fail_with": 500}])
def test_no_connection_is_kept_when_none_was_made(args):
    connections = {}
    run(args, connections=connections)
    assert connections == {}


class FiltersModule(GlanceModule):
    argument_spec = dict(filters=dict(type="dict", default={}, options=dict(kind=dict(type="str", choices=["a", "b"]))))

    def run(self):
        return self.result(filters=self.params["filters"])


def test_a_dict_default_with_suboptions_survives_a_loop():
    for dummy in range(2):
        result = FiltersModule.run_in_controller("filters", {})
        assert result.get("failed") is not True, result.get("msg")
        assert result["filters"] == {"kind": None}
    assert FiltersModule.argument_spec["filters"]["default"] == {}


class HashingModule(GlanceModule):
    """Hashes files through a digest cache, like image and the catalogue do."""

    argument_spec = dict(files=dict(type="list", elements="path", required=True), cache=dict(type="path"))

    def run(self):
        from ansible_collections.imagecat.glance.plugins.module_utils._image_data import DigestCache, file_digests
        cache = DigestCache(self.params["cache"])
        digests = [file_digests(path, ["sha256"], cache)["sha256"] for path in self.params["files"]]
        return self.result(changed=False, digests=digests, written_during_run=os.path.exists(self.params["cache"]))


def test_the_base_writes_the_digest_cache_once_when_the_run_ends_and_shows_its_warnings(tmp_path):
    files = []
    for index in range(3):
        files.append(tmp_path / ("f%d" % index))
        files[-1].write_bytes(b"%d" % index)
    private = tmp_path / "private"
    result = HashingModule.run_in_controller("hashing", {"files": [str(f) for f in files],
                                                         "cache": str(private / "digests.json")})
    assert result["written_during_run"] is False
    assert "warnings" not in result
    assert len(json.loads((private / "digests.json").read_text())["entries"]) == 3

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = HashingModule.run_in_controller("hashing", {"files": [str(files[0])], "cache": str(shared / "d.json")})
    assert len(result["warnings"]) == 1 and "not using the digest cache" in result["warnings"][0]
    assert not (shared / "d.json").exists()


def test_the_items_of_a_loop_in_one_process_write_once_each_and_share_the_entries(tmp_path, monkeypatch):
    image = tmp_path / "disk.raw"
    image.write_bytes(b"data" * 1000)
    cache = tmp_path / "private" / "digests.json"
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda *args: replaced.append(args) or real_replace(*args))
    first = HashingModule.run_in_controller("hashing", {"files": [str(image)], "cache": str(cache)})
    assert len(replaced) == 1
    hashed = []
    from ansible_collections.imagecat.glance.plugins.module_utils import _image_data
    real_new = hashlib.new
    monkeypatch.setattr(_image_data.hashlib, "new", lambda name: hashed.append(name) or real_new(name))
    second = HashingModule.run_in_controller("hashing", {"files": [str(image)], "cache": str(cache)})
    assert second["digests"] == first["digests"]
    assert hashed == []  # the second item found the first item's digest in the file
    assert len(replaced) == 1  # and, with nothing new, did not write it again


def test_only_the_secret_keys_of_auth_are_masked():
    auth = {"auth_url": "http://keystone.example:5000/v3", "username": "demo", "password": "pw-0123456789",
            "project_name": "demo-project", "application_credential_secret": "acs-0123456789",
            "user_domain_name": "Default"}
    result = run({"name": "demo-cirros", "auth": auth, "fail_with": 401})
    text = repr(result)
    assert "pw-0123456789" not in text and "acs-0123456789" not in text
    shown = result["invocation"]["module_args"]["auth"]
    assert shown["username"] == "demo" and shown["project_name"] == "demo-project"
    assert shown["auth_url"] == "http://keystone.example:5000/v3"
    assert shown["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    ok = run({"name": "demo-cirros", "auth": auth})
    assert ok["echo"] == "demo-cirros/None"


def test_auth_secrets_are_masked_when_another_option_is_invalid():
    result = run({"name": "a", "auth": {"username": "demo", "password": "pw-0123456789"}, "bogus": 1})
    assert result["failed"] is True
    assert "pw-0123456789" not in repr(result)
