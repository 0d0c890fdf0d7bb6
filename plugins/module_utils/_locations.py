# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the location API of Glance 2.17 (add and list an image's locations).

``POST /v2/images/{id}/locations`` answers 202 and runs a ``location_import`` task that records the
location, hashes the data and activates the image; it works only on a ``queued`` image. Callers with the
``service`` role may add any store's URL; others only http(s) URLs, and only when the cloud enables an
http store. ``GET .../locations`` needs the service (or admin) role.

When the hash in ``validation_data`` does not match, Glance puts the image back to ``queued`` but keeps
an http location (its http store cannot delete one), so the digest of an http(s) URL is checked here
first, before anything is sent.
"""

from __future__ import annotations

import hashlib
import re
import time
import urllib.error

from ansible.module_utils.urls import open_url

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError, get_image
from ansible_collections.imagecat.glance.plugins.module_utils._imports import image_tasks
from ansible_collections.imagecat.glance.plugins.module_utils._waits import LOCATION_POLL, poll

HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
LOCATION_API = "2.17"
TASK_TYPE = "location_import"
# glance.common.store_utils.RESTRICTED_URI_SCHEMAS (Glance 33): refused in the task, for every role.
REFUSED_SCHEMES = ("file", "filesystem", "swift+config", "sheepdog")
CHUNK = 1 << 20
VALIDATION_DATA_ARGSPEC = dict(
    os_hash_algo=dict(type="str", required=True, choices=sorted(HASH_LENGTHS)),
    os_hash_value=dict(type="str", required=True, no_log=False),
)


def check_location_request(url, validation_data):
    """The options as Glance wants them (checked without the cloud); returns the validation data or None."""
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://.+", url or ""):
        raise InputError("url: '%s' is not a URL (<scheme>://...), such as https://mirror.example.com/disk.img."
                         % url)
    scheme = url.split(":", 1)[0].lower()
    if scheme in REFUSED_SCHEMES:
        raise InputError("url: Glance refuses %s:// locations from every caller (they would expose the Glance host's "
                         "files or configuration); give a URL of one of the cloud's stores, such as http(s)." % scheme)
    if len(url) > 255:
        raise InputError("url: Glance stores location URLs of at most 255 characters; this one has %d." % len(url))
    if not validation_data:
        return None
    algo, value = validation_data["os_hash_algo"], validation_data["os_hash_value"].strip().lower()
    if not re.match(r"^[0-9a-f]+$", value) or len(value) != HASH_LENGTHS[algo]:
        raise InputError("validation_data.os_hash_value: a %s digest is %d hexadecimal characters; '%s' is not one."
                         % (algo, HASH_LENGTHS[algo], validation_data["os_hash_value"]))
    return {"os_hash_algo": algo, "os_hash_value": value}


def is_http(url):
    return url.lower().startswith(("http://", "https://"))


def url_digest(url, algorithm, validate_certs=True, timeout=60):
    """Digest of the data at an http(s) URL, read from here (streamed)."""
    hasher = hashlib.new(algorithm)
    try:
        response = open_url(url, timeout=timeout, validate_certs=validate_certs)
        try:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                hasher.update(chunk)
        finally:
            response.close()
    except urllib.error.HTTPError as error:
        raise InputError("url: GET %s answered HTTP %s %s; nothing was sent to Glance." % (url, error.code, error.reason))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise InputError("url: cannot read %s from here (%s); nothing was sent to Glance. Set verify_url: false to "
                         "let Glance check validation_data alone." % (url, getattr(error, "reason", None) or error))
    return hasher.hexdigest()


def verify_url_data(url, validation_data, validate_certs=True):
    """Refuse (before any write) validation data that does not match what the URL serves."""
    actual = url_digest(url, validation_data["os_hash_algo"], validate_certs)
    if actual != validation_data["os_hash_value"]:
        raise InputError("validation_data.os_hash_value: the data at %s has %s %s, not %s; nothing was sent to Glance "
                         "(it would keep this http location on the image although the hash does not match)."
                         % (url, validation_data["os_hash_algo"], actual, validation_data["os_hash_value"]))


def read_locations(client, image_id):
    """The image's locations ([{url, metadata}]), or None when the caller may not list them (403)."""
    response = client.request("GET", "/v2/images/%s/locations" % image_id, expected=(200, 403))
    if response.status_code == 403:
        return None
    return response.json()


def location_tasks(client, image_id, url):
    """The image's location_import tasks for ``url``, newest first."""
    return [task for task in image_tasks(client, image_id)
            if task.get("type") == TASK_TYPE and (task.get("input") or {}).get("loc_url") == url]


def has_location(client, image, url):
    """(present, locations): from the location list when readable, else from the image's tasks (a
    successful location_import of ``url``); ``locations`` is None when it could not be read."""
    locations = read_locations(client, image["id"])
    if locations is not None:
        return any(location.get("url") == url for location in locations), locations
    done = [task for task in location_tasks(client, image["id"], url) if task.get("status") == "success"]
    return bool(done) and image.get("status") != "queued", None


def add_location(client, image_id, url, validation_data):
    body = {"url": url}
    if validation_data:
        body["validation_data"] = validation_data
    try:
        client.request("POST", "/v2/images/%s/locations" % image_id, json_body=body, expected=(200, 202), retry=False)
    except GlanceError as error:
        if error.status == 403:
            raise GlanceError("%s (without the service role, Glance adds only http(s) locations, and only when "
                              "the cloud enables an http store)" % error.message, status=403,
                              request_id=error.request_id)
        raise


def wait_for_location(client, image_id, url, timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll the image's location_import task for ``url`` until it ends; return the image.

    A failed task raises GlanceError with its message (Glance puts the image back to queued).
    """
    def newest():
        tasks = location_tasks(client, image_id, url)
        return tasks[0] if tasks else None

    def timed_out(task):
        return GlanceError("the location import of %s into image %s is still %s after %s s (option timeout)."
                           % (url, image_id, task.get("status") if task else "not started", timeout))
    task = poll(newest, lambda task: bool(task) and task.get("status") in ("success", "failure"), timeout,
                LOCATION_POLL, timed_out, sleep=sleep, clock=clock)
    image = get_image(client, image_id)
    if task["status"] == "failure" or image is None or image.get("status") != "active":
        raise GlanceError("adding the location %s to image %s failed (image status %s); task %s: %s"
                          % (url, image_id, image.get("status") if image else "deleted", task.get("id"),
                             (task.get("message") or "no message").strip()))
    return image
