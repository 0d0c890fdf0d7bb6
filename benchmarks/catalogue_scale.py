"""Benchmark: the catalogue at scale -- unrelated images, many targets, distribution -- against the local cloud.

1. An unchanged 50-image catalogue (1 KiB images) re-applied with --unrelated (default 5,000) metadata-only
   images in the project vs with none (median of --runs; the playbook's wall time). Target: at most 1.3x.
2. Four targets (demo and alt x RegionOne and RegionTwo), --per-target (default 20) images each, re-applied
   unchanged with the catalogue role in one play (4 forks) vs one target alone. Target: at most 1.5x.
3. A first apply to two regions (demo, RegionOne + RegionTwo) of --per-target images of --size bytes: the
   bytes the controller sent (the role's summary) with distribution (RegionTwo receives, RegionOne imports
   with glance-download) vs uploading to each region.

   With the unrelated images still present, the same 50 images through a loop of openstack.cloud.image from
   the peer venv (_cloud.peer_venv()), against the catalogue playbook. Target: the peer at least 50x slower.
   --no-peer skips that loop (about 2 min).

Everything made here carries a benchmark tag or
name prefix and is deleted at the end, also on failure. Seeding uses a pool of 4 requests.

    .venv/bin/python benchmarks/catalogue_scale.py [--unrelated 5000] [--parts 1,2,3]   # make bench-catalogue
"""

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (REPO, cloud_facts, create_image, delete_images, list_images, peer_venv,  # noqa: E402
                    run_playbook, token_for)
from catalogue import ITEM_RESULT, PEER_PLAY, write_files  # noqa: E402

TAG = "imagecat-bench-scale"
PREFIX = "bench-scale-unrelated"
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
TARGET_UNRELATED = 1.3
TARGET_TARGETS = 1.5
TARGET_PEER = 50.0  # the openstack.cloud.image loop's playbook / the catalogue's, at least
SUMMARY = re.compile(r'"all (\d+) target\(s\): created (\d+), updated (\d+), pruned (\d+), unchanged (\d+), '
                     r'bytes sent (\d+), failed (\d+)"')

PLAY = """- hosts: targets
  gather_facts: false
  roles:
    - role: imagecat.glance.catalogue
      vars:
        imagecat_catalogue_files: [{catalogue}]
        imagecat_catalogue_managed_tag: {tag}
        imagecat_catalogue_parallel: 4
"""


def inventory(path, targets):
    hosts = {name: dict(values, ansible_connection="local", ansible_python_interpreter=sys.executable)
             for name, values in targets.items()}
    with open(path, "w") as handle:
        json.dump({"all": {"children": {"targets": {"hosts": hosts}}}}, handle)
    return path


def catalogue(directory, name, count, size):
    # properties and tags empty, as benchmarks/catalogue.py's peer loop (PEER_PLAY) reads them
    images = [{"name": "bench-scale-%s-%03d" % (name, index), "disk_format": "raw", "container_format": "bare",
               "properties": {}, "tags": [], "versions": [{"version": "1", "filename": path}]}
              for index, path in enumerate(write_files(directory, name, count, size))]
    path = os.path.join(directory, name + ".yml")
    with open(path, "w") as handle:
        json.dump({"images": images}, handle)
    return path


class Bench:
    def __init__(self, facts, work):
        self.facts = facts
        self.work = work
        self.env = {"OS_CLIENT_CONFIG_FILE": facts["clouds_yaml"], "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
                    "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORKS": "4"}

    def play(self, name, catalogue_path, targets, tag=TAG, limit=None):
        play = os.path.join(self.work, name + ".play.yml")
        with open(play, "w") as handle:
            handle.write(PLAY.format(catalogue=catalogue_path, tag=tag))
        hosts = inventory(os.path.join(self.work, name + ".inventory.json"), targets)
        extra = ["-i", hosts] + (["-l", limit] if limit else [])
        start = time.perf_counter()
        stdout = run_playbook(play, self.env, extra_args=extra)
        wall = time.perf_counter() - start
        found = SUMMARY.search(stdout)
        if not found:
            raise SystemExit("no summary line in the output of %s:\n%s" % (play, stdout[-3000:]))
        keys = ("targets", "created", "updated", "pruned", "unchanged", "bytes_sent", "failed")
        return wall, dict(zip(keys, (int(v) for v in found.groups())))

    def peer(self, catalogue_path, venv):
        play = os.path.join(self.work, "peer.play.yml")
        with open(play, "w") as handle:
            handle.write(PEER_PLAY.format(catalogue=catalogue_path, tag=TAG))
        start = time.perf_counter()
        stdout = run_playbook(play, dict(self.env, ANSIBLE_INVENTORY_UNPARSED_WARNING="false"), venv=venv)
        return time.perf_counter() - start, ITEM_RESULT.findall(stdout)

    def unchanged(self, name, catalogue_path, targets, runs, limit=None):
        walls = []
        for dummy in range(runs):
            wall, summary = self.play(name, catalogue_path, targets, limit=limit)
            if summary["created"] or summary["updated"] or summary["pruned"] or summary["failed"]:
                raise SystemExit("%s re-applied unchanged did: %s" % (name, summary))
            walls.append(wall)
        return statistics.median(walls), walls


def seed(glance, count):
    token = token_for("demo")

    def one(index):
        create_image(glance, token, {"id": str(uuid.uuid4()), "name": "%s-%05d" % (PREFIX, index),
                                     "disk_format": "raw", "container_format": "bare", "os_hidden": index % 5 == 0})
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(count)))


def clean(facts):
    for cloud in ("demo", "alt"):
        token = token_for(cloud)
        for region, glance in facts["regions"].items():
            ids = [i["id"] for hidden in ("false", "true")
                   for i in list_images(glance.rstrip("/"), token, "&os_hidden=%s" % hidden)
                   if TAG in (i.get("tags") or []) or (i.get("name") or "").startswith(PREFIX)
                   or (i.get("name") or "").startswith("bench-scale-")]
            left = delete_images(glance.rstrip("/"), token, ids)
            if left:
                print("could not delete %d images in %s/%s" % (len(left), cloud, region), file=sys.stderr)


def verdict(ok):
    return "OK" if ok else "MISSED"


ONE = {"demo-RegionOne": {"imagecat_catalogue_cloud": "demo", "imagecat_catalogue_region_name": "RegionOne"}}


def runs_of(walls):
    return "/".join("%.2f" % wall for wall in walls)


def part_unrelated(bench, facts, args, peer):
    glance = facts["regions"]["RegionOne"].rstrip("/")
    cat50 = catalogue(bench.work, "fifty", 50, 1024)
    bench.play("fifty", cat50, ONE)
    alone, alone_runs = bench.unchanged("fifty", cat50, ONE, args.runs)
    start = time.perf_counter()
    seed(glance, args.unrelated)
    seeded = time.perf_counter() - start
    crowded, crowded_runs = bench.unchanged("fifty", cat50, ONE, args.runs)
    if peer:
        peer_wall, peer_items = bench.peer(cat50, peer)
        # The peer must not have changed what the catalogue manages.
        bench.unchanged("fifty", cat50, ONE, 1)
    token = token_for("demo")
    present = sum(1 for hidden in ("false", "true") for i in list_images(glance, token, "&os_hidden=%s" % hidden)
                  if (i.get("name") or "").startswith(PREFIX))
    clean(facts)
    print()
    print("1. unchanged 50-image catalogue, playbook wall time")
    print("   no unrelated images          %6.2f s   runs %s" % (alone, runs_of(alone_runs)))
    print("   %5d unrelated images        %6.2f s   runs %s   (seeded in %.1f s, %d present)" % (
        args.unrelated, crowded, runs_of(crowded_runs), seeded, present))
    ratio = crowded / alone
    print("   ratio %.2fx (target: at most %.1fx)   %s" % (ratio, TARGET_UNRELATED, verdict(ratio <= TARGET_UNRELATED)))
    if peer:
        print("   openstack.cloud.image loop    %6.2f s   (50 tasks, peer venv, %d unrelated images present; items "
              "reported changed: %d)" % (peer_wall, args.unrelated, peer_items.count("changed")))
        speedup = peer_wall / crowded
        print("   peer / catalogue %.1fx (target: at least %.0fx)   %s"
              % (speedup, TARGET_PEER, verdict(speedup >= TARGET_PEER)))


def part_targets(bench, facts, args):
    four = dict(ONE, **{"%s-%s" % (cloud, region): {"imagecat_catalogue_cloud": cloud,
                                                    "imagecat_catalogue_region_name": region}
                        for cloud in ("demo", "alt") for region in ("RegionOne", "RegionTwo")})
    cat20 = catalogue(bench.work, "twenty", args.per_target, 1024)
    bench.play("twenty", cat20, four)
    single, single_runs = bench.unchanged("twenty", cat20, four, args.runs, limit="demo-RegionOne")
    together, together_runs = bench.unchanged("twenty", cat20, four, args.runs)
    clean(facts)
    print()
    print("2. unchanged %d images per target, the catalogue role" % args.per_target)
    print("   one target (demo-RegionOne)   %6.2f s   runs %s" % (single, runs_of(single_runs)))
    print("   four targets, 4 forks         %6.2f s   runs %s" % (together, runs_of(together_runs)))
    ratio = together / single
    print("   ratio %.2fx (target: at most %.1fx)   %s" % (ratio, TARGET_TARGETS, verdict(ratio <= TARGET_TARGETS)))


def part_distribution(bench, facts, args):
    catd = catalogue(bench.work, "dist", args.per_target, args.size)
    regions = {"demo-RegionTwo": {"imagecat_catalogue_cloud": "demo", "imagecat_catalogue_region_name": "RegionTwo"},
               "demo-RegionOne": {"imagecat_catalogue_cloud": "demo", "imagecat_catalogue_region_name": "RegionOne"}}
    upload_wall, upload = bench.play("upload", catd, regions)
    clean(facts)
    dist_targets = dict(regions)
    dist_targets["demo-RegionOne"] = dict(regions["demo-RegionOne"], imagecat_catalogue_data_from_region="RegionTwo")
    dist_wall, dist = bench.play("dist", catd, dist_targets)
    print()
    print("3. first apply of %d images of %d bytes to RegionOne + RegionTwo" % (args.per_target, args.size))
    print("   uploading to each region      bytes sent %10d   %6.2f s   %s" % (upload["bytes_sent"], upload_wall, upload))
    print("   distribution (R2 -> R1)       bytes sent %10d   %6.2f s   %s" % (dist["bytes_sent"], dist_wall, dist))
    print("   the controller sent %.2fx the bytes without distribution" % (upload["bytes_sent"] / max(1, dist["bytes_sent"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unrelated", type=int, default=5000, help="unrelated images of part 1")
    parser.add_argument("--runs", type=int, default=3, help="timed unchanged runs (median)")
    parser.add_argument("--per-target", type=int, default=20, help="images per target in parts 2 and 3")
    parser.add_argument("--size", type=int, default=262144, help="bytes of each image in part 3")
    parser.add_argument("--no-peer", action="store_true", help="skip the openstack.cloud loop of part 1")
    parser.add_argument("--parts", default="1,2,3", help="the parts to run, e.g. 2 (default 1,2,3)")
    args = parser.parse_args()
    parts = {int(part) for part in args.parts.split(",")}
    peer = None if args.no_peer or 1 not in parts else peer_venv()
    facts = cloud_facts()
    work = tempfile.mkdtemp(prefix="imagecat-bench-scale-")
    bench = Bench(facts, work)
    try:
        clean(facts)
        print("imagecat.glance catalogue at scale, against the local cloud (median of %d runs)" % args.runs)
        if 1 in parts:
            part_unrelated(bench, facts, args, peer)
        if 2 in parts:
            part_targets(bench, facts, args)
        if 3 in parts:
            part_distribution(bench, facts, args)
    finally:
        clean(facts)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
