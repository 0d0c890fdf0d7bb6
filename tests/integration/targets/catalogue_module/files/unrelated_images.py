"""Seed or delete metadata-only images unrelated to any catalogue (a bounded pool of 4 requests at a time).

    python3 unrelated_images.py seed GLANCE_URL COUNT PREFIX   # token in $OS_TOKEN; prints the ids (JSON)
    python3 unrelated_images.py delete GLANCE_URL PREFIX       # deletes every image named PREFIX-*
"""

import json
import os
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

POOL = 4


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"X-Auth-Token": os.environ["OS_TOKEN"], "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers),
                                timeout=60) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def seed(glance, count, prefix):
    def create(index):
        body = {"name": "%s-%04d" % (prefix, index), "disk_format": "raw", "container_format": "bare",
                "os_hidden": index % 5 == 0}
        return call("POST", glance + "/v2/images", body)["id"]
    with ThreadPoolExecutor(POOL) as pool:
        return list(pool.map(create, range(count)))


def delete(glance, prefix):
    ids = []
    for hidden in ("false", "true"):
        url = glance + "/v2/images?limit=1000&os_hidden=%s" % hidden
        while url:
            page = call("GET", url)
            ids += [i["id"] for i in page["images"] if (i.get("name") or "").startswith(prefix + "-")]
            url = glance + page["next"] if page.get("next") and page["images"] else None
    with ThreadPoolExecutor(POOL) as pool:
        list(pool.map(lambda image_id: call("DELETE", glance + "/v2/images/" + image_id), ids))
    return ids


def main():
    action, glance = sys.argv[1], sys.argv[2].rstrip("/")
    if action == "seed":
        print(json.dumps(seed(glance, int(sys.argv[3]), sys.argv[4])))
    else:
        print(json.dumps(delete(glance, sys.argv[3])))


if __name__ == "__main__":
    main()
