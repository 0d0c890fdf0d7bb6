"""Benchmark: the imagecat.glance.images inventory over N images (default 5,000) against ansible-core's own floor.

Timed in the same run against the local cloud (make cloud-up), median of --runs runs each:

  raw          curl, one process per page (limit=1000), with a token fetched beforehand;
  plugin       `ansible-inventory --list` with this collection's inventory plugin, cache off, every
               field as a host variable; then with a 4-field list (O(fields));
  static       the floor: `ansible-inventory --list` of a static YAML inventory generated from the
               plugin's own output of that run (the same host names, groups and variables), once for
               every field and once for the 4-field output; written in YAML's JSON form, which
               ansible-core reads fastest, and checked to list exactly what the plugin listed;
  cache hit    the plugin, every field, served from its jsonfile cache (no request);
  peer         `ansible-playbook` with one openstack.cloud.image_info task (openstack.cloud 2.5.0 from
               PyPI's ansible 12.3.0 + openstacksdk 4.14.0, in .cache/peer-venv).

Targets (issue 17): plugin, every field <= 1.15x (static floor + raw listing); plugin, 4 fields <= 1.15x
(4-variable static floor + raw listing); cache hit <= 1.1x the static floor. The peer's ratio is printed.
The cost of one host variable is the difference of the two static floors per variable and per host.

The images are metadata-only, tagged with a benchmark tag, created if missing (client-chosen ids,
--seed-workers requests at a time) and deleted afterwards unless --keep. The raw listing and the
inventory ask Glance for that tag; openstack.cloud.image_info lists every image the project sees and
keeps those whose tags are [the benchmark tag], so it returns the same set.

    .venv/bin/python benchmarks/inventory_list.py [--images 5000] [--runs 3] [--keep] [--seed-workers 8]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (  # noqa: E402
    REPO, cloud_facts, create_image, curl_listing, delete_images, list_images, peer_venv, token_for,
)

TAG = "imagecat-bench-inventory"
PAGE = 1000
FOUR_FIELDS = ["name", "status", "size", "os_distro"]
TARGET_PLUGIN = 1.15
TARGET_CACHE = 1.1


def tagged_ids(glance, token):
    return [image["id"] for image in list_images(glance, token, "&tag=" + TAG)]


def seed(glance, token, count, workers):
    """Metadata-only images up to count, created by a bounded pool (SQLite retries in create_image)."""
    have = len(tagged_ids(glance, token))
    if have < count:
        def create_one(index):
            create_image(glance, token, {
                "id": str(uuid.uuid4()), "name": "bench-inv-%05d" % index, "disk_format": "qcow2",
                "container_format": "bare", "tags": [TAG], "os_distro": "bench", "min_disk": 1})
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(create_one, range(have, count)))
    return tagged_ids(glance, token)


def timed(runs, func):
    """Median wall time, median CPU time of the child processes (user + system), and the last result.

    The CPU time is printed next to the wall time: on a loaded machine it varies much less.
    """
    walls, cpus, result = [], [], None
    for dummy in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = func()
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus), result


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


def plain(value):
    """A value of `ansible-inventory --list` output without 2.19's {"__ansible_unsafe": ...} wrapping."""
    if isinstance(value, dict):
        if list(value) == ["__ansible_unsafe"]:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def static_inventory(listing):
    """A static YAML inventory (as a dict) with the hosts, groups and variables of a --list output."""
    listing = plain(json.loads(json.dumps(listing)))
    hostvars = listing.pop("_meta", {}).get("hostvars", {})
    groups = {}
    for name, group in listing.items():
        if name == "all":
            continue
        entry = {}
        if group.get("hosts"):
            entry["hosts"] = {host: None for host in group["hosts"]}
        if group.get("children"):
            entry["children"] = {child: None for child in group["children"]}
        groups[name] = entry
    hosts = {host: hostvars.get(host) or None for host in hostvars}
    tops = listing.get("all", {}).get("children", [])
    children = {name: groups.pop(name) for name in tops if name in groups}
    children.update(groups)  # nested groups are defined once, at the top; YAML accepts that
    return {"all": {"hosts": hosts, "children": children}}


def variable_count(listing):
    """Host variables per host of a --list output (the most any host has)."""
    return max((len(vars_) for vars_ in listing["_meta"]["hostvars"].values()), default=0)


CONFIG = """plugin: imagecat.glance.images
clouds: [demo]
filters:
  tag: [%s]
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
    parser.add_argument("--seed-workers", type=int, default=8, help="concurrent creates while seeding (1-16)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark images in place")
    args = parser.parse_args()
    workers = max(1, min(16, args.seed_workers))
    begun = time.perf_counter()

    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    token = token_for("demo")
    venv_bin = os.path.join(REPO, ".venv", "bin")
    started = time.perf_counter()
    ids = seed(glance, token, args.images, workers)
    seed_s = time.perf_counter() - started
    count = len(ids)
    visible = len(list_images(glance, token))
    base_env = dict(os.environ, OS_CLIENT_CONFIG_FILE=facts["clouds_yaml"], ANSIBLE_LOCALHOST_WARNING="false",
                    ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_DEPRECATION_WARNINGS="false")
    ours_env = dict(base_env, ANSIBLE_COLLECTIONS_PATH=collections_path(),
                    ANSIBLE_INVENTORY_ENABLED="imagecat.glance.images", ANSIBLE_INVENTORY_CACHE="false",
                    PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""))
    static_env = dict(ours_env, ANSIBLE_INVENTORY_ENABLED="ansible.builtin.yaml")
    peer = peer_venv()
    peer_env = dict(base_env, PATH=os.path.join(peer, "bin") + os.pathsep + os.environ.get("PATH", ""))
    peer_env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    inventory_cmd = os.path.join(venv_bin, "ansible-inventory")
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            configs = {
                "all": CONFIG % TAG,
                "four": CONFIG % TAG + "fields: %s\n" % json.dumps(FOUR_FIELDS),
                "cached": CONFIG % TAG + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n"
                % os.path.join(tmp, "cache"),
            }
            paths = {}
            for key, text in configs.items():
                paths[key] = os.path.join(tmp, "%s.glance_images.yml" % key)
                with open(paths[key], "w") as handle:
                    handle.write(text)
            playbook = os.path.join(tmp, "peer.yml")
            with open(playbook, "w") as handle:
                handle.write(PEER_PLAYBOOK % TAG)

            outputs = {}

            def listing(key, path, env):
                out = json.loads(run([inventory_cmd, "-i", path, "--list"], env))
                outputs[key] = out
                return len(out["_meta"]["hostvars"])

            def peer_info():
                out = run([os.path.join(peer, "bin", "ansible-playbook"), playbook], peer_env)
                return int(out.split("PEER_COUNT=")[1].split('"')[0])

            results["raw"] = timed(args.runs, lambda: curl_listing(glance, token, "&tag=" + TAG))
            results["all"] = timed(args.runs, lambda: listing("all", paths["all"], ours_env))
            results["four"] = timed(args.runs, lambda: listing("four", paths["four"], ours_env))
            for key in ("all", "four"):
                # JSON is YAML, and ansible-core reads it through its much faster JSON path: the lowest
                # floor a static file gives (the same inventory in block YAML took about 3x longer here).
                static = os.path.join(tmp, "static-%s.yml" % key)
                with open(static, "w") as handle:
                    json.dump(static_inventory(outputs[key]), handle)
                paths["static-" + key] = static
            results["static-all"] = timed(
                args.runs, lambda: listing("static-all", paths["static-all"], static_env))
            results["static-four"] = timed(
                args.runs, lambda: listing("static-four", paths["static-four"], static_env))
            listing("cached", paths["cached"], ours_env)  # fills the cache; the timed runs send no request
            results["cached"] = timed(args.runs, lambda: listing("cached", paths["cached"], ours_env))
            results["peer"] = timed(args.runs, peer_info)
            for key, (dummy, dummy_cpu, got) in results.items():
                if got != count:
                    raise SystemExit("%s saw %d images, expected %d" % (key, got, count))
            for key in ("all", "four"):
                if plain(outputs["static-" + key]) != plain(outputs[key]):
                    raise SystemExit("the static inventory of %r does not list what the plugin listed" % key)
            if plain(outputs["cached"]) != plain(outputs["all"]):
                raise SystemExit("the cache hit does not list what the plugin listed")
    finally:
        if not args.keep:
            failed = delete_images(glance, token, ids)
            if failed:
                print("warning: could not delete %d benchmark image(s): %s" % (len(failed), ", ".join(failed[:5])))

    seconds = {key: value[0] for key, value in results.items()}
    cpu = {key: value[1] for key, value in results.items()}
    variables = {key: variable_count(outputs[key]) for key in ("all", "four")}
    raw = seconds["raw"]

    def verdict(ok):
        return "OK" if ok else "MISSED"

    print("imagecat.glance.images inventory benchmark: %d images tagged %s in cloud demo "
          "(the project sees %d images in all), median of %d runs" % (count, TAG, visible, args.runs))
    print("  %-66s %9s %9s" % ("", "wall", "cpu"))
    for key, label in (
            ("raw", "raw paginated listing (curl per page, limit=%d)" % PAGE),
            ("static-all", "static floor: ansible-inventory --list, %d variables per host" % variables["all"]),
            ("static-four", "static floor: ansible-inventory --list, %d variables per host" % variables["four"]),
            ("all", "plugin, every field (%d variables per host)" % variables["all"]),
            ("four", "plugin, fields: %s" % ", ".join(FOUR_FIELDS)),
            ("cached", "plugin, every field, served from its cache (no request)"),
            ("peer", "ansible-playbook, openstack.cloud.image_info (peer)")):
        print("  %-66s %7.2f s %7.2f s" % (label, seconds[key], cpu[key]))
    ratio_all = seconds["all"] / (seconds["static-all"] + raw)
    ratio_four = seconds["four"] / (seconds["static-four"] + raw)
    ratio_cache = seconds["cached"] / seconds["static-all"]
    print("  plugin, every field / (static floor + raw) = %.2fx (target <= %.2fx) -> %s"
          % (ratio_all, TARGET_PLUGIN, verdict(ratio_all <= TARGET_PLUGIN)))
    print("  plugin, 4 fields / (4-variable static floor + raw) = %.2fx (target <= %.2fx) -> %s; %.2f s in all"
          % (ratio_four, TARGET_PLUGIN, verdict(ratio_four <= TARGET_PLUGIN), seconds["four"]))
    print("  cache hit / static floor = %.2fx (target <= %.2fx) -> %s"
          % (ratio_cache, TARGET_CACHE, verdict(ratio_cache <= TARGET_CACHE)))
    print("  openstack.cloud.image_info / plugin, every field = %.2fx (peer)" % (seconds["peer"] / seconds["all"]))
    extra = variables["all"] - variables["four"]
    if extra > 0 and count:
        def per_variable(times, key_all, key_four):
            """ms per host variable per 1,000 hosts"""
            return (times[key_all] - times[key_four]) / extra / count * 1e6
        print("  cost of one host variable per 1,000 hosts (the two runs' difference over %d variables):" % extra)
        print("    static floors: %.0f ms wall, %.0f ms cpu; plugin: %.0f ms wall, %.0f ms cpu"
              % (per_variable(seconds, "static-all", "static-four"), per_variable(cpu, "static-all", "static-four"),
                 per_variable(seconds, "all", "four"), per_variable(cpu, "all", "four")))
    print("  (ratios on wall time; cpu is the processes' own user + system time, the server's not included)")
    print("  (seeding %.0f s with %d workers, whole benchmark %.0f s; cleanup %s)"
          % (seed_s, workers, time.perf_counter() - begun, "skipped (--keep)" if args.keep else "done"))


if __name__ == "__main__":
    main()
