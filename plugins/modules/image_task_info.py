#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_task_info
short_description: Read the tasks (imports, copies, location imports) of the OpenStack Image service (Glance)
version_added: 0.2.0
description:
  - With O(image), the tasks of that image (C(GET /v2/images/{id}/tasks), API 2.12 and later), which anyone who
    may read the image can read. This is where an import's or a location import's outcome and message are.
  - With O(task), one task by id; without either, every task of the cloud (C(GET /v2/tasks), every page).
    Both need an admin (Glance's C(tasks_api_access) policy); others get a clear 403 message.
  - O(filters) select by status and type and set the order. Glance's image tasks call has no filters, so for
    O(image) they are applied to its answer; C(GET /v2/tasks) filters by type only for the legacy C(import)
    type, so other types are filtered from its answer too.
  - Glance deletes tasks after C([task] task_time_to_live) (48 hours by default).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of the image whose tasks to read (by name it must be the only visible image of that name).
    type: str
  task:
    description: Id of one task to read (admin).
    type: str
  filters:
    description: Which tasks, in which order (newest first by default).
    type: dict
    suboptions:
      status:
        description: Only tasks in this status.
        type: str
        choices: [pending, processing, success, failure]
      type:
        description:
          - Only tasks of this type. V(api_image_import) is an import (web-download, glance-direct, copy-image,
            glance-download), V(location_import) an added location (API 2.17), V(import) the legacy tasks API's.
        type: str
        choices: [api_image_import, location_import, import]
      sort_key:
        description: Field to sort by.
        type: str
        choices: [created_at, updated_at, id, status, type, expires_at]
      sort_dir:
        description: Sort direction (V(desc) by default).
        type: str
        choices: [asc, desc]
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Why did the import of this image fail?
  imagecat.glance.image_task_info:
    cloud: mycloud
    image: ubuntu-24.04
    filters:
      status: failure
  register: failed

- name: Show the newest failure
  ansible.builtin.debug:
    msg: "{{ failed.tasks[0].message }}"
  when: failed.tasks | length > 0

- name: Every location import of the cloud (admin)
  imagecat.glance.image_task_info:
    cloud: mycloud-admin
    filters:
      type: location_import
"""

RETURN = r"""
tasks:
  description: The tasks, in the order O(filters) asks (newest first by default).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Task id.
      type: str
    type:
      description: V(api_image_import), V(location_import) or V(import).
      type: str
    status:
      description: V(pending), V(processing), V(success) or V(failure).
      type: str
    message:
      description:
        - What the task said (progress such as C(Copied 15 MiB), or why it failed). Not in the list of
          C(GET /v2/tasks), which gives stubs; read one task for it.
      type: str
    input:
      description: The request the task runs (import method, stores, location URL, ...); not in stubs.
      type: dict
    result:
      description: The task's result, if any; not in stubs.
      type: dict
    image_id:
      description: The image the task works on.
      type: str
    owner:
      description: Project that started the task.
      type: str
    request_id:
      description: Request id of the call that started the task.
      type: str
    user_id:
      description: User that started the task (image tasks only).
      type: str
    created_at:
      description: When the task was created (image tasks give raw database times, without C(Z)).
      type: str
    updated_at:
      description: When the task last changed.
      type: str
    expires_at:
      description: When Glance deletes the task.
      type: str
  sample:
    - id: 3f1b8c1e-2d4a-4a57-8d0e-8f1b2c3d4e5f
      type: api_image_import
      status: success
      message: ""
      image_id: 9d2a4c55-1b7e-4c8f-a0d3-6e5f4b3a2c1d
"""

from ansible_collections.imagecat.glance.plugins.module_utils._images import find_one_image
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule
from ansible_collections.imagecat.glance.plugins.module_utils._tasks import (
    TASKS_FILTERS_ARGSPEC,
    get_task,
    list_tasks,
    task_view,
    tasks_of_image,
)


class ImageTaskInfoModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str"),
        task=dict(type="str"),
        filters=dict(type="dict", options=TASKS_FILTERS_ARGSPEC),
    )
    module_kwargs = dict(mutually_exclusive=[("image", "task")])

    def run(self):
        p = self.params
        if p["task"]:
            return self.result(tasks=[task_view(get_task(self.client, p["task"]))])
        if p["image"]:
            image = find_one_image(self.client, p["image"])
            tasks = tasks_of_image(self.client, image, p["filters"])
        else:
            tasks = list_tasks(self.client, p["filters"])
        return self.result(tasks=[task_view(task) for task in tasks])


def main():
    ImageTaskInfoModule.execute()


if __name__ == "__main__":
    main()
