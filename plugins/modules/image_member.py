#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_member
short_description: Share images between projects of the OpenStack Image service (Glance)
version_added: 0.1.0
description:
  - The owner side adds and removes the projects an image is shared with (O(member), O(members), O(state)).
  - The consumer side accepts, rejects or resets a share offered to its project (O(status)).
  - Glance lets only the owner project add or remove members, and only the member project change its
    status; a task run from the wrong side fails and says which project must run it.
  - Members exist only on images with visibility C(shared).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description:
      - Name or id of the image. By name, the image must be the only one of that name the caller sees
        (images shared with the caller count, whatever their member status).
    type: str
    required: true
  member:
    description:
      - Project (name or id) to share with; on the consumer side, the member project, by default the caller's.
      - Names are resolved through Keystone. Looking up other projects by name needs an admin; project ids
        always work.
    type: str
  members:
    description:
      - Projects (names or ids) to share with. With O(purge_members=true), exactly these.
    type: list
    elements: str
  purge_members:
    description: Remove members that O(members) (or O(member)) does not list.
    type: bool
    default: false
  state:
    description: Owner side. V(present) adds the members, V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  status:
    description:
      - Consumer side. The member status to set; V(accepted) makes the image appear in the consumer's
        default image list, V(rejected) and V(pending) keep it out.
    type: str
    choices: [accepted, rejected, pending]
  make_shared:
    description:
      - Owner side. When the image's visibility is not C(shared), change it to C(shared) instead of failing.
    type: bool
    default: false
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Share an image with two projects (as the owner)
  imagecat.glance.image_member:
    cloud: owner-cloud
    image: ubuntu-24.04
    members: [3e7352b2df5a471c8712fca260089244, 8d08accad920491a86c2c3e488b5ebbc]

- name: Share with exactly this project, removing all others
  imagecat.glance.image_member:
    cloud: owner-cloud
    image: ubuntu-24.04
    members: [8d08accad920491a86c2c3e488b5ebbc]
    purge_members: true

- name: Accept the share (as the consumer)
  imagecat.glance.image_member:
    cloud: consumer-cloud
    image: 3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00
    status: accepted

- name: Stop sharing with a project
  imagecat.glance.image_member:
    cloud: owner-cloud
    image: ubuntu-24.04
    member: 8d08accad920491a86c2c3e488b5ebbc
    state: absent
"""

RETURN = r"""
image_id:
  description: Id of the image.
  returned: always
  type: str
members:
  description:
    - The image's members after the task (or as they would be in check mode). The owner sees every
      member; a consumer sees only its own entry.
  returned: always
  type: list
  elements: dict
  contains:
    member_id:
      description: The member project's id.
      type: str
    status:
      description: V(pending), V(accepted) or V(rejected).
      type: str
    created_at:
      description: When the member was added (null for a member check mode would add).
      type: str
    updated_at:
      description: When the status last changed.
      type: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    InputError,
    find_one_image,
    update_image,
)
from ansible_collections.imagecat.glance.plugins.module_utils._members import (
    add_member,
    get_member,
    list_members,
    plan_members,
    predicted_members,
    remove_member,
    set_member_status,
)
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule
from ansible_collections.imagecat.glance.plugins.module_utils._projects import resolve_project


class ImageMemberModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str", required=True),
        member=dict(type="str"),
        members=dict(type="list", elements="str"),
        purge_members=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        status=dict(type="str", choices=["accepted", "rejected", "pending"]),
        make_shared=dict(type="bool", default=False),
    )
    module_kwargs = dict(mutually_exclusive=[("member", "members"), ("status", "members"),
                                             ("status", "purge_members"), ("status", "make_shared")])

    def run(self):
        p = self.params
        if p["status"] and p["state"] == "absent":
            raise InputError("status sets the consumer's answer to a share; it does not go with state: absent.")
        image = find_one_image(self.client, p["image"], shared_with_caller=True)
        self.caller = self.connection.project_id()
        if p["status"]:
            return self.consumer_side(image)
        return self.owner_side(image)

    def require(self, project_id, what, image):
        """Glance lets only this project (or an admin) do it: say so before Glance answers 403/404."""
        if self.caller and project_id != self.caller and not self.connection.is_admin():
            raise InputError("only project %s can %s image %s; this task runs as project %s. Run it with "
                             "that project's credentials." % (project_id, what, image["id"], self.caller))

    def consumer_side(self, image):
        p = self.params
        member_id = resolve_project(self.connection, p["member"], "member") if p["member"] else self.caller
        if not member_id:
            raise InputError("member: give the member project; without Keystone the caller's project is unknown.")
        self.require(member_id, "accept, reject or reset its membership of", image)
        current = get_member(self.client, image["id"], member_id)
        if current is None:
            raise InputError("project %s is not a member of image %s; the owner project %s must add it first "
                             "(imagecat.glance.image_member with member: %s)."
                             % (member_id, image["id"], image.get("owner"), member_id))
        changed = current["status"] != p["status"]
        after = dict(current, status=p["status"])
        if changed and not self.check_mode:
            after = set_member_status(self.client, image["id"], member_id, p["status"])
        return self.result(changed=changed, image_id=image["id"], members=[after],
                           before={"members": [current]}, after={"members": [after]})

    def owner_side(self, image):
        p = self.params
        wanted = [resolve_project(self.connection, m, "members" if p["members"] else "member")
                  for m in (p["members"] or ([p["member"]] if p["member"] else []))]
        if not wanted and not (p["purge_members"] and p["state"] == "present"):
            raise InputError("give member or members (or status, on the consumer side).")
        self.require(image.get("owner"), "add or remove members of", image)
        changed = False
        if image.get("visibility") != "shared":
            if p["state"] == "absent":
                # Only shared images have members, so there is nothing to remove.
                return self.result(changed=False, image_id=image["id"], members=[],
                                   before={"members": []}, after={"members": []})
            if not p["make_shared"]:
                raise InputError("image %s has visibility %s, and Glance shares only images with visibility "
                                 "shared. Set visibility: shared with imagecat.glance.image, or make_shared: true "
                                 "here." % (image["id"], image.get("visibility")))
            changed = True
            if not self.check_mode:
                update_image(self.client, image["id"], [{"op": "replace", "path": "/visibility", "value": "shared"}])
            current = []
        else:
            current = list_members(self.client, image["id"])
        to_add, to_remove = plan_members(current, wanted, p["state"], p["purge_members"])
        changed = changed or bool(to_add or to_remove)
        if self.check_mode or not (to_add or to_remove):
            members = predicted_members(current, to_add, to_remove)
        else:
            for member_id in to_remove:
                remove_member(self.client, image["id"], member_id)
            for member_id in to_add:
                add_member(self.client, image["id"], member_id)
            members = list_members(self.client, image["id"])
        return self.result(changed=changed, image_id=image["id"], members=members,
                           before={"members": current}, after={"members": members})


def main():
    ImageMemberModule.execute()


if __name__ == "__main__":
    main()
