# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the modules of imagecat.glance."""

    DOCUMENTATION = r"""
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - For tasks that run on the controller (connection C(local)), the whole module runs inside the Ansible worker
        process, sharing imports and, in a loop, one authenticated session; otherwise the module is shipped as usual.
        See the connection guide, section "Where the modules run".
  action_group:
    description: Use C(group/imagecat.glance.glance) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - imagecat.glance.glance
"""

    INFO_MODULE = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: This module only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode).
    support: N/A
    details: This module only reads.
"""

    ACTIONS = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode).
    support: full
"""
