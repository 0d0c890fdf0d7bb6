# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The validate_properties option (image and catalogue)."""

    DOCUMENTATION = r"""
options:
  validate_properties:
    description:
      - Checks properties against the cloud's metadata definitions (metadefs) before any write. Every
        property that a namespace associated with the C(OS::Glance::Image) resource type defines (with the
        association's prefix, such as C(hw_)) is checked for its allowed values (enum), type (integer,
        number, boolean, string, array), minimum and maximum, length and pattern. A property that several
        namespaces define is accepted when one of them accepts the value. Properties that no namespace
        defines are not checked.
      - Only properties this task would write are checked (new ones, and values that differ from the image),
        so an unchanged run sends no extra request; the definitions are read once per task (for all
        entries of a catalogue, and for all items of a loop run in the controller).
      - V(warn) (the default) writes the property and adds a warning that names the property, the value, the
        allowed values and the namespace. It is the default because metadefs are documentation kept by
        operators, not rules Glance enforces; a cloud's definitions may lag behind its hypervisors (a newer
        Nova accepts values an older definitions file lacks), so refusing would break working playbooks.
      - V(fail) refuses the task before any write, with the same message; use it where the catalogue is
        curated, or in CI.
      - V(off) reads no definitions.
      - When the definitions cannot be read, V(warn) warns and goes on, V(fail) fails.
    type: str
    choices: [warn, fail, "off"]
    default: warn
    version_added: 0.2.0
"""
