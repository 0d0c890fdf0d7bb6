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
      - File that caches digests of local files by path, device, inode, size, modification time and
        change time, so an unchanged file is not read again. V(false) turns the cache off.
      - The cache is used only when the file and its directory belong to the user running the module
        and no one else can write them (a missing directory is made with mode 0700); otherwise the
        task warns and computes the digests from the files. A digest is recorded only after the whole
        file was read; the file is written once, when the task ends.
    type: raw
    default: ~/.cache/imagecat.glance/digests.json
"""
