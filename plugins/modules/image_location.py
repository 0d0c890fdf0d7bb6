#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_location
short_description: Add a location to an image, or list its locations, with Glance's location API (2.17)
version_added: 0.2.0
description:
  - With O(url), makes sure the image has that location (C(POST /v2/images/{id}/locations), Image API 2.17 and
    later). Glance adds locations only to an image without data (status C(queued)); it then runs a
    C(location_import) task that records the location, hashes the data and activates the image. The module
    waits for that task (O(wait)) and reports its message when it fails.
  - Without O(url), lists the image's locations (C(GET /v2/images/{id}/locations)).
  - "Who may do what (Glance 33 defaults): the image's owner (a member of its project) may add an http(s)
    location, and only when the cloud enables an http store; only the C(service) role may add a location of the
    cloud's other stores (C(rbd://), C(swift://), C(cinder://), ...), an admin without it is held to http(s) too.
    Glance refuses C(file://) locations from everyone, so they fail before any write. Listing locations needs
    the C(service) or admin role."
  - "Idempotent: a location the image already has gives C(changed=false). Callers who may not list locations
    are answered from the image's tasks: a successful C(location_import) of O(url) into the image."
  - "With O(validation_data) and an http(s) O(url), the module first reads the URL and compares its digest
    (O(verify_url)): on a mismatch Glance would put the image back to C(queued) but keep the http location, so a
    wrong hash fails here, before anything is sent."
author:
  - imagecat.glance maintainers (@imagecat)
options:
  image:
    description: Name or id of the image (by name it must be the only visible image of that name).
    type: str
    required: true
  url:
    description:
      - The location to add, a URL of one of the cloud's stores (at most 255 characters). For the owner an
        http(s) URL that passes the cloud's C([import_filtering_opts]).
      - Without it, the task lists the locations.
    type: str
  validation_data:
    description:
      - The digest the data must have; Glance computes the digest of the data and refuses the location (task
        failure) when it differs, and records it as the image's C(os_hash_algo)/C(os_hash_value).
    type: dict
    suboptions:
      os_hash_algo:
        description: Hash algorithm.
        type: str
        required: true
        choices: [md5, sha1, sha256, sha512]
      os_hash_value:
        description: The digest, in hexadecimal.
        type: str
        required: true
  verify_url:
    description:
      - With O(validation_data) and an http(s) O(url), read the URL from the host that runs the module and
        compare its digest before any write. Costs one download of the data; set V(false) when that host cannot
        reach the URL or the data is large, and Glance alone checks it (leaving the http location on a mismatch).
    type: bool
    default: true
  wait:
    description: Wait for the location import task to finish (the image is then C(active)).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the task.
    type: int
    default: 600
extends_documentation_fragment:
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: An image whose data stays on a web server (the owner; the cloud has an http store)
  imagecat.glance.image:
    cloud: mycloud
    name: debian-13
    disk_format: qcow2
    container_format: bare

- name: Point it at the data, checked against the published digest
  imagecat.glance.image_location:
    cloud: mycloud
    image: debian-13
    url: https://mirror.example.com/debian-13-genericcloud-amd64.qcow2
    validation_data:
      os_hash_algo: sha512
      os_hash_value: "{{ debian_sha512 }}"

- name: Its locations (service or admin role)
  imagecat.glance.image_location:
    cloud: mycloud-service
    image: debian-13
  register: where
"""

RETURN = r"""
image:
  description: The image after the task (in check mode, as it would be); C(active) once a location was added.
  returned: always
  type: dict
locations:
  description:
    - The image's locations, each with C(url) and C(metadata) (C(store) on a multi-store cloud). In check mode,
      the prediction.
    - C(null) when the caller may not list locations (neither the service nor the admin role).
  returned: always
  type: list
  elements: dict
  sample: [{url: "http://mirror.example.com/disk.img", metadata: {store: web}}]
task:
  description: The C(location_import) task of the location this task added, when it waited for it.
  returned: when a location was added and O(wait=true)
  type: dict
"""

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError, find_one_image, get_image
from ansible_collections.imagecat.glance.plugins.module_utils._locations import (
    LOCATION_API,
    VALIDATION_DATA_ARGSPEC,
    add_location,
    check_location_request,
    has_location,
    is_http,
    location_tasks,
    read_locations,
    verify_url_data,
    wait_for_location,
)
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule


def urls(locations):
    return [location.get("url") for location in locations or []]


class ImageLocationModule(GlanceModule):
    argument_spec = dict(
        image=dict(type="str", required=True),
        url=dict(type="str"),
        validation_data=dict(type="dict", options=VALIDATION_DATA_ARGSPEC),
        verify_url=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=600),
    )
    module_kwargs = dict(required_by={"validation_data": "url"})

    def run(self):
        p = self.params
        url = p["url"]
        validation = check_location_request(url, p["validation_data"]) if url is not None else None
        client = self.client
        image = find_one_image(client, p["image"])
        if not client.supports(LOCATION_API):
            raise InputError("url: this Image service (API %s) has no location API (%s, Dalmatian)."
                             % (client.current_version(), LOCATION_API))
        if url is None:
            locations = read_locations(client, image["id"])
            if locations is None:
                raise GlanceError("GET /v2/images/%s/locations: listing locations needs the service or admin role "
                                  "(Glance's fetch_image_location policy)." % image["id"], status=403)
            return self.result(image=image, locations=locations)

        present, locations = has_location(client, image, url)
        before = {"locations": urls(locations)}
        if present:
            return self.result(image=image, locations=locations, before=before, after=before)
        if image.get("status") != "queued":
            raise InputError("image: image %s is %s; Glance adds locations only to an image without data (queued)%s."
                             % (image["id"], image.get("status"), "" if locations is not None else
                                ", and this project may not list its locations (service or admin role) nor "
                                "found a successful location_import of this url among its tasks"))
        if validation and is_http(url) and p["verify_url"]:
            verify_url_data(url, validation, validate_certs=p["validate_certs"] is not False)
        after = {"locations": before["locations"] + [url]}
        if self.check_mode:
            predicted = None if locations is None else locations + [{"url": url, "metadata": {}}]
            return self.result(changed=True, image=dict(image, status="active"), locations=predicted,
                               before=before, after=after)

        add_location(client, image["id"], url, validation)
        extra = {}
        if p["wait"]:
            image = wait_for_location(client, image["id"], url, p["timeout"])
            extra["task"] = location_tasks(client, image["id"], url)[0]
        else:
            image = get_image(client, image["id"]) or image
        locations = read_locations(client, image["id"]) if locations is not None else None
        return self.result(changed=True, image=image, locations=locations, before=before, after=after, **extra)


def main():
    ImageLocationModule.execute()


if __name__ == "__main__":
    main()
