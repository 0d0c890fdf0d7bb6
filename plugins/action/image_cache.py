# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs imagecat.glance.image_cache inside the controller when the task runs there (see _in_controller)."""

from __future__ import annotations

from ansible_collections.imagecat.glance.plugins.modules.image_cache import ImageCacheModule
from ansible_collections.imagecat.glance.plugins.plugin_utils._in_controller import GlanceAction


class ActionModule(GlanceAction):
    module_class = ImageCacheModule
    module_name = "image_cache"
