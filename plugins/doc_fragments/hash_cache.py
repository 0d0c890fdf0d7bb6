# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The digest cache option of the modules that read local image files."""

    DOCUMENTATION = r"""
options:
  hash_cache:
    description:
      - File that caches digests of local files by path, device, inode, size and modification time,
        so an unchanged file is not read again. V(false) turns the cache off.
    type: raw
    default: ~/.cache/imagecat.glance/digests.json
"""
