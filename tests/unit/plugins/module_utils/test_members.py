from ansible_collections.imagecat.glance.plugins.module_utils._members import (
    member_view,
    plan_members,
    predicted_members,
)

CURRENT = [{"member_id": "a", "status": "accepted", "created_at": "t", "updated_at": "t"},
           {"member_id": "b", "status": "pending", "created_at": "t", "updated_at": "t"}]


def test_members_are_added_without_touching_others():
    assert plan_members(CURRENT, ["a", "c"], "present", purge=False) == (["c"], [])


def test_purge_makes_the_exact_set():
    assert plan_members(CURRENT, ["c"], "present", purge=True) == (["c"], ["a", "b"])
    assert plan_members(CURRENT, [], "present", purge=True) == ([], ["a", "b"])


def test_absent_removes_only_listed_members_that_exist():
    assert plan_members(CURRENT, ["b", "z"], "absent", purge=False) == ([], ["b"])


def test_prediction_marks_new_members_pending():
    predicted = predicted_members(CURRENT, ["c"], ["a"])
    assert [(m["member_id"], m["status"]) for m in predicted] == [("b", "pending"), ("c", "pending")]


def test_member_view_keeps_the_documented_fields():
    raw = dict(CURRENT[0], image_id="i", schema="/v2/schemas/member")
    assert member_view(raw) == CURRENT[0]
