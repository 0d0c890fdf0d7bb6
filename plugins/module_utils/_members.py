# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: image members (sharing)."""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.imagecat.glance.plugins.module_utils._errors import GlanceError

MEMBER_FIELDS = ("member_id", "status", "created_at", "updated_at")
MEMBER_STATUSES = ("accepted", "rejected", "pending")


def member_view(member):
    return {field: member.get(field) for field in MEMBER_FIELDS}


def list_members(client, image_id):
    body = client.get_json("/v2/images/%s/members" % image_id)
    return sorted((member_view(m) for m in body.get("members") or []), key=lambda m: m["member_id"])


def get_member(client, image_id, member_id):
    """The membership, or None (Glance answers 404 for every failure here, forbidden included)."""
    response = client.request("GET", "/v2/images/%s/members/%s" % (image_id, quote(member_id, safe="")),
                              expected=(200, 404))
    return member_view(response.json()) if response.status_code == 200 else None


def add_member(client, image_id, member_id):
    try:
        response = client.request("POST", "/v2/images/%s/members" % image_id, json_body={"member": member_id},
                                  expected=(200,))
    except GlanceError as error:
        if error.status == 409:
            # Added meanwhile (a retried request or a concurrent run): same end state.
            return get_member(client, image_id, member_id)
        if error.status == 413:
            raise GlanceError("members: the image has as many members as the cloud allows "
                              "(image_member_quota): %s" % error.message, status=413, request_id=error.request_id)
        raise
    return member_view(response.json())


def remove_member(client, image_id, member_id):
    client.request("DELETE", "/v2/images/%s/members/%s" % (image_id, quote(member_id, safe="")),
                   expected=(204, 404))


def set_member_status(client, image_id, member_id, status):
    response = client.request("PUT", "/v2/images/%s/members/%s" % (image_id, quote(member_id, safe="")),
                              json_body={"status": status}, expected=(200,))
    return member_view(response.json())


def plan_members(current, wanted, state, purge):
    """(to_add, to_remove) member ids for the owner side."""
    have = {m["member_id"] for m in current}
    if state == "absent":
        return [], sorted(have & set(wanted))
    to_add = [m for m in wanted if m not in have]
    to_remove = sorted(have - set(wanted)) if purge else []
    return to_add, to_remove


def predicted_members(current, to_add, to_remove):
    members = [m for m in current if m["member_id"] not in to_remove]
    members += [{"member_id": m, "status": "pending", "created_at": None, "updated_at": None} for m in to_add]
    return sorted(members, key=lambda m: m["member_id"])
