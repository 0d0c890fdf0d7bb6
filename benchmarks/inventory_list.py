"""Benchmark: the imagecat.glance.images inventory over N images (default 5,000) vs a raw listing and openstack.cloud.

Three ways to get the same images of cloud demo, timed in the same run against the local
cloud (make cloud-up), median of --runs runs each:

  raw         curl, one process per page (limit=1000), with a token fetched beforehand;
  inventory   `ansible-inventory --list` with this collection's inventory plugin (cache off);
  peer        `ansible-playbook` with one openstack.cloud.image_info task (openstack.cloud 2.5.0
              from PyPI's ansible 12.3.0 + openstacksdk 4.14.0, in .cache/peer-venv).

Also timed, to show where the inventory's time goes: the same `ansible-inventory --list` served
from the plugin's cache (no request at all: Ansible's own work for these hosts, plus reading the
cache); `ansible-inventory --list` of a static inventory with as many hosts and no variables at
all (the least any inventory of N hosts costs); and with --constructed the same inventory with
compose, groups and keyed_groups.

The images are metadata-only, tagged with a benchmark tag, created if missing (client-chosen
ids, at most 4 requests at a time) and deleted afterwards unless --keep. The raw listing and
the inventory ask Glance for that tag; openstack.cloud.image_info cannot filter on the server:
it lists every image the project sees and keeps those whose tags are [the benchmark tag], so it
returns the same set, and the extra images the project may have count against it (the script
prints how many images the project sees in all).

Targets (issue 6): inventory within 1.5 s of the raw listing; faster than openstack.cloud.

    .venv/bin/python benchmarks/inventory_list.py [--images 5000] [--runs 3] [--keep] [--constructed]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (  # noqa: E402
    REPO, cloud_facts, create_image, curl_listing, delete_images, list_images, median_time, peer_venv, token_for,
)

TAG = "imagecat-bench-inventory"
PAGE = 1000
TARGET_OVER_RAW = 1.5


def tagged_ids(glance, token):
    return [image["id"] for image in list_images(glance, token, "&tag=" + TAG)]


def visible_count(glance, token):
    return len(list_images(glance, token))


def create_one(glance, token, index):
    create_image(glance, token, {
        "id": str(uuid.uuid4()), "name": "bench-inv-%05d" % index, "disk_format": "qcow2",
        "container_format": "bare", "tags": [TAG], "os_distro": "bench", "min_disk": 1})


def seed(glance, token, count):
    have = len(tagged_ids(glance, token))
    if have < count:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda index: create_one(glance, token, index), range(have, count)))
    return tagged_ids(glance, token)


def collections_path():
    """The symlink tree `make collection-link` makes, so the script also runs on its own."""
    root = os.path.join(REPO, ".cache", "collections")
    link = os.path.join(root, "ansible_collections", "imagecat", "glance")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    return root


def run(command, env):
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit("%s failed:\n%s%s" % (" ".join(command), completed.stdout[-3000:], completed.stderr[-3000:]))
    return completed.stdout


INVENTORY = """plugin: imagecat.glance.images
clouds: [demo]
filters:
  tag: [%s]
"""

INVENTORY_CACHED = INVENTORY + """cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: %s
"""

INVENTORY_CONSTRUCTED = INVENTORY + """compose:
  distro: glance_os_distro
groups:
  small: glance_min_disk < 5
keyed_groups:
  - key: glance_disk_format
    prefix: format
"""

PEER_PLAYBOOK = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - openstack.cloud.image_info:
        cloud: demo
        filters:
          tags: [%s]
      register: result
    - ansible.builtin.debug:
        msg: "PEER_COUNT={{ result.images | length }}"
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark images in place")
    parser.add_argument("--constructed", action="store_true",
                        help="also time the inventory with compose, groups and keyed_groups")
    args = parser.parse_args()
    begun = time.perf_counter()

    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    token = token_for("demo")
    venv_bin = os.path.join(REPO, ".venv", "bin")
    started = time.perf_counter()
    ids = seed(glance, token, args.images)
    seed_s = time.perf_counter() - started
    count = len(ids)
    visible = visible_count(glance, token)
    base_env = dict(os.environ, OS_CLIENT_CONFIG_FILE=facts["clouds_yaml"], ANSIBLE_LOCALHOST_WARNING="false",
                    ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_DEPRECATION_WARNINGS="false")
    ours_env = dict(base_env, ANSIBLE_COLLECTIONS_PATH=collections_path(),
                    ANSIBLE_INVENTORY_ENABLED="imagecat.glance.images", ANSIBLE_INVENTORY_CACHE="false",
                    PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""))
    peer = peer_venv()
    peer_env = dict(base_env, PATH=os.path.join(peer, "bin") + os.pathsep + os.environ.get("PATH", ""))
    peer_env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            plain = os.path.join(tmp, "bench.glance_images.yml")
            cached = os.path.join(tmp, "cached.glance_images.yml")
            constructed = os.path.join(tmp, "constructed.glance_images.yml")
            playbook = os.path.join(tmp, "peer.yml")
            for path, text in ((plain, INVENTORY % TAG), (cached, INVENTORY_CACHED % (TAG, os.path.join(tmp, "cache"))),
                               (constructed, INVENTORY_CONSTRUCTED % TAG), (playbook, PEER_PLAYBOOK % TAG)):
                with open(path, "w") as handle:
                    handle.write(text)

            bare = os.path.join(tmp, "bare.yml")  # JSON is YAML: N hosts, no variables
            with open(bare, "w") as handle:
                json.dump({"all": {"hosts": {"host-%05d" % index: None for index in range(count)}}}, handle)

            def inventory(path):
                out = run([os.path.join(venv_bin, "ansible-inventory"), "-i", path, "--list"], ours_env)
                return len(json.loads(out)["_meta"]["hostvars"])

            def peer_info():
                out = run([os.path.join(peer, "bin", "ansible-playbook"), playbook], peer_env)
                return int(out.split("PEER_COUNT=")[1].split('"')[0])

            raw_s, listed = median_time(args.runs, lambda: curl_listing(glance, token, "&tag=" + TAG))
            inv_s, hosts = median_time(args.runs, lambda: inventory(plain))
            bare_env = dict(ours_env, ANSIBLE_INVENTORY_ENABLED="ansible.builtin.yaml")
            bare_s, bare_hosts = median_time(args.runs, lambda: len(json.loads(run(
                [os.path.join(venv_bin, "ansible-inventory"), "-i", bare, "--list"], bare_env))["ungrouped"]["hosts"]))
            inventory(cached)  # fills the cache; the timed runs below send no request
            cached_s, cached_hosts = median_time(args.runs, lambda: inventory(cached))
            con_s, con_hosts = median_time(args.runs, lambda: inventory(constructed)) if args.constructed else (None, count)
            peer_s, peer_count = median_time(args.runs, peer_info)
            for what, got in (("raw listing", listed), ("inventory", hosts), ("cached inventory", cached_hosts),
                              ("static inventory", bare_hosts),
                              ("constructed inventory", con_hosts), ("openstack.cloud.image_info", peer_count)):
                if got != count:
                    raise SystemExit("%s saw %d images, expected %d" % (what, got, count))
    finally:
        if not args.keep:
            failed = delete_images(glance, token, ids)
            if failed:
                print("warning: could not delete %d benchmark image(s): %s" % (len(failed), ", ".join(failed[:5])))

    over = inv_s - raw_s
    print("imagecat.glance.images inventory benchmark: %d images tagged %s in cloud demo "
          "(the project sees %d images in all), median of %d runs" % (count, TAG, visible, args.runs))
    print("  %-62s %7.2f s" % ("raw paginated listing (curl per page, limit=%d)" % PAGE, raw_s))
    print("  %-62s %7.2f s" % ("ansible-inventory --list, imagecat.glance.images", inv_s))
    print("  %-62s %7.2f s" % ("  same, served from its cache (no request: Ansible's own cost)", cached_s))
    print("  %-62s %7.2f s" % ("ansible-inventory --list, static: %d hosts, no variables" % count, bare_s))
    if con_s is not None:
        print("  %-62s %7.2f s" % ("  same, with compose + groups + keyed_groups", con_s))
    print("  %-62s %7.2f s" % ("ansible-playbook, openstack.cloud.image_info (peer)", peer_s))
    print("  inventory - raw = %+.2f s (target: within %.1f s) -> %s"
          % (over, TARGET_OVER_RAW, "OK" if over <= TARGET_OVER_RAW else "MISSED"))
    print("  inventory - cached inventory = %.2f s: connecting and listing, vs %.2f s for the raw listing"
          % (inv_s - cached_s, raw_s))
    print("  openstack.cloud / inventory = %.2fx (target: inventory faster, > 1.00x) -> %s"
          % (peer_s / inv_s, "OK" if inv_s < peer_s else "MISSED"))
    print("  (seeding %.0f s, whole benchmark %.0f s; cleanup %s)"
          % (seed_s, time.perf_counter() - begun, "skipped (--keep)" if args.keep else "done"))


if __name__ == "__main__":
    main()
