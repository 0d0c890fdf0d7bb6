#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: catalogue_update
short_description: Add new upstream builds to catalogue files, as versions with their checksums
version_added: 0.2.0
description:
  - For each entry of the catalogue files that has an C(upstream) block, reads the checksum file the distribution
    publishes (GNU style C(<hex>  <name>) as in Ubuntu's C(SHA256SUMS) and Debian's C(SHA512SUMS), or BSD style
    C(SHA256 (<name>) = <hex>) as in the C(CHECKSUM) files of Fedora, CentOS Stream, Rocky and AlmaLinux; PGP
    clearsigned or not), finds the newest build, and when the entry does not list it yet, appends it as a version
    with C(uri) and C(checksum) to the entry in the file.
  - The file is edited with a round-trip YAML parser, so comments, key order, quoting and the rest of the file stay
    as they were; the new version is the only difference. The written file is what M(imagecat.glance.catalogue)
    then publishes, so a scheduled job can open a merge request with the change (see the catalogue guide).
  - A build counts as known when a version of the entry has its version string or its checksum.
  - The C(upstream) block of an entry (the catalogue module ignores it) has C(checksum_url) (http or https),
    exactly one of C(file) (the image's name in the checksum file) or C(pattern) (a shell pattern, when the name
    carries the build; the newest matching build wins), optionally C(url) (where the images are; default the
    checksum file's directory), and how versions are named, C(version_from) C(last_modified) (the image's
    C(Last-Modified) date in C(version_format), default C(%Y%m%d)) or C(regex) (the first group, or the group
    named C(version), of C(version_regex) over the image's URL), and optionally C(transfer) (V(web-download) or
    V(controller), since version 0.2.0), with which new builds are written with C(url), C(checksum) and that
    C(transfer) instead of C(uri), for upstreams that publish compressed images, which need V(controller).
  - The version records the checksum read from the checksum file, not the C(checksum_url), because a C(current/)
    checksum file changes with every build, while a version is one build whose data never changes.
  - This module does not talk to the Image service and takes no connection options; it is not in the
    C(imagecat.glance.glance) action group.
author:
  - imagecat.glance maintainers (@imagecat)
requirements:
  - ruamel.yaml (on the host that runs the module)
options:
  path:
    description:
      - Catalogue files to update, or directories whose C(*.yml) and C(*.yaml) files are catalogue files.
    type: list
    elements: path
    required: true
  entries:
    description: Only the entries with these names (default all entries with an C(upstream) block).
    type: list
    elements: str
  timeout:
    description: Seconds to wait for each HTTP request to upstream.
    type: float
    default: 30
  validate_certs:
    description: Verify the TLS certificates of https upstreams.
    type: bool
    default: true
extends_documentation_fragment:
  - imagecat.glance.attributes.ACTIONS
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - For tasks that run on the controller, the module runs inside the Ansible worker process.
notes:
  - In check mode the files are read and upstream is asked, but nothing is written; O(ignore:diff) mode shows the
    change of each file.
"""

EXAMPLES = r"""
# In catalogue/ubuntu.yml:
#   images:
#     - name: ubuntu-24.04
#       disk_format: qcow2
#       upstream:
#         checksum_url: https://cloud-images.ubuntu.com/noble/current/SHA256SUMS
#         file: noble-server-cloudimg-amd64.img
#       versions:
#         - version: "20261101"
#           uri: https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img
#           checksum: sha256:...
- name: Add new upstream builds to the catalogue files
  imagecat.glance.catalogue_update:
    path: catalogue/
  register: found

- name: Show what was added
  ansible.builtin.debug:
    msg: "{{ found.updates | map(attribute='entry') | zip(found.updates | map(attribute='version')) | list }}"

# A Fedora entry whose file name carries the build:
#   upstream:
#     checksum_url: https://example.org/fedora/41/Cloud/x86_64/images/Fedora-Cloud-41-1.4-x86_64-CHECKSUM
#     pattern: Fedora-Cloud-Base-Generic-*.x86_64.qcow2
#     version_from: regex
#     version_regex: 'Generic-(\d+-[\d.]+)\.x86_64'
"""

RETURN = r"""
updates:
  description: The builds added (or, in check mode, that would be added), one per entry.
  returned: always
  type: list
  elements: dict
  contains:
    path: {description: The catalogue file., type: str}
    entry: {description: The entry's name., type: str}
    version: {description: The new version., type: str, sample: "20261201"}
    uri: {description: Where the image is., type: str}
    checksum: {description: Its checksum from the checksum file., type: str, sample: "sha256:9f86d0..."}
    file: {description: The image's name in the checksum file., type: str}
current:
  description: Names of the entries whose newest upstream build is already listed.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_update import update_catalogues
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


class CatalogueUpdateModule(GlanceModule):
    connection_options = False
    argument_spec = dict(
        path=dict(type="list", elements="path", required=True),
        entries=dict(type="list", elements="str"),
        timeout=dict(type="float", default=30),
        validate_certs=dict(type="bool", default=True),
    )

    def run(self):
        changed, updates, current, diffs = update_catalogues(self.params, self.check_mode)
        result = dict(changed=changed, updates=updates, current=current)
        if self.module._diff and diffs:
            result["diff"] = diffs
        return result


def main():
    CatalogueUpdateModule.execute()


if __name__ == "__main__":
    main()
