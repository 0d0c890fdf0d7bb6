from ansible_collections.imagecat.glance.plugins.module_utils._tags import plan_tags


def test_tag_plans():
    assert plan_tags(["a", "b"], ["b", "c"], "present", purge=False) == (["c"], [])
    assert plan_tags(["a", "b"], ["b", "c"], "present", purge=True) == (["c"], ["a"])
    assert plan_tags(["a", "b"], ["b", "c"], "absent", purge=False) == ([], ["b"])
    assert plan_tags([], [], "present", purge=True) == ([], [])
