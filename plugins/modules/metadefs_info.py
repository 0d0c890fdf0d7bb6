#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: metadefs_info
short_description: Read the metadata definitions catalogue (metadefs) of an OpenStack Image service (Glance)
version_added: 0.2.0
description:
  - Lists metadefs namespaces (filtered by resource type and visibility) and the resource types, or reads one
    namespace with its properties, objects, tags and resource type associations, or one object or property
    of a namespace.
  - Metadefs describe the properties (C(hw_*), C(os_*), ...) a cloud understands, with their allowed values.
    The M(imagecat.glance.image) and M(imagecat.glance.catalogue) modules check properties against them
    (their O(imagecat.glance.image#module:validate_properties) option).
  - Reading needs the reader role; private namespaces of other projects are invisible (Glance answers 404).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  namespace:
    description:
      - Name of one namespace to read (for example C(OS::Compute::LibvirtImage)). Without it, the namespaces
        are listed.
    type: str
  resource_type:
    description:
      - With O(namespace) (or O(details)), property names are given as that resource type sees them, with the
        prefix of the namespace's association to it (C(OS::Glance::Image) turns C(watchdog_action) of
        C(OS::Compute::Watchdog) into C(hw_watchdog_action)).
    type: str
  resource_types:
    description: List only the namespaces associated with one of these resource types.
    type: list
    elements: str
  visibility:
    description: List only public or only private namespaces.
    type: str
    choices: [public, private]
  details:
    description:
      - Without O(namespace), read every listed namespace with its properties and objects (one request per
        namespace); otherwise the list holds the namespaces without them.
    type: bool
    default: false
  object:
    description: With O(namespace), read this object of the namespace instead (RV(object)).
    type: str
  property:
    description: With O(namespace), read this property of the namespace instead (RV(property)), by its name without prefix.
    type: str
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Namespaces that describe image properties, with their definitions
  imagecat.glance.metadefs_info:
    cloud: mycloud
    resource_types: [OS::Glance::Image]
    resource_type: OS::Glance::Image
    details: true
  register: metadefs

- name: The allowed disk buses
  ansible.builtin.debug:
    msg: "{{ (metadefs.namespaces | selectattr('namespace', 'eq', 'OS::Compute::LibvirtImage') | first).properties.hw_disk_bus.enum }}"

- name: One namespace, with the names an image uses
  imagecat.glance.metadefs_info:
    cloud: mycloud
    namespace: OS::Compute::Watchdog
    resource_type: OS::Glance::Image

- name: One property
  imagecat.glance.metadefs_info:
    cloud: mycloud
    namespace: OS::Compute::LibvirtImage
    property: hw_disk_bus
"""

RETURN = r"""
namespaces:
  description:
    - The namespaces listed (with O(details), each with its properties and objects), or the one namespace
      O(namespace) names, with its properties, objects, tags and resource type associations. Empty when
      O(object) or O(property) is given.
  returned: always
  type: list
  elements: dict
  contains:
    namespace:
      description: Name of the namespace.
      type: str
      sample: OS::Compute::LibvirtImage
    display_name:
      description: Title of the namespace.
      type: str
    description:
      description: What the namespace describes.
      type: str
    visibility:
      description: V(public) or V(private).
      type: str
    protected:
      description: Whether the namespace is protected from deletion.
      type: bool
    owner:
      description: Project that owns the namespace.
      type: str
    resource_type_associations:
      description: Resource types the namespace applies to, each with C(name), C(prefix) and C(properties_target).
      type: list
      elements: dict
      sample: [{name: OS::Glance::Image, prefix: hw_}]
    properties:
      description: Property definitions by name (JSON-schema-like; C(type), C(enum), C(minimum), ...).
      type: dict
      sample: {hw_disk_bus: {type: string, enum: [scsi, virtio, ide]}}
    objects:
      description: Objects (groups of properties), each with C(name), C(required) and C(properties).
      type: list
      elements: dict
    tags:
      description: Tags of the namespace (one namespace only), each with C(name).
      type: list
      elements: dict
resource_types:
  description: Every resource type the cloud knows (when O(namespace) is not given), each with C(name).
  returned: when O(namespace) is not given
  type: list
  elements: dict
  sample: [{name: OS::Glance::Image}, {name: OS::Nova::Flavor}]
object:
  description: The object O(object) names, with C(name), C(description), C(required) and C(properties).
  returned: when O(object) is given
  type: dict
property:
  description: The property O(property) names, with C(name), C(title), C(type) and its constraints.
  returned: when O(property) is given
  type: dict
  sample: {name: hw_disk_bus, title: Disk Bus, type: string, enum: [scsi, virtio, ide]}
"""

from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._metadefs import (
    get_namespace,
    get_namespace_item,
    list_namespaces,
    list_resource_types,
)
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

LINK_KEYS = ("self", "schema")


def without_links(item):
    """The item without Glance's self/schema links (its objects too)."""
    view = {key: value for key, value in item.items() if key not in LINK_KEYS}
    if isinstance(view.get("objects"), list):
        view["objects"] = [without_links(obj) for obj in view["objects"]]
    return view


class MetadefsInfoModule(GlanceModule):
    argument_spec = dict(
        namespace=dict(type="str"),
        resource_type=dict(type="str"),
        resource_types=dict(type="list", elements="str"),
        visibility=dict(type="str", choices=["public", "private"]),
        details=dict(type="bool", default=False),
        object=dict(type="str"),
        property=dict(type="str"),
    )
    module_kwargs = dict(
        mutually_exclusive=[("object", "property"), ("namespace", "resource_types"), ("namespace", "visibility"),
                            ("namespace", "details")],
    )

    def run(self):
        p = self.params
        client = self.client
        if not p["namespace"]:
            for option in ("object", "property"):
                if p[option]:
                    raise InputError("%s needs namespace: the namespace that defines it." % option)
            namespaces = list_namespaces(client, p["resource_types"], p["visibility"])
            if p["details"]:
                namespaces = [get_namespace(client, ns["namespace"], p["resource_type"]) for ns in namespaces]
            return self.result(namespaces=[without_links(ns) for ns in namespaces],
                               resource_types=list_resource_types(client))
        for kind in ("object", "property"):
            if p[kind]:
                item = get_namespace_item(client, p["namespace"], kind, p[kind])
                return self.result(namespaces=[], **{kind: without_links(item)})
        namespace = get_namespace(client, p["namespace"], p["resource_type"])
        return self.result(namespaces=[without_links(namespace)])


def main():
    MetadefsInfoModule.execute()


if __name__ == "__main__":
    main()
