"""Benchmark: list N images (default 1,000) with one image_info task vs a raw paginated curl listing.

Both run in the same process run against the local cloud (make cloud-up). The images are
metadata-only, tagged with a benchmark tag, created if missing and deleted afterwards
(--keep leaves them for the next run). Target (issue 2): the task within 2 s of curl.

    make bench            # or: .venv/bin/python benchmarks/image_info_list.py --images 1000
"""

import argparse
import os
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (  # noqa: E402
    REPO, cloud_facts, create_image, curl_listing, delete_images, list_images, median_time, run_playbook, token_for,
)

TAG = "imagecat-bench-list"


def list_ids(glance, token):
    return [image["id"] for image in list_images(glance, token, "&tag=" + TAG)]


def seed(glance, token, count):
    existing = list_ids(glance, token)
    missing = count - len(existing)

    def create(index):
        create_image(glance, token, {
            "id": str(uuid.uuid4()), "name": "bench-list-%05d" % index, "disk_format": "raw",
            "container_format": "bare", "tags": [TAG], "os_distro": "bench", "min_ram": 512})
    if missing > 0:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(create, range(len(existing), count)))
    return list_ids(glance, token)


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
%s
"""

TASK = """
    - imagecat.glance.image_info:
        cloud: demo
        filters: {tag: [%s]}
      register: result
    - ansible.builtin.assert:
        that: result.images | length == %d
"""

# Same number of tasks without the module: what ansible-playbook itself costs.
FLOOR_TASKS = """
    - ansible.builtin.set_fact:
        result: {images: []}
    - ansible.builtin.assert:
        that: result.images | length == 0
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark images in place")
    args = parser.parse_args()

    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    token = token_for("demo")
    ids = seed(glance, token, args.images)
    count = len(ids)
    env = {"ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".cache", "collections"),
           "OS_CLIENT_CONFIG_FILE": facts["clouds_yaml"]}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            task_book, floor_book = os.path.join(tmp, "task.yml"), os.path.join(tmp, "floor.yml")
            with open(task_book, "w") as handle:
                handle.write(PLAYBOOK % (TASK % (TAG, count)))
            with open(floor_book, "w") as handle:
                handle.write(PLAYBOOK % FLOOR_TASKS)
            curl_s, listed = median_time(args.runs, lambda: curl_listing(glance, token, "&tag=" + TAG))
            assert listed == count, (listed, count)
            floor_s = median_time(args.runs, lambda: run_playbook(floor_book, env))[0]
            book_s = median_time(args.runs, lambda: run_playbook(task_book, env))[0]
    finally:
        if not args.keep:
            failed = delete_images(glance, token, ids)
            if failed:
                print("warning: could not delete %d benchmark image(s): %s" % (len(failed), ", ".join(failed[:5])))

    task_s = book_s - floor_s
    print("image_info listing benchmark: %d images, median of %d runs" % (count, args.runs))
    print("  raw curl, every page (limit=1000)     : %6.2f s" % curl_s)
    print("  ansible-playbook, one image_info task : %6.2f s" % book_s)
    print("  ansible-playbook, same play, no module: %6.2f s (Ansible's own cost)" % floor_s)
    print("  image_info task alone (difference)    : %6.2f s" % task_s)
    print("  task - curl = %+.2f s (target: within 2 s) -> %s"
          % (task_s - curl_s, "OK" if task_s - curl_s <= 2.0 else "MISSED"))


if __name__ == "__main__":
    main()
