"""Benchmark: an unchanged catalogue re-applied with imagecat.glance.catalogue vs a loop of openstack.cloud.image.

One run against the local cloud (make cloud-up), in two parts:

1. 50 images of 1 MiB (bench-cat-00..49, with properties and tags). Set-up (not timed): the catalogue
   module creates them. Timed, median of --runs each, alternated:
   - the catalogue playbook as users run it: one task, the catalogue re-applied unchanged (the minimal
     callback prints its result: it must report changed=false and send no write request);
   - the task alone: now() before and after it, by two more tasks in the same play (set_fact, debug),
     which also report its requests; that three-task playbook is printed too;
   - the same 50 images through a loop of openstack.cloud.image from the peer venv (openstack.cloud 2.5.0
     with openstacksdk 4.14.0, see _cloud.peer_venv()): one task too.
   Targets: the catalogue task under 2 s, and the peer loop at least 40x slower than the catalogue playbook.
2. 1,000 images of 1 KiB (bench-cat-1k-0000..0999). Set-up (not timed): the catalogue module creates them
   (parallel 4). Timed: the unchanged re-apply (task and playbook) and the requests it sent, by method, as the
   module reports them. Targets: the task under 10 s, and the GETs the catalogue's listings need (by tag, and
   by name in the collection's name=in: chunks), whatever else the project holds.

Every image made here carries one of two managed tags and is deleted at the end, also on failure
(left-overs of an interrupted run are deleted at the start). The files live in a temporary directory.

    .venv/bin/python benchmarks/catalogue.py      # make bench-catalogue; about 10 min, most of it the peer loop
"""

import argparse
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import REPO, cloud_facts, delete_images, list_images, peer_venv, run_playbook, token_for  # noqa: E402

TAG_50 = "imagecat-bench-catalogue"
TAG_1K = "imagecat-bench-catalogue-1k"
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
sys.path.insert(0, COLLECTIONS)
from ansible_collections.imagecat.glance.plugins.module_utils._images import name_filters  # noqa: E402
TARGET_TASK_50 = 2.0        # s, the catalogue task re-applying 50 unchanged images
TARGET_PEER_SPEEDUP = 40.0  # peer loop playbook / catalogue playbook, at least
TARGET_TASK_1K = 10.0       # s, the catalogue task re-applying 1,000 unchanged images
MIB = 1024 * 1024

PLAY_HEAD = """- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [{catalogue}]
  tasks:
"""
CATALOGUE_TASK = """    - name: The catalogue
      imagecat.glance.catalogue:
        cloud: demo
        images: "{{{{ images }}}}"
        managed_tag: {tag}
        parallel: 4
        hash_cache: {cache}
"""
# The catalogue playbook as users run it: one task.
ONE_TASK_PLAY = PLAY_HEAD + CATALOGUE_TASK
# The same task between two that time it and report its result.
CATALOGUE_PLAY = PLAY_HEAD + """    - name: Start
      ansible.builtin.set_fact:
        started: "{{{{ now().timestamp() }}}}"
""" + CATALOGUE_TASK + """      register: applied
    - name: Report
      ansible.builtin.debug:
        msg: "BENCH {{{{ {{'seconds': now().timestamp() - started | float, 'changed': applied.changed,
              'requests': applied.api_requests, 'images': applied.images | length}} | to_json }}}}"
"""

# The peer: the same images, one openstack.cloud.image task per image. $idx is a string for the peer:
# openstacksdk sends a number as a JSON number and Glance refuses non-string property values (400).
PEER_PLAY = PLAY_HEAD + """    - name: openstack.cloud.image over the images
      openstack.cloud.image:
        cloud: demo
        name: "{{{{ item.name }}}}"
        filename: "{{{{ item.versions[0].filename }}}}"
        disk_format: raw
        container_format: bare
        properties: "{{{{ item.properties }}}}"
        tags: "{{{{ item.tags + ['{tag}'] }}}}"
      loop: "{{{{ images }}}}"
      loop_control:
        label: "{{{{ item.name }}}}"
"""

BENCH_LINE = re.compile(r'"msg": "BENCH (\{.*\})"')
# The minimal callback prints each task's result as JSON: "localhost | SUCCESS => {...}".
MINIMAL_RESULT = re.compile(r"^localhost \| (CHANGED|SUCCESS) => (\{.*?^\})", re.M | re.S)
ITEM_RESULT = re.compile(r"^(ok|changed): \[localhost\] => \(item=", re.M)


# ---- the cloud, through its REST API --------------------------------------------------------

def tagged_ids(glance, token, tag, owner):
    return [image["id"] for hidden in ("false", "true")
            for image in list_images(glance, token, "&tag=%s&owner=%s&os_hidden=%s" % (tag, owner, hidden))]


def visible_count(glance, token, owner):
    """Images of the project, as the catalogue lists them (visible + hidden): what its pages hold."""
    return {hidden: len(list_images(glance, token, "&owner=%s&os_hidden=%s" % (owner, hidden)))
            for hidden in ("false", "true")}


def clean(glance, owner):
    token = token_for("demo")
    ids = tagged_ids(glance, token, TAG_50, owner) + tagged_ids(glance, token, TAG_1K, owner)
    left = delete_images(glance, token, ids)
    if left:
        print("could not delete %d benchmark images: %s" % (len(left), ", ".join(left)), file=sys.stderr)
    return len(ids)


# ---- catalogues and playbooks ---------------------------------------------------------------------

def write_files(directory, prefix, count, size):
    paths = []
    for index in range(count):
        path = os.path.join(directory, "%s-%04d.raw" % (prefix, index))
        with open(path, "wb") as out:
            out.write(os.urandom(size))
        paths.append(path)
    return paths


def write_catalogue(directory, name, prefix, paths, width):
    images = [{"name": "%s-%0*d" % (prefix, width, index), "disk_format": "raw", "container_format": "bare",
               "properties": {"idx": str(index), "os_distro": "cirros"}, "tags": ["bench", "idx-%d" % index],
               "versions": [{"version": "1", "filename": path}]}
              for index, path in enumerate(paths)]
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        json.dump({"images": images}, handle)
    return path


def catalogue_names_of(path):
    """The names a catalogue holds: each entry's, and each version's rotation name '<name> (<version>)'."""
    with open(path) as handle:
        images = json.load(handle)["images"]
    return [image["name"] for image in images] + ["%s (%s)" % (image["name"], version["version"])
                                                  for image in images for version in image["versions"]]


def write_play(directory, name, template, **values):
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        handle.write(template.format(**values))
    return path


class Runner:
    def __init__(self, facts):
        self.env = {"OS_CLIENT_CONFIG_FILE": facts["clouds_yaml"], "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
                    "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}

    def catalogue(self, playbook):
        start = time.perf_counter()
        stdout = run_playbook(playbook, self.env)
        wall = time.perf_counter() - start
        found = BENCH_LINE.search(stdout)
        if not found:
            raise SystemExit("no BENCH line in the output of %s:\n%s" % (playbook, stdout[-3000:]))
        report = json.loads(found.group(1).replace('\\"', '"'))
        report["playbook"] = wall
        return report

    def one_task(self, playbook):
        start = time.perf_counter()
        stdout = run_playbook(playbook, dict(self.env, ANSIBLE_STDOUT_CALLBACK="minimal"))
        wall = time.perf_counter() - start
        found = MINIMAL_RESULT.findall(stdout)
        if len(found) != 1:
            raise SystemExit("expected one task result from %s, got:\n%s" % (playbook, stdout[-3000:]))
        result = json.loads(found[0][1])
        return {"playbook": wall, "changed": result["changed"], "requests": result["api_requests"],
                "images": len(result["images"])}

    def peer(self, playbook, venv):
        start = time.perf_counter()
        stdout = run_playbook(playbook, self.env, venv=venv)
        wall = time.perf_counter() - start
        return wall, ITEM_RESULT.findall(stdout)


def writes(requests):
    return sum(requests.get(method, 0) for method in ("POST", "PATCH", "PUT", "DELETE"))


def unchanged(report, what):
    if report["changed"] or writes(report["requests"]):
        raise SystemExit("%s re-applied unchanged reported changed=%s with requests %s"
                         % (what, report["changed"], report["requests"]))
    return report


def verdict(ok):
    return "OK" if ok else "MISSED"


def joined(values, form="%.2f"):
    return "/".join(form % value for value in values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each unchanged re-apply (median)")
    parser.add_argument("--peer-runs", type=int, default=1, help="timed runs of the openstack.cloud loop")
    parser.add_argument("--big", type=int, default=1000, help="images of the large catalogue")
    args = parser.parse_args()

    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    owner = facts["project_ids"]["demo"]
    runner = Runner(facts)
    peer = peer_venv()
    work = tempfile.mkdtemp(prefix="imagecat-bench-catalogue-")
    try:
        removed = clean(glance, owner)
        if removed:
            print("removed %d images left by an earlier run" % removed)
        cache = os.path.join(work, "digests.json")

        # ---- part 1: 50 images vs the peer loop ------------------------------------------------------
        files = write_files(work, "img50", 50, MIB)
        catalogue50 = write_catalogue(work, "catalogue50.json", "bench-cat", files, 2)
        play50 = write_play(work, "catalogue50.yml", CATALOGUE_PLAY, catalogue=catalogue50, tag=TAG_50, cache=cache)
        one50 = write_play(work, "catalogue50-one.yml", ONE_TASK_PLAY, catalogue=catalogue50, tag=TAG_50,
                           cache=cache)
        peer50 = write_play(work, "peer50.yml", PEER_PLAY, catalogue=catalogue50, tag=TAG_50)
        start = time.perf_counter()
        made = runner.catalogue(play50)
        setup50 = time.perf_counter() - start
        if not made["changed"] or made["images"] != 50:
            raise SystemExit("set-up: the catalogue made %s images (changed=%s)" % (made["images"], made["changed"]))
        ours, ours_one = [], []
        for dummy in range(args.runs):
            ours_one.append(unchanged(runner.one_task(one50), "the 50-image catalogue (one-task playbook)"))
            ours.append(unchanged(runner.catalogue(play50), "the 50-image catalogue"))
        listed50 = visible_count(glance, token_for("demo"), owner)
        peer_runs = [runner.peer(peer50, peer) for dummy in range(args.peer_runs)]
        for wall, items in peer_runs:
            if len(items) != 50:
                raise SystemExit("openstack.cloud.image reported %d item results, not 50" % len(items))
        # The peer must not have changed what the catalogue manages.
        unchanged(runner.catalogue(play50), "the 50-image catalogue after the peer loop")

        # ---- part 2: 1,000 images of 1 KiB -----------------------------------------------------------------
        files = write_files(work, "img1k", args.big, 1024)
        catalogue1k = write_catalogue(work, "catalogue1k.json", "bench-cat-1k", files, 4)
        play1k = write_play(work, "catalogue1k.yml", CATALOGUE_PLAY, catalogue=catalogue1k, tag=TAG_1K, cache=cache)
        start = time.perf_counter()
        made = runner.catalogue(play1k)
        setup1k = time.perf_counter() - start
        if made["images"] != args.big:
            raise SystemExit("set-up: the catalogue made %s of %d images" % (made["images"], args.big))
        big = [unchanged(runner.catalogue(play1k), "the 1,000-image catalogue") for dummy in range(args.runs)]
        listed = visible_count(glance, token_for("demo"), owner)

        # ---- report --------------------------------------------------------------------------------------
        task50 = statistics.median(r["seconds"] for r in ours)
        play50_s = statistics.median(r["playbook"] for r in ours_one)
        timed50_s = statistics.median(r["playbook"] for r in ours)
        peer_s = statistics.median(wall for wall, items in peer_runs)
        peer_changed = [sum(1 for item in items if item == "changed") for wall, items in peer_runs]
        print()
        print("imagecat.glance.catalogue benchmark against the local cloud")
        print()
        print("1. 50 images of 1 MiB re-applied unchanged (median of %d runs; set-up by the catalogue: %.1f s)"
              % (args.runs, setup50))
        print("   imagecat.glance.catalogue, the task alone       %6.2f s   runs %s" % (
            task50, joined(r["seconds"] for r in ours)))
        print("   imagecat.glance.catalogue, one-task playbook    %6.2f s   runs %s   changed=false, requests %s" % (
            play50_s, joined(r["playbook"] for r in ours_one), ours_one[-1]["requests"]))
        print("   the same with the two timing tasks (3 tasks)    %6.2f s   runs %s" % (
            timed50_s, joined(r["playbook"] for r in ours)))
        print("   openstack.cloud.image loop (50 tasks, peer venv) %6.2f s   runs %s   items reported changed: %s" % (
            peer_s, joined(wall for wall, items in peer_runs), joined(peer_changed, "%d")))
        print("   catalogue task under %.0f s: %.2f s   %s   (the project holds %d visible + %d hidden images)"
              % (TARGET_TASK_50, task50, verdict(task50 < TARGET_TASK_50), listed50["false"], listed50["true"]))
        print("   peer loop / catalogue playbook = %.1fx  (target: at least %.0fx)   %s   (/ the 3 tasks: %.1fx)"
              % (peer_s / play50_s, TARGET_PEER_SPEEDUP, verdict(peer_s / play50_s >= TARGET_PEER_SPEEDUP),
                 peer_s / timed50_s))
        task1k = statistics.median(r["seconds"] for r in big)
        play1k_s = statistics.median(r["playbook"] for r in big)
        requests = big[-1]["requests"]
        pages = sum(math.floor(count / 1000) + 1 for count in listed.values())
        # What the catalogue lists (issue 12): its managed images by tag (visible: pages of 1,000; hidden: one
        # page here), and its names (each entry's and each version's rotation name) in the collection's
        # name=in: chunks, visible and hidden. Never the other images of the project.
        chunks = len(name_filters(catalogue_names_of(catalogue1k)))
        expected = (math.floor(args.big / 1000) + 1) + 1 + 2 * chunks
        print()
        print("2. %d images of 1 KiB re-applied unchanged (median of %d runs; set-up by the catalogue: %.1f s)"
              % (args.big, args.runs, setup1k))
        print("   imagecat.glance.catalogue, the task alone       %6.2f s   runs %s" % (
            task1k, joined(r["seconds"] for r in big)))
        print("   imagecat.glance.catalogue, its playbook (3 tasks) %5.2f s   runs %s" % (
            play1k_s, joined(r["playbook"] for r in big)))
        print("   requests to Glance: %s (writes: %d)" % (requests, writes(requests)))
        print("   the project holds %d visible + %d hidden images (listing them all would take %d pages of 1,000)"
              % (listed["false"], listed["true"], pages))
        print("   task under %.0f s: %.2f s   %s" % (TARGET_TASK_1K, task1k, verdict(task1k < TARGET_TASK_1K)))
        print("   requests follow the catalogue: %d GET, expected %d (tag pages + 2 x %d name=in: chunks), no "
              "write   %s" % (requests.get("GET", 0), expected, chunks,
                              verdict(requests.get("GET", 0) == expected and not writes(requests))))
    finally:
        clean(glance, owner)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
