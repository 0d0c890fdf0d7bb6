"""imagecat.glance.image_member (ImageMemberModule): owner and consumer side, check mode, idempotence."""

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.modules.image_member import ImageMemberModule

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
MEMBERS = "/v2/images/%s/members" % IMAGE_ID


def run(args, **kwargs):
    return ImageMemberModule.run_in_controller("image_member", dict(args, cloud="demo"), diff=True, **kwargs)


def member(member_id, status="pending"):
    return {"member_id": member_id, "image_id": IMAGE_ID, "status": status,
            "created_at": "2026-01-02T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"}


@pytest.fixture
def shared(cloud):
    cloud.images.append(image("a", IMAGE_ID, owner="p1"))
    return cloud


def test_owner_adds_a_member_then_is_unchanged(shared):
    result = run({"image": "a", "member": "p2"})
    assert result["changed"] is True
    assert shared.bodies == [("POST", MEMBERS, {"member": "p2"})]
    assert [(m["member_id"], m["status"]) for m in result["members"]] == [("p2", "pending")]
    assert result["diff"]["before"] == {"members": []}

    again = run({"image": "a", "member": "p2"})
    assert again["changed"] is False
    assert len(shared.writes()) == 1


def test_purge_members_removes_the_others(shared):
    shared.members[IMAGE_ID] = {"p2": member("p2"), "p3": member("p3", "accepted")}
    result = run({"image": "a", "members": ["p3", "p4"], "purge_members": True})
    assert result["changed"] is True
    assert shared.bodies == [("DELETE", MEMBERS + "/p2", None), ("POST", MEMBERS, {"member": "p4"})]
    assert [m["member_id"] for m in result["members"]] == ["p3", "p4"]


def test_absent_removes_only_a_member_the_image_has(shared):
    shared.members[IMAGE_ID] = {"p2": member("p2")}
    assert run({"image": "a", "member": "p9", "state": "absent"})["changed"] is False
    assert shared.writes() == []
    result = run({"image": "a", "member": "p2", "state": "absent"})
    assert result["changed"] is True and result["members"] == []
    assert shared.bodies == [("DELETE", MEMBERS + "/p2", None)]


def test_check_mode_predicts_the_members_without_a_write(shared):
    shared.members[IMAGE_ID] = {"p2": member("p2")}
    result = run({"image": "a", "members": ["p3"], "purge_members": True}, check_mode=True)
    assert result["changed"] is True
    assert result["members"] == [{"member_id": "p3", "status": "pending", "created_at": None, "updated_at": None}]
    assert shared.writes() == []
    assert list(shared.members[IMAGE_ID]) == ["p2"]


def test_a_private_image_is_refused_unless_make_shared(shared):
    shared.images[0]["visibility"] = "private"
    refused = run({"image": "a", "member": "p2"})
    assert refused["failed"] is True
    assert "visibility private" in refused["msg"] and "make_shared: true" in refused["msg"]
    assert shared.writes() == []

    checked = run({"image": "a", "member": "p2", "make_shared": True}, check_mode=True)
    assert checked["changed"] is True and shared.writes() == []

    made = run({"image": "a", "member": "p2", "make_shared": True})
    assert made["changed"] is True
    assert shared.bodies == [("PATCH", "/v2/images/" + IMAGE_ID,
                              [{"op": "replace", "path": "/visibility", "value": "shared"}]),
                             ("POST", MEMBERS, {"member": "p2"})]


def test_absent_on_a_private_image_has_nothing_to_remove(shared):
    shared.images[0]["visibility"] = "private"
    result = run({"image": "a", "member": "p2", "state": "absent"})
    assert result["changed"] is False and result["members"] == []
    assert shared.writes() == []


def test_consumer_accepts_a_share_then_is_unchanged(cloud):
    cloud.images.append(image("a", IMAGE_ID, owner="p9"))
    cloud.members[IMAGE_ID] = {"p1": member("p1")}
    result = run({"image": IMAGE_ID, "status": "accepted"})
    assert result["changed"] is True
    assert cloud.bodies == [("PUT", MEMBERS + "/p1", {"status": "accepted"})]
    assert result["members"][0]["status"] == "accepted"
    assert result["diff"]["before"]["members"][0]["status"] == "pending"
    again = run({"image": IMAGE_ID, "status": "accepted"})
    assert again["changed"] is False and len(cloud.writes()) == 1


def test_consumer_check_mode_sends_nothing(cloud):
    cloud.images.append(image("a", IMAGE_ID, owner="p9"))
    cloud.members[IMAGE_ID] = {"p1": member("p1")}
    result = run({"image": IMAGE_ID, "status": "rejected"}, check_mode=True)
    assert result["changed"] is True and result["members"][0]["status"] == "rejected"
    assert cloud.writes() == [] and cloud.members[IMAGE_ID]["p1"]["status"] == "pending"


@pytest.mark.parametrize("args, says", [
    ({"status": "accepted", "state": "absent"}, "status sets the consumer's answer to a share; it does not go "
                                                "with state: absent."),
    ({}, "give member or members (or status, on the consumer side)."),
    ({"status": "accepted"}, "project p1 is not a member of image %s; the owner project p9 must add it first"
                             % IMAGE_ID),
    ({"member": "p2"}, "only project p9 can add or remove members of image %s; this task runs as project p1."
                       % IMAGE_ID),
])
def test_refusals_name_the_fix_and_write_nothing(cloud, args, says):
    cloud.images.append(image("a", IMAGE_ID, owner="p9"))
    result = run(dict(args, image="a"))
    assert result["failed"] is True
    assert says in result["msg"]
    assert cloud.writes() == []


def test_member_and_members_are_exclusive(shared):
    result = run({"image": "a", "member": "p2", "members": ["p3"]})
    assert result["failed"] is True and "mutually exclusive: member|members" in result["msg"]
    assert shared.requests == []
