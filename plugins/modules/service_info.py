#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_info
short_description: Versions and features of an OpenStack Image service (Glance)
version_added: 0.1.0
description:
  - Reports the API versions the Image service advertises and the features this cloud has
    enabled (import methods, stores, the image cache and quota usage).
  - Glance has no microversions; the advertised versions are used only to detect features.
author:
  - imagecat.glance maintainers (@imagecat)
options: {}
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: What can this Glance do?
  imagecat.glance.service_info:
    cloud: mycloud
  register: glance

- name: Use web-download only where the cloud enables it
  ansible.builtin.debug:
    msg: "web-download is available"
  when: "'web-download' in glance.features.import_methods"
"""

RETURN = r"""
endpoint:
  description: The image endpoint that was used.
  returned: always
  type: str
  sample: https://glance.example.com:9292
versions:
  description: The versions of the version document, highest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Version id.
      type: str
      sample: v2.18
    status:
      description: V(CURRENT), V(SUPPORTED), V(DEPRECATED) or V(EXPERIMENTAL).
      type: str
      sample: CURRENT
current_version:
  description: The highest version with status CURRENT, without the leading C(v).
  returned: always
  type: str
  sample: "2.18"
features:
  description: What this cloud has enabled.
  returned: always
  type: dict
  contains:
    import_methods:
      description: Enabled interoperable import methods; empty when import is off.
      type: list
      elements: str
      sample: [glance-direct, web-download, copy-image, glance-download]
    stores:
      description: Stores of a multi-store cloud; empty on a single-store cloud.
      type: list
      elements: dict
      contains:
        id:
          description: Store id.
          type: str
        default:
          description: Whether uploads go to this store by default.
          type: bool
        description:
          description: The operator's description of the store.
          type: str
        read_only:
          description: Whether the store is read-only.
          type: bool
        type:
          description:
            - The store's driver (V(file), V(rbd), V(swift), V(http), ...), from C(GET /v2/info/stores/detail)
              (Image API 2.15), which only admins and services may read.
          type: str
          returned: for admins and services
          version_added: 0.2.0
        weight:
          description: The store's weight (higher is preferred for downloads).
          type: int
          returned: for admins and services
          version_added: 0.2.0
        properties:
          description:
            - The driver's settings, such as C(data_dir), C(chunk_size) and C(thin_provisioning) of a file
              store, or C(pool) and C(fsid) of an rbd store.
          type: dict
          returned: for admins and services
          version_added: 0.2.0
    cache:
      description:
        - Whether the image cache is configured. Read from the cache API for admins, and from
          the advertised versions (2.14 and later) for others, whom the cache API refuses.
      type: bool
    usage:
      description:
        - Quota usage per limit (C(image_size_total), C(image_count_total), ... each with C(limit)
          and C(usage); sizes in MiB) when the cloud enforces Keystone unified limits; empty otherwise.
      type: dict
"""

from ansible_collections.imagecat.glance.plugins.module_utils._glance import parse_version
from ansible_collections.imagecat.glance.plugins.module_utils._images import image_usage
from ansible_collections.imagecat.glance.plugins.module_utils._imports import enabled_import_methods, list_stores
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule
from ansible_collections.imagecat.glance.plugins.module_utils._stores import store_details


class ServiceInfoModule(GlanceModule):
    read_only = True
    argument_spec = {}

    def run(self):
        client = self.client
        versions = sorted(
            ({"id": v.get("id"), "status": v.get("status")} for v in client.versions()),
            key=lambda v: parse_version(v["id"]), reverse=True)
        return self.result(
            endpoint=client.root,
            versions=versions,
            current_version=client.current_version(),
            features=dict(
                import_methods=enabled_import_methods(client),
                stores=self.stores(),
                cache=self.cache_enabled(),
                usage=self.usage(),
            ),
        )

    def stores(self):
        """The stores, with type, weight and properties where the caller may read their details."""
        stores = list_stores(self.client)
        details = store_details(self.client) if stores else {}
        return [dict(store, **details.get(store["id"], {})) for store in stores]

    def cache_enabled(self):
        response = self.client.request("GET", "/v2/cache", expected=(200, 403, 404))
        if response.status_code == 403:
            # Cache policies are admin-only and checked before the cache itself.
            # 2.14 is advertised only when image_cache_dir is set.
            return self.client.has_version("2.14")
        return response.status_code == 200

    def usage(self):
        return image_usage(self.client)


def main():
    ServiceInfoModule.execute()


if __name__ == "__main__":
    main()
