# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: Glance's tasks (imports, copies, location imports).

The tasks of one image (``GET /v2/images/{id}/tasks``, API 2.12) are readable by whoever may read
the image; the tasks API (``/v2/tasks``) is admin-only in Glance's default policy (``tasks_api_access``).
Filters are checked before any request; the image tasks call has no filters of its own, so they are
applied to its answer.
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError, is_uuid
from ansible_collections.imagecat.glance.plugins.module_utils._imports import image_tasks

TASK_STATUSES = ("pending", "processing", "success", "failure")
TASK_TYPES = ("api_image_import", "location_import", "import")
# Only 'import' (the legacy task type) is accepted by GET /v2/tasks?type=...
SERVER_TYPE_FILTERS = ("import",)
SORT_KEYS = ("created_at", "updated_at", "id", "status", "type", "expires_at")
PAGE_SIZE = 100
TASKS_FILTERS_ARGSPEC = dict(
    status=dict(type="str", choices=list(TASK_STATUSES)),
    type=dict(type="str", choices=list(TASK_TYPES)),
    sort_key=dict(type="str", choices=list(SORT_KEYS)),
    sort_dir=dict(type="str", choices=["asc", "desc"]),
)
ADMIN_HINT = ("the tasks API (/v2/tasks) is admin-only in Glance's default policy (tasks_api_access); "
              "give image to read the tasks of one image, which anyone who may read the image can do")


def _sorted(tasks, sort_key, sort_dir):
    key = sort_key or "created_at"
    return sorted(tasks, key=lambda task: str(task.get(key) or ""), reverse=(sort_dir or "desc") == "desc")


def filter_tasks(tasks, filters):
    """Apply status/type filters and the sort order to a task list (pure)."""
    filters = filters or {}
    kept = [task for task in tasks
            if (not filters.get("status") or task.get("status") == filters["status"])
            and (not filters.get("type") or task.get("type") == filters["type"])]
    return _sorted(kept, filters.get("sort_key"), filters.get("sort_dir"))


def tasks_of_image(client, image, filters=None):
    """The tasks of ``image`` (a dict with its id), filtered; needs API 2.12."""
    if not client.supports("2.12"):
        raise InputError("image: this Image service (API %s) has no tasks of an image (API 2.12, Wallaby); "
                         "an admin can list all tasks without image." % client.current_version())
    return filter_tasks(image_tasks(client, image["id"]), filters)


def list_tasks(client, filters=None):
    """Every task (GET /v2/tasks, admin), following every page."""
    filters = filters or {}
    query = []
    if filters.get("status"):
        query.append(("status", filters["status"]))
    if filters.get("type") in SERVER_TYPE_FILTERS:
        query.append(("type", filters["type"]))
    for option in ("sort_key", "sort_dir"):
        if filters.get(option):
            query.append((option, filters[option]))
    try:
        tasks = list(client.paginate("/v2/tasks", "tasks", params=query, page_size=PAGE_SIZE))
    except GlanceError as error:
        if error.status == 403:
            raise GlanceError("%s; %s." % (error.message, ADMIN_HINT), status=403, request_id=error.request_id)
        raise
    return filter_tasks(tasks, filters)


def get_task(client, task_id):
    """One task by id (GET /v2/tasks/{id}, admin); a clear error when there is none."""
    if not is_uuid(task_id):
        raise InputError("task: '%s' is not a task id (a UUID)." % task_id)
    try:
        response = client.request("GET", "/v2/tasks/%s" % quote(task_id, safe=""), expected=(200, 404))
    except GlanceError as error:
        if error.status == 403:
            raise GlanceError("%s; %s." % (error.message, ADMIN_HINT), status=403, request_id=error.request_id)
        raise
    if response.status_code == 404:
        raise InputError("task: no task with id %s (Glance deletes tasks after [task] task_time_to_live, 48 hours "
                         "by default)." % task_id)
    return response.json()


def task_view(task):
    """The task without Glance's self/schema links."""
    return {key: value for key, value in task.items() if key not in ("self", "schema")}
