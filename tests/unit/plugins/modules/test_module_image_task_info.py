"""imagecat.glance.image_task_info (ImageTaskInfoModule): tasks of an image, every task, one task."""

import pytest
from glance_stub import image

from ansible_collections.imagecat.glance.plugins.modules.image_task_info import ImageTaskInfoModule

IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
TASK_IDS = ["9d2a4c55-1b7e-4c8f-a0d3-6e5f4b3a2c1%d" % n for n in range(3)]


def task(n, status, kind="api_image_import", image_id=IMAGE_ID):
    return {"id": TASK_IDS[n], "type": kind, "status": status, "image_id": image_id, "message": "",
            "created_at": "2026-01-0%dT00:00:00Z" % (n + 1), "self": "/v2/tasks/" + TASK_IDS[n],
            "schema": "/v2/schemas/task"}


@pytest.fixture
def tasks(cloud):
    cloud.images.append(image("a", IMAGE_ID))
    cloud.tasks = [task(0, "success"), task(1, "failure"), task(2, "success", "location_import", "other")]
    return cloud


def run(args, **kwargs):
    return ImageTaskInfoModule.run_in_controller("image_task_info", dict(args, cloud="demo"), **kwargs)


def test_the_tasks_of_an_image_newest_first_without_links(tasks):
    result = run({"image": "a"})
    assert result["changed"] is False
    assert [t["id"] for t in result["tasks"]] == [TASK_IDS[1], TASK_IDS[0]]
    assert all("self" not in t and "schema" not in t for t in result["tasks"])
    assert ("GET", "/v2/images/%s/tasks" % IMAGE_ID, []) in tasks.requests
    assert tasks.writes() == []


def test_filters_apply_to_the_image_tasks(tasks):
    result = run({"image": "a", "filters": {"status": "success"}})
    assert [t["id"] for t in result["tasks"]] == [TASK_IDS[0]]


def test_every_task_sends_the_server_side_filters(tasks):
    result = run({"filters": {"status": "success", "sort_dir": "asc"}})
    assert [t["id"] for t in result["tasks"]] == [TASK_IDS[0], TASK_IDS[2]]
    query = [q for m, p, q in tasks.requests if p == "/v2/tasks"][0]
    assert ("status", "success") in query and ("sort_dir", "asc") in query


def test_one_task_by_id(tasks):
    result = run({"task": TASK_IDS[2]})
    assert [t["type"] for t in result["tasks"]] == ["location_import"]


def test_the_admin_only_tasks_api_says_so(tasks):
    tasks.refuse[("GET", "/v2/tasks")] = (403, "Access was denied to this resource.")
    result = run({})
    assert result["failed"] is True and result["status"] == 403
    assert "admin-only in Glance's default policy (tasks_api_access)" in result["msg"]


@pytest.mark.parametrize("args, says", [
    ({"task": "not-a-uuid"}, "task: 'not-a-uuid' is not a task id (a UUID)."),
    ({"task": "9d2a4c55-1b7e-4c8f-a0d3-6e5f4b3a2c19"}, "task: no task with id 9d2a4c55-1b7e-4c8f-a0d3-6e5f4b3a2c19"),
    ({"image": "a", "task": TASK_IDS[0]}, "parameters are mutually exclusive: image|task"),
])
def test_refusals_name_the_option(tasks, args, says):
    result = run(args)
    assert result["failed"] is True and says in result["msg"]
