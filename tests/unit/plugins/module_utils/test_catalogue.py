"""The catalogue's planning: validation, desired images, rotation, pruning (no HTTP)."""

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import (
    PROP_ENTRY,
    PROP_SOURCE,
    PROP_VERSION,
    catalogue_image_id,
    desired_images,
    image_diff,
    index_images,
    is_write,
    natural_key,
    plan_catalogue,
    plan_items,
    validate_catalogue,
)
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_record import Record, read_record, record_properties
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError

TAG = "imagecat-managed"
EMPTY = Record()
DIGESTS = {"/f/1": "a" * 128, "/f/2": "b" * 128, "/f/3": "c" * 128}


def digest(filename, algorithm):
    assert algorithm == "sha512"
    return DIGESTS[filename]


def entry(name="ubuntu", versions=("1", "2"), **more):
    value = {"name": name, "disk_format": "raw", "container_format": "bare",
             "versions": [{"version": v, "filename": "/f/%s" % v} for v in versions]}
    value.update(more)
    return value


def glance_image(name, version, entry_name="ubuntu", hidden=False, status="active", digest_hex=None,
                 record=EMPTY, **more):
    image = {"id": "id-%s-%s" % (entry_name, version), "name": name, "status": status, "visibility": "shared",
             "protected": False, "os_hidden": hidden, "min_disk": 0, "min_ram": 0, "disk_format": "raw",
             "container_format": "bare", "tags": [TAG], "os_hash_algo": "sha512",
             "os_hash_value": digest_hex or DIGESTS.get("/f/%s" % version), "created_at": "2026-01-0%sT00:00:00Z" % version,
             PROP_ENTRY: entry_name, PROP_VERSION: version}
    if record is not None:
        # What this version of the collection writes; None: an image made before records.
        image.update(record_properties(record))
    image.update(more)
    return image


def plan(images, listed, prune="none", keep_versions=None, members=None):
    entries = validate_catalogue(images, keep_versions, TAG)
    steps, retired, clashes = plan_catalogue(entries, listed, TAG, prune, digest, members, scope="p1")
    return steps, retired, clashes, plan_items(steps, retired)


# ---- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    ({"name": "u", "versions": [{"version": "1", "filename": "/f/1"}], "disk_fromat": "raw"},
     "images[0] (u): unknown key 'disk_fromat'"),
    ({"name": "u", "versions": [{"version": "1"}]},
     "images[0] (u) versions[0] (1): no data source"),
    ({"name": "u", "versions": [{"version": "1", "filename": "/f/1", "uri": "http://x/y"}]},
     "give only one data source; got filename and uri"),
    ({"name": "u", "versions": [{"version": "1", "filenme": "/f/1"}]},
     "images[0] (u) versions[0] (1): unknown key 'filenme'"),
    ({"name": "u", "versions": [{"version": "1", "filename": "/f/1"}, {"version": "1", "filename": "/f/2"}]},
     "images[0] (u) versions[1] (1): version '1' is listed twice"),
    ({"name": "u", "versions": [{"version": 1.1, "filename": "/f/1"}]},
     "quote the version"),
    ({"name": "u", "versions": []}, "images[0] (u): versions is missing or empty"),
    ({"name": "u", "visibility": "secret", "versions": [{"version": "1", "filename": "/f/1"}]},
     "images[0] (u): visibility must be one of"),
    ({"name": "u", "visibility": "private", "members": ["p"], "versions": [{"version": "1", "filename": "/f/1"}]},
     "members need visibility shared"),
    ({"name": "u", "properties": {"imagecat_catalogue_entry": "x"}, "versions": [{"version": "1", "filename": "/f/1"}]},
     "written by the catalogue itself"),
    ({"name": "u", "properties": {"os_glance_x": "1"}, "versions": [{"version": "1", "filename": "/f/1"}]},
     "images[0] (u): properties.os_glance_x"),
    ({"name": "u", "versions": [{"version": "1", "filename": "/f/1", "checksum": "sha256:zz"}]},
     "images[0] (u) versions[0] (1): checksum"),
    ({"name": "u", "versions": [{"version": "1", "import": {"method": "glance-direct"}}]},
     "import.method must be one of web-download, glance-download"),
    ({"name": "u", "versions": [{"version": "1", "import": {"method": "glance-download", "remote_region": "R"}}]},
     "import.remote_image_id is needed"),
    ({"name": "u", "keep_versions": 0, "versions": [{"version": "1", "filename": "/f/1"}]},
     "keep_versions must be 1 or more"),
    ({"versions": [{"version": "1", "filename": "/f/1"}]}, "images[0]: name is missing"),
    ({"name": "n" * 256, "versions": [{"version": "1", "filename": "/f/1"}]},
     "images[0]: name: the image name 'nnnn"),
    ({"name": "n" * 256, "versions": [{"version": "1", "filename": "/f/1"}]},
     "is 256 characters long; Glance allows at most 255. Shorten it."),
    ({"name": "  ", "versions": [{"version": "1", "filename": "/f/1"}]},
     "images[0]: name: the image name is empty (only whitespace); give the image's name."),
    ({"name": "u", "tags": ["ok", ""], "versions": [{"version": "1", "filename": "/f/1"}]},
     "images[0] (u): tags: an empty tag ('') is listed; remove it"),
    ({"name": "u", "tags": ["t" * 256], "versions": [{"version": "1", "filename": "/f/1"}]},
     "images[0] (u): tags: the tag 'tttt"),
    ({"name": "n" * 250, "versions": [{"version": "123", "filename": "/f/1"}, {"version": "13", "filename": "/f/2"}]},
     "the image name of an older version"),
])
def test_bad_entries_name_the_entry_and_key(bad, message):
    with pytest.raises(InputError) as caught:
        validate_catalogue([entry("ok", ("1",)), bad][1:])
    assert message in caught.value.message


def test_a_duplicate_name_names_both_entries():
    with pytest.raises(InputError) as caught:
        validate_catalogue([entry("u"), entry("v"), entry("u")])
    assert "images[2] (u): the name 'u' is already used by images[0]" in caught.value.message


def test_versions_sort_naturally_when_asked():
    assert natural_key("1.10") > natural_key("1.9")
    entries = validate_catalogue([entry(versions=("1.10", "1.9", "1.2"), version_order="natural")])
    assert [v["version"] for v in entries[0]["versions"]] == ["1.2", "1.9", "1.10"]
    listed = validate_catalogue([entry(versions=("1.10", "1.9"))])
    assert [v["version"] for v in listed[0]["versions"]] == ["1.10", "1.9"]


def test_integer_versions_become_strings():
    entries = validate_catalogue([entry(versions=(3,))])
    assert entries[0]["versions"][0]["version"] == "3"


# ---- desired images --------------------------------------------------------------------------

def test_newest_has_the_plain_name_and_older_ones_are_hidden():
    desired = desired_images(validate_catalogue([entry(versions=("1", "2", "3"), keep_versions=2)]), TAG)
    assert sorted(desired) == [("ubuntu", "2"), ("ubuntu", "3")]
    assert desired[("ubuntu", "3")]["name"] == "ubuntu"
    assert desired[("ubuntu", "3")]["fields"]["os_hidden"] is False
    assert desired[("ubuntu", "2")]["name"] == "ubuntu (2)"
    assert desired[("ubuntu", "2")]["fields"]["os_hidden"] is True
    assert desired[("ubuntu", "2")]["properties"][PROP_VERSION] == "2"


def test_global_keep_versions_applies_unless_the_entry_says_otherwise():
    entries = validate_catalogue([entry("a", ("1", "2", "3")), entry("b", ("1", "2", "3"), keep_versions=3)],
                                 keep_versions=1)
    assert sorted(desired_images(entries, TAG)) == [("a", "3"), ("b", "1"), ("b", "2"), ("b", "3")]


def test_uri_sources_are_recorded_with_their_checksum():
    images = [{"name": "c", "disk_format": "raw", "container_format": "bare", "versions": [
        {"version": "1", "uri": "http://127.0.0.1:8000/c.img", "checksum": "md5:" + "0" * 32}]}]
    wanted = desired_images(validate_catalogue(images), TAG)[("c", "1")]
    assert wanted["properties"][PROP_SOURCE] == "web-download:http://127.0.0.1:8000/c.img"
    assert wanted["properties"]["imagecat_catalogue_checksum"] == "md5:" + "0" * 32


def test_deterministic_ids_depend_on_every_part():
    base = catalogue_image_id("p1", TAG, "ubuntu", "1")
    assert base == catalogue_image_id("p1", TAG, "ubuntu", "1")
    others = {catalogue_image_id("p2", TAG, "ubuntu", "1"), catalogue_image_id("p1", "t2", "ubuntu", "1"),
              catalogue_image_id("p1", TAG, "debian", "1"), catalogue_image_id("p1", TAG, "ubuntu", "2"),
              catalogue_image_id("p1", TAG, "ubuntu", "1", attempt=1)}
    assert base not in others and len(others) == 5


# ---- plans ---------------------------------------------------------------------------------------

def test_an_empty_project_gets_creates_and_uploads():
    steps, retired, clashes, items = plan([entry()], [])
    assert [(i["action"], i["image"]) for i in items] == [
        ("create", "ubuntu"), ("upload", "ubuntu"), ("create", "ubuntu (1)"), ("upload", "ubuntu (1)")]
    assert items[0]["id"] == catalogue_image_id("p1", TAG, "ubuntu", "2")
    body = steps[1].body
    assert body["os_hidden"] is True and body["tags"] == [TAG] and body[PROP_VERSION] == "1"


def test_an_unchanged_catalogue_plans_nothing():
    listed = [glance_image("ubuntu", "2"), glance_image("ubuntu (1)", "1", hidden=True)]
    steps, retired, clashes, items = plan([entry()], listed)
    assert items == [] and retired == [] and clashes == []


def test_a_new_version_rotates_the_old_one():
    listed = [glance_image("ubuntu", "1")]
    steps, retired, clashes, items = plan([entry()], listed)
    assert [(i["action"], i["image"]) for i in items] == [
        ("create", "ubuntu"), ("upload", "ubuntu"), ("rename", "ubuntu (1)"), ("hide", "ubuntu (1)")]
    old = steps[1]
    assert sorted(op["path"] for op in old.ops) == ["/name", "/os_hidden"]
    # The new version takes a name the old one holds: staged, and published after the rename.
    new = steps[0]
    assert new.body["name"] == "ubuntu (imagecat staging 2)" and new.body["os_hidden"] is True
    assert new.body["imagecat_staged_for"] == "ubuntu"
    assert new.publish == ("ubuntu", False)
    assert new.after["name"] == "ubuntu" and "imagecat_staged_for" not in new.after


def test_a_staged_leftover_is_adopted_and_published_last():
    staged = dict(glance_image("ubuntu (imagecat staging 2)", "2", hidden=True), imagecat_staged_for="ubuntu")
    steps, retired, clashes, items = plan([entry()], [glance_image("ubuntu", "1"), staged])
    new = steps[0]
    assert new.image == staged and not new.create
    assert new.ops == []  # the marker goes with the publish PATCH
    assert new.publish == ("ubuntu", False)
    assert new.after["name"] == "ubuntu" and new.after["os_hidden"] is False
    assert "imagecat_staged_for" not in new.after


def test_a_first_version_under_a_free_name_is_not_staged():
    steps, retired, clashes, items = plan([entry(versions=("1",))], [])
    assert steps[0].publish is None and steps[0].body["name"] == "ubuntu"


def test_prune_policies_for_a_version_beyond_keep():
    listed = [glance_image("ubuntu", "2"), glance_image("ubuntu (1)", "1", hidden=True)]
    expected = {"none": [], "hide": [], "deactivate": [("deactivate", "ubuntu (1)")],
                "delete": [("delete", "ubuntu (1)")]}
    for prune, actions in expected.items():
        steps, retired, clashes, items = plan([entry(keep_versions=1)], listed, prune=prune)
        assert [(i["action"], i["image"]) for i in items] == actions, prune
        assert "beyond keep_versions (1)" in retired[0].candidate["reason"]


def test_hide_prunes_a_visible_undeclared_entry_and_keeps_its_name():
    listed = [glance_image("debian", "7", entry_name="debian")]
    steps, retired, clashes, items = plan([entry()], listed + [glance_image("ubuntu", "2"),
                                                               glance_image("ubuntu (1)", "1", hidden=True)],
                                          prune="hide")
    assert [(i["action"], i["image"], i["reason"]) for i in items] == [
        ("hide", "debian", "entry debian is no longer declared")]


def test_a_superseded_image_loses_the_plain_name_even_without_prune():
    listed = [glance_image("ubuntu", "1"), glance_image("ubuntu", "2")]
    steps, retired, clashes, items = plan([entry(keep_versions=1)], listed, prune="none")
    assert [(i["action"], i["image"]) for i in items] == [("rename", "ubuntu (1)")]


def test_a_protected_image_is_never_deleted_and_is_reported():
    listed = [glance_image("ubuntu", "2"), glance_image("ubuntu (1)", "1", hidden=True, protected=True)]
    steps, retired, clashes, items = plan([entry(keep_versions=1)], listed, prune="delete")
    assert items == []
    assert "protected" in retired[0].blocked["reason"]


def test_images_without_the_tag_or_properties_are_left_alone_and_reported():
    foreign = dict(glance_image("ubuntu", "9"), id="foreign", tags=["other"])
    tagged_only = {"id": "tagged", "name": "ubuntu (1)", "tags": [TAG], "status": "active"}
    listed = [glance_image("ubuntu", "2"), glance_image("ubuntu (1)", "1", hidden=True), foreign, tagged_only]
    steps, retired, clashes, items = plan([entry()], listed, prune="delete")
    assert items == [] and retired == []
    assert sorted(i["id"] for i in clashes) == ["foreign", "tagged"]


def test_a_changed_file_fails_before_any_write():
    listed = [glance_image("ubuntu", "2", digest_hex="f" * 128), glance_image("ubuntu (1)", "1", hidden=True)]
    with pytest.raises(InputError) as caught:
        plan([entry()], listed)
    assert "images[0] (ubuntu) version 2: /f/2 differs from the data of image id-ubuntu-2" in caught.value.message
    assert "declare a new version" in caught.value.message


def test_a_changed_uri_fails_and_an_unchanged_one_is_not_fetched():
    images = [{"name": "c", "disk_format": "raw", "container_format": "bare",
               "versions": [{"version": "1", "uri": "http://127.0.0.1/c.img"}]}]
    same = glance_image("c", "1", entry_name="c", **{PROP_SOURCE: "web-download:http://127.0.0.1/c.img"})
    assert plan(images, [same])[3] == []
    moved = dict(same, **{PROP_SOURCE: "web-download:http://127.0.0.1/old.img"})
    with pytest.raises(InputError) as caught:
        plan(images, [moved])
    assert "was made from web-download:http://127.0.0.1/old.img" in caught.value.message


def test_metadata_changes_are_one_update():
    listed = [glance_image("ubuntu", "2", min_disk=0), glance_image("ubuntu (1)", "1", hidden=True)]
    changed = entry(min_disk=10, properties={"os_distro": "ubuntu"}, tags=["lts"])
    steps, retired, clashes, items = plan([changed], listed)
    assert [(i["action"], i["image"]) for i in items] == [("update", "ubuntu"), ("update", "ubuntu (1)")]
    assert sorted(op["path"] for op in steps[0].ops) == ["/imagecat_catalogue_applied", "/min_disk", "/os_distro",
                                                         "/tags"]
    assert [sorted(op["value"]) for op in steps[0].ops if op["path"] == "/tags"] == [sorted(["lts", TAG])]


def test_members_are_exact_and_only_read_for_entries_that_declare_them():
    listed = [glance_image("ubuntu", "2"), glance_image("ubuntu (1)", "1", hidden=True)]
    members = {"id-ubuntu-2": [{"member_id": "old", "status": "accepted"}], "id-ubuntu-1": []}
    steps, retired, clashes, items = plan([entry(members=["new"])], listed, members=members)
    shares = [(i["image"], i["add"], i["remove"]) for i in items if i["action"] == "share"]
    assert shares == [("ubuntu", ["new"], ["old"]), ("ubuntu (1)", ["new"], [])]
    diff = image_diff(steps[0])
    assert diff["before"]["members"] == ["old"] and diff["after"]["members"] == ["new"]


def test_a_deactivated_kept_version_is_reactivated():
    listed = [glance_image("ubuntu", "2", status="deactivated"), glance_image("ubuntu (1)", "1", hidden=True)]
    steps, retired, clashes, items = plan([entry()], listed)
    assert [i["action"] for i in items] == ["reactivate"]


def test_a_format_change_of_an_image_with_data_is_refused():
    listed = [glance_image("ubuntu", "2", disk_format="qcow2"), glance_image("ubuntu (1)", "1", hidden=True)]
    with pytest.raises(InputError) as caught:
        plan([entry()], listed)
    assert "disk_format is qcow2 in Glance and raw in the entry" in caught.value.message


def test_a_queued_image_gets_its_data_and_a_failed_one_is_replaced():
    queued = glance_image("ubuntu", "2", status="queued", os_hash_value=None)
    steps, retired, clashes, items = plan([entry(versions=("2",))], [queued])
    assert [i["action"] for i in items] == ["upload"]
    failed = dict(queued, size=1024)
    steps, retired, clashes, items = plan([entry(versions=("2",))], [failed])
    assert [i["action"] for i in items] == ["delete", "create", "upload"]


def test_two_images_of_one_version_keep_the_older():
    first = glance_image("ubuntu", "2")
    second = dict(glance_image("ubuntu", "2"), id="later", created_at="2026-03-01T00:00:00Z")
    by_key, extra, unmanaged = index_images([second, first], TAG)
    assert by_key[("ubuntu", "2")]["id"] == "id-ubuntu-2" and [i["id"] for i in extra] == ["later"]
    steps, retired, clashes, items = plan([entry(versions=("2",))], [first, second], prune="delete")
    assert [(i["action"], i["id"]) for i in items] == [("delete", "later")]


def test_relative_filenames_are_taken_from_base_dir_and_may_not_leave_it():
    images = [dict(entry(versions=("1",)), base_dir="/srv/catalogue"),
              {"name": "abs", "base_dir": "/srv/catalogue", "versions": [{"version": "1", "filename": "/data/x.img"}]}]
    with pytest.raises(InputError, match=r"images\[0\] \(ubuntu\) versions\[0\] \(1\): /f/1 is an absolute path"):
        validate_catalogue(images)
    images[0]["versions"][0]["filename"] = "images/u-1.img"
    with pytest.raises(InputError, match=r"images\[1\] \(abs\) versions\[0\] \(1\): /data/x.img is an absolute path"):
        validate_catalogue(images)
    entries = validate_catalogue(images, allowed_file_roots=["/data"])
    assert entries[0]["versions"][0]["source"]["filename"] == "/srv/catalogue/images/u-1.img"
    assert entries[1]["versions"][0]["source"]["filename"] == "/data/x.img"
    images[0]["versions"][0]["filename"] = "../x.img"
    with pytest.raises(InputError, match="climbs out of it"):
        validate_catalogue(images, allowed_file_roots=["/data"])


# ---- what the catalogue owns: the record and the three-way plan --------------------------------------

FULL = dict(visibility="private", protected=True, min_ram=64, properties={"a": "1", "b": "2"}, tags=["t1", "t2"])


def changed(**changes):
    value = dict(FULL)
    value.update(changes)
    return value


def applied(**declared):
    """The image of version 1 after a run of entry(**declared): values and record as the catalogue wrote them."""
    steps = plan([entry(versions=("1",), **declared)], [])[0]
    return dict(steps[0].after, id="id-ubuntu-1", protected=bool(declared.get("protected")),
                os_hash_algo="sha512", os_hash_value=DIGESTS["/f/1"], created_at="2026-01-01T00:00:00Z")


def plan_one(image, declared, on_drift="fix"):
    entries = validate_catalogue([entry(versions=("1",), **declared)], None, TAG)
    steps, retired, clashes = plan_catalogue(entries, [image], TAG, "none", digest, scope="p1", on_drift=on_drift)
    return steps[0], plan_items(steps, retired)


def test_a_new_image_carries_the_record_of_what_the_entry_declares():
    image = applied(**FULL)
    record = read_record(image)
    assert record.tags == {"t1", "t2"} and sorted(record.properties) == ["a", "b"]
    assert sorted(record.fields) == ["min_ram", "protected", "visibility"]
    step, items = plan_one(image, FULL)
    assert items == [] and step.ops == []


def test_what_is_no_longer_declared_is_removed_or_reset_and_only_that():
    image = dict(applied(**FULL), note="by hand", os_glance_importing_to_stores="", stores="fast",
                 tags=["t1", "t2", TAG, "hand-tag"])
    step, items = plan_one(image, {"properties": {"a": "1"}, "tags": ["t1"]})
    assert [i["action"] for i in items] == ["update"]
    ops = {op["path"]: op for op in step.ops}
    assert ops["/b"] == {"op": "remove", "path": "/b"}
    assert ops["/min_ram"]["value"] == 0 and ops["/protected"]["value"] is False
    assert ops["/visibility"]["value"] == "shared"
    assert sorted(ops["/tags"]["value"]) == sorted(["t1", TAG, "hand-tag"])
    assert "/note" not in ops and "/stores" not in ops
    assert "no longer declared (removed or reset to the default): min_ram, properties.b, protected, tags.t2, " \
           "visibility" in items[0]["reason"]
    after = step.after
    assert after["note"] == "by hand" and "b" not in after and after["min_ram"] == 0
    assert read_record(after).properties.keys() == {"a"} and read_record(after).fields == {}
    # The next run, against what that run left: nothing to do.
    assert plan_one(after, {"properties": {"a": "1"}, "tags": ["t1"]})[1] == []


def test_a_changed_declaration_is_an_update_not_drift():
    step, items = plan_one(applied(**FULL), changed(min_ram=128, properties={"a": "3", "b": "2"}))
    assert [i["action"] for i in items] == ["update"]
    assert {op["path"]: op.get("value") for op in step.ops if not op["path"].startswith("/imagecat")} == {
        "/a": "3", "/min_ram": 128}


def test_a_managed_value_changed_by_hand_is_drift_and_put_back():
    image = dict(applied(**FULL), a="hand", min_ram=1, tags=["t1", TAG])
    step, items = plan_one(image, FULL)
    assert [i["action"] for i in items] == ["drift"]
    assert items[0]["changes"] == [
        {"key": "min_ram", "have": 1, "want": 64, "fixed": True},
        {"key": "properties.a", "have": "hand", "want": "1", "fixed": True},
        {"key": "tags.t2", "have": None, "want": "t2", "fixed": True}]
    assert 'properties.a is "hand" by hand, the catalogue sets "1"' in items[0]["reason"]
    assert step.after["a"] == "1" and step.after["min_ram"] == 64 and "t2" in step.after["tags"]


def test_drift_on_a_key_no_longer_declared_is_drift_too():
    image = dict(applied(**FULL), b="hand")
    step, items = plan_one(image, changed(properties={"a": "1"}))
    assert items[0]["changes"] == [{"key": "properties.b", "have": "hand", "want": None, "fixed": True}]
    assert {"op": "remove", "path": "/b"} in step.ops


def test_on_drift_report_lists_drift_and_writes_nothing_for_it():
    image = dict(applied(**FULL), a="hand")
    step, items = plan_one(image, FULL, on_drift="report")
    assert [i["action"] for i in items] == ["drift"]
    assert items[0]["changes"][0]["fixed"] is False and "on_drift: report" in items[0]["reason"]
    assert step.ops == [] and not is_write(items[0])
    # With another change, that one is written, the drifted key is not, and the record keeps reporting it.
    step, items = plan_one(image, changed(min_ram=128), on_drift="report")
    assert [i["action"] for i in items] == ["drift", "update"]
    assert "/a" not in [op["path"] for op in step.ops]
    assert plan_one(step.after, changed(min_ram=128), on_drift="report")[1][0]["action"] == "drift"


def test_on_drift_fail_fails_before_any_write_naming_image_and_key():
    image = dict(applied(**FULL), a="hand")
    with pytest.raises(InputError) as caught:
        plan_one(image, FULL, on_drift="fail")
    assert "on_drift is fail and 1 image(s) were changed by hand; nothing was written" in caught.value.message
    assert 'ubuntu (id-ubuntu-1): properties.a is "hand" by hand' in caught.value.message
    assert plan_one(applied(**FULL), FULL, on_drift="fail")[1] == []


def test_an_image_without_record_is_adopted_without_removing_anything():
    image = {k: v for k, v in applied(**FULL).items() if not k.startswith("imagecat_catalogue_applied")}
    image["a"] = "hand"
    step, items = plan_one(image, {"properties": {"c": "3"}})
    # Declared values are set (c), nothing is removed or reset (b, min_ram, protected, tags), no drift.
    assert [i["action"] for i in items] == ["update"]
    assert sorted(op["path"] for op in step.ops) == ["/c", "/imagecat_catalogue_applied"]
    image.pop("a")
    step, items = plan_one(image, changed(properties={"b": "2"}))
    adopt = "made before the catalogue recorded what it sets on an image: the record is written, nothing is removed"
    assert [(i["action"], i["reason"]) for i in items] == [("adopt", adopt)]
    assert [op["path"] for op in step.ops] == ["/imagecat_catalogue_applied"]
    assert read_record(step.after).properties.keys() == {"b"}


def test_a_record_longer_than_one_property_plans_and_round_trips():
    many = {"key_%03d" % n: "v%d" % n for n in range(40)}
    image = applied(properties=many)
    assert "imagecat_catalogue_applied_2" in image
    step, items = plan_one(image, {"properties": many})
    assert items == []
    step, items = plan_one(image, {"properties": {"key_000": "v0"}})
    paths = [op["path"] for op in step.ops]
    assert "/imagecat_catalogue_applied_2" in paths and paths.count("/key_001") == 1
    assert not any(k.startswith("imagecat_catalogue_applied_") for k in step.after)


# ---- url versions --------------------------------------------------------------------------------

def url_entry(**version):
    value = {"version": "1", "url": "http://127.0.0.1/d/disk.raw.xz"}
    value.update(version)
    return {"name": "d", "disk_format": "raw", "container_format": "bare", "versions": [value]}


@pytest.mark.parametrize("version, says", [
    ({}, "url needs exactly one of checksum .* or checksum_url"),
    ({"checksum": "sha256:" + "a" * 64, "checksum_url": "http://127.0.0.1/d/SHA256SUMS"}, "url needs exactly one .*; got both"),
    ({"checksum_url": "ftp://127.0.0.1/SHA256SUMS"}, "checksum_url must be an http or https URL"),
    ({"url": "file:///etc/passwd", "checksum": "sha256:" + "a" * 64}, "url must be an http or https URL"),
    ({"checksum": "sha256:" + "a" * 64, "transfer": "rsync"}, "transfer must be one of web-download, controller"),
    ({"checksum": "sha256:" + "a" * 64, "checksum_name": "x"}, "checksum_name .* goes with checksum_url"),
])
def test_url_versions_are_checked_before_anything_is_sent(version, says):
    with pytest.raises(InputError, match=r"images\[0\] \(d\) versions\[0\] \(1\): " + says):
        validate_catalogue([url_entry(**version)])


def test_transfer_goes_only_with_url():
    value = entry(versions=("1",))
    value["versions"][0]["transfer"] = "controller"
    with pytest.raises(InputError, match="transfer goes with url"):
        validate_catalogue([value])


def test_url_sources_are_recorded_by_transfer_and_a_checksum_file_is_not_read_for_them():
    images = [url_entry(checksum_url="http://127.0.0.1/d/SHA256SUMS", transfer="controller")]
    wanted = desired_images(validate_catalogue(images), TAG)[("d", "1")]
    assert wanted["properties"][PROP_SOURCE] == "controller:http://127.0.0.1/d/disk.raw.xz"
    # Resolved from the checksum file only when the image is made (the run does it before any write).
    assert "imagecat_catalogue_checksum" not in wanted["properties"]
    steps, retired, clashes, items = plan(images, [])
    assert [(i["action"], i["reason"]) for i in items][1] == (
        "upload", "from http://127.0.0.1/d/disk.raw.xz through the controller (download, decompress, upload)")


def test_an_unchanged_url_version_compares_its_record_not_the_data():
    images = [url_entry(checksum="sha256:" + "a" * 64, transfer="controller")]
    made = glance_image("d", "1", entry_name="d", digest_hex="f" * 128, **{
        PROP_SOURCE: "controller:http://127.0.0.1/d/disk.raw.xz", "imagecat_catalogue_checksum": "sha256:" + "a" * 64})
    # os_hash_value is of the decompressed data: the declared checksum (of the download) is not compared with it.
    assert plan(images, [made])[3] == []
    rebuilt = [url_entry(checksum="sha256:" + "b" * 64, transfer="controller")]
    with pytest.raises(InputError, match="made from data with checksum sha256:a{64}, the entry now says sha256:b{64}"):
        plan(rebuilt, [made])


def test_a_uri_version_may_become_a_url_version_of_the_same_address():
    images = [url_entry(checksum="md5:" + "0" * 32, transfer="controller")]
    made = glance_image("d", "1", entry_name="d", **{PROP_SOURCE: "web-download:http://127.0.0.1/d/disk.raw.xz"})
    steps, retired, clashes, items = plan(images, [made])
    assert [i["action"] for i in items] == ["update"]
    assert {op["path"]: op["value"] for op in steps[0].ops}[
        "/" + PROP_SOURCE] == "controller:http://127.0.0.1/d/disk.raw.xz"


def test_a_url_with_web_download_is_recorded_as_a_uri_is():
    url = [url_entry(checksum="md5:" + "0" * 32)]
    uri = [{"name": "d", "disk_format": "raw", "container_format": "bare",
            "versions": [{"version": "1", "uri": "http://127.0.0.1/d/disk.raw.xz", "checksum": "md5:" + "0" * 32}]}]
    assert desired_images(validate_catalogue(url), TAG)[("d", "1")]["properties"] == \
        desired_images(validate_catalogue(uri), TAG)[("d", "1")]["properties"]


@pytest.mark.parametrize("tag, message", [
    ("", "managed_tag: an empty tag ('') is listed; remove it"),
    (None, "managed_tag: an empty tag ('') is listed; remove it"),
    ("m" * 256, "managed_tag: the tag 'mmmm"),
])
def test_the_managed_tag_is_checked_like_every_tag(tag, message):
    with pytest.raises(InputError) as caught:
        validate_catalogue([entry("ok", ("1",))], managed_tag=tag)
    assert message in caught.value.message


def test_names_and_tags_at_the_limits_are_taken():
    # Each version's image may be renamed "<name> (<version>)" once it is no longer the newest: that
    # name must fit too.
    entries = validate_catalogue([dict(entry("n" * 251, ("1",)), tags=["t" * 255])], managed_tag="m" * 255)
    assert entries[0]["name"] == "n" * 251 and entries[0]["tags"] == ["t" * 255]
