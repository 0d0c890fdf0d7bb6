# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the image_tag module's tag calls and plan."""

from __future__ import annotations

from ansible_collections.imagecat.glance.plugins.module_utils._errors import GlanceError, InputError
from ansible_collections.imagecat.glance.plugins.module_utils._images import update_image


def replace_tags(client, image_id, tags):
    """Set the image's tags in one JSON patch; returns the image."""
    try:
        return update_image(client, image_id, [{"op": "replace", "path": "/tags", "value": list(tags)}])
    except GlanceError as error:
        if error.status == 413:
            raise InputError("tags: %d tags go over the cloud's tag quota per image (image_tag_quota): %s"
                             % (len(tags), error.message), status=413, request_id=error.request_id)
        raise


def plan_tags(current, tags, state, purge):
    """(to_add, to_remove) for the tag module; order of ``tags`` kept."""
    have = list(current or [])
    if state == "absent":
        return [], [t for t in tags if t in have]
    to_add = [t for t in tags if t not in have]
    to_remove = [t for t in have if t not in tags] if purge else []
    return to_add, to_remove
