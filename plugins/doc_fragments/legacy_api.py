# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The api and compute_endpoint options of the reading plugins (image_info, lookup, inventory)."""

    DOCUMENTATION = r"""
options:
  api:
    description:
      - Which API the images are read from. Every choice returns images in the shape of Image API v2.
      - V(auto) reads the image endpoint's version document (C(GET /)) and uses Image API v2 when it is
        listed, Image API v1 when only v1 is.
      - V(image_v2) lists with Image API v2 without reading the version document first.
      - V(image_v1) reads C(GET /v1/images/detail) (and C(HEAD /v1/images/{id}) for an id); it fails when
        the endpoint does not list v1.
      - V(compute) reads Compute's images proxy, C({compute}/images/detail), at O(compute_endpoint) or at
        the C(compute) endpoint of the token's catalogue (same region and interface).
      - Legacy APIs are read only; the writing modules refuse an endpoint that serves no Image API v2.
      - See the field mapping, and what each legacy API cannot tell, in the guide
        R(Legacy image endpoints,ansible_collections.imagecat.glance.docsite.guide_legacy).
    type: str
    choices: [auto, image_v2, image_v1, compute]
    default: auto
    version_added: 0.2.0
  compute_endpoint:
    description:
      - The Compute API root for O(api=compute), for example C(https://compute.example.com/v2.1) or the
        legacy C(https://compute.example.com/v2/<project_id>); the images proxy is below it. When unset,
        the C(compute) endpoint of the token's catalogue is used.
      - A C(/v2/<project_id>) root must name the project the token is scoped to; Compute answers any
        other project with HTTP 400.
    type: str
    version_added: 0.2.0
notes:
  - "Image API v1 mapping: C(is_public) becomes C(visibility) (V(public), else V(private): v1 does not tell
    private from shared images), C(properties) become top-level custom properties, C(size) (a string in
    v1 headers) an integer, times C(2010-02-03 09:34:01) become C(2010-02-03T09:34:01Z). C(legacy) holds
    C(is_public), C(deleted), C(deleted_at) and C(missing), the v2 fields v1 does not carry: C(tags),
    C(os_hidden), C(os_hash_algo), C(os_hash_value), C(virtual_size)."
  - "Image API v1 filters: C(name), C(status), C(disk_format), C(container_format) (a single value),
    C(size_min), C(size_max), C(visibility) (V(public), V(private), V(all) as C(is_public)), custom
    properties (C(property-<key>)), a single sort key, and C(updated_at) with C(gte:)/C(gt:)
    (C(changes-since)) are sent to the server; C(id), C(owner), C(checksum), C(protected), C(created_at),
    other C(updated_at) operators, C(in:) lists and several sort keys are applied to the listed images
    by the collection. C(tag), C(member_status), C(os_hidden), C(os_hash_value) and C(visibility) V(shared)
    or V(community) are refused: v1 has no such data."
  - "Compute images proxy mapping: C(minDisk)/C(minRam) become C(min_disk)/C(min_ram),
    C(OS-EXT-IMG-SIZE:size) C(size) (null for a queued image, where Compute says 0), C(created)/C(updated) C(created_at)/C(updated_at), C(metadata) top-level
    custom properties; the upper-case status becomes Glance's (V(ACTIVE) V(active), V(SAVING) at 25 %
    V(queued) and at 50 % V(saving), V(DELETED) V(deleted), V(ERROR) V(killed)), and V(UNKNOWN) (a
    deactivated, uploading or importing image) becomes null. C(legacy) holds C(status), C(progress),
    C(links), C(server) (snapshots) and C(missing): C(visibility), C(owner), C(disk_format),
    C(container_format), C(checksum), C(tags), C(protected), C(os_hidden), C(os_hash_algo),
    C(os_hash_value), C(virtual_size) are not in the proxy's answer."
  - "Compute images proxy filters: C(name) and C(status) (a single value) and C(updated_at) with C(gte:)/C(gt:)
    (C(changes-since)) are sent to Compute; C(id), C(size_min), C(size_max), C(created_at), other operators,
    C(in:) lists, sorting and custom properties are applied by the collection (Compute's own
    C(property-<key>) filter mangles the key). Filters on fields the proxy does not return (C(visibility),
    C(owner), C(tag), C(member_status), C(protected), C(os_hidden), C(disk_format), C(container_format),
    C(checksum), C(os_hash_value)) are refused, naming the filter."
"""
