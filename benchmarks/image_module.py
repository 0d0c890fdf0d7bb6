"""Benchmark: the image module (imagecat.glance.image) vs openstack.cloud.image, Ansible's floor and curl.

One run against the local cloud (make cloud-up), in three parts:

1. 50 images of 1 MiB re-applied unchanged in a loop. Set-up (not timed): one imagecat.glance.image
   loop creates bench-img-00..49 from 50 distinct random files, with properties and tags. Timed,
   median of --runs: the same imagecat task (it must report changed=false for all 50), the same with
   openstack.cloud.image from the peer venv (_cloud.peer_venv()), and a loop of 50 ansible.builtin.ping.
   Targets: imagecat within 1.3x of the ping loop, and at least 3x faster than openstack.cloud.
2. A 1 GiB upload: curl -T into a queued image vs imagecat.glance.image creating an image from the
   same file, and the peak RSS. The task's time is the one-task playbook's minus the one-task ping
   playbook's (Ansible's own start-up, as in part 3); the whole playbook's ratio is printed too.
   Targets: within 1.15x of curl, peak RSS under 100 MiB.
3. The unchanged 1 GiB re-run with a warm digest cache: changed=false, and under 0.6 s over the
   ping floor of a one-task playbook.

Parts 2 and 3 run the task both ways it can run: as users get it by default (connection local: the
collection's action plugin runs the module inside the Ansible worker, see plugins/plugin_utils/
_in_controller.py), and shipped as a module process (ansible_python_interpreter set to a GNU time
wrapper, which also makes Ansible ship it). The timing targets are checked on the default way; the
module's own peak RSS is that of the shipped module process (in the controller, the module shares
the worker process with Ansible, whose own size is shown next to it).

Every image made here carries the tag imagecat-bench-image and is deleted at the end, also on failure
(left-overs of an interrupted run are deleted at the start); the generated files live in one
temporary directory under /tmp that is removed at the end. The module keeps its default hash_cache.

    .venv/bin/python benchmarks/image_module.py   # about 30 min on 2 cores, most of it openstack.cloud,
                                                 # whose time grows with the images the project sees
"""

import argparse
import os
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (  # noqa: E402
    MIB, REPO, cloud_facts, curl_upload, delete_images, list_images, make_file, peer_venv, run_playbook, token_for,
)

TAG = "imagecat-bench-image"
BIG_SIZE = 1024 * MIB
PROJECT_VENV = os.path.join(REPO, ".venv")
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
GNU_TIME = "/usr/bin/time"

TARGET_PING_RATIO = 1.3       # imagecat loop / ping loop, at most
TARGET_PEER_SPEEDUP = 3.0     # openstack.cloud loop / imagecat loop, at least
TARGET_CURL_RATIO = 1.15      # module upload / curl upload, at most
TARGET_RSS_MIB = 100.0        # module process peak RSS, below
TARGET_RERUN_OVER_FLOOR = 0.6  # unchanged 1 GiB re-run minus the one-task ping floor, below (s)

PLAY = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
"""

# Part 1: one task looping over the 50 images. $idx is the only difference between the two modules:
# ansible-core 2.19 keeps native types, so "{{ item }}" is an int; imagecat stores it as the string
# Glance keeps, but openstacksdk sends it as a JSON number and Glance answers 400 ("3 is not of type
# 'string'") on every item, so the peer gets the string form to run at all.
IMAGE_LOOP = string.Template("""\
    - name: $module over the images
      $module:
        cloud: demo
        name: "bench-img-{{ '%02d' % item }}"
        filename: "{{ bench_dir }}/img-{{ '%02d' % item }}.raw"
        disk_format: raw
        container_format: bare
        properties:
          idx: $idx
          os_distro: cirros
        tags: [$tag, "idx-{{ item }}"]
      loop: "{{ range(count | int) | list }}"
""")

PING_LOOP = """\
    - name: ansible.builtin.ping, the Ansible floor
      ansible.builtin.ping:
      loop: "{{ range(count | int) | list }}"
"""

PING_ONCE = """\
    - name: ansible.builtin.ping, the floor of a one-task playbook
      ansible.builtin.ping:
"""

# Parts 2 and 3: one image from one file.
UPLOAD = string.Template("""\
    - name: imagecat.glance.image, one file
      imagecat.glance.image:
        cloud: demo
        name: "{{ image_name }}"
        filename: "{{ image_file }}"
        disk_format: raw
        container_format: bare
        tags: [$tag]
""")

# Peak RSS (and wall and CPU time) of the module process. Ansible runs a module as
# `<interpreter> .../AnsiballZ_image.py`, so the runs of parts 2 and 3 set ansible_python_interpreter
# to this wrapper, which execs GNU time around the project venv's python. %M is the kernel's own
# high-water mark (ru_maxrss from wait4) of exactly that process (and anything it waits for), taken in
# the timed run itself: no polling of /proc that can miss the last moments, and no second execution of
# a kept AnsiballZ file, which would find the image already there and skip the very upload it is
# meant to measure. The cost is one exec of GNU time (about 1 ms).
MODULE_WRAPPER = string.Template("""\
#!/bin/sh
exec $time -a -o $log -f '%e %U %S %M' $python "$$@"
""")
TIME_RECORD = re.compile(r"^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$", re.M)

ITEM_RESULT = re.compile(r"^(ok|changed): \[localhost\] => \(item=\d+\)", re.M)
TASK_RESULT = re.compile(r"^(ok|changed): \[localhost\]$", re.M)
REQUEST_LINE = re.compile(r"\] ([A-Z]+) (\S+) => generated")


# ---- the cloud, through its REST API --------------------------------------------------------

def tagged_ids(glance, token, owner):
    return [image["id"] for image in list_images(glance, token, "&tag=%s&owner=%s" % (TAG, owner))]


class LogWindow:
    """The requests a uwsgi log (one line per request) gained since this object was made."""

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path)

    def requests(self):
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            text = handle.read().decode("utf-8", "replace")
        return REQUEST_LINE.findall(text)


# ---- playbooks ---------------------------------------------------------------------------------

def write_playbook(directory, name, tasks):
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        handle.write(PLAY + tasks)
    return path


def item_outcomes(stdout):
    """Counter of 'ok' / 'changed' per loop item, from the default callback's lines."""
    return Counter(ITEM_RESULT.findall(stdout))


def task_outcome(stdout):
    found = TASK_RESULT.findall(stdout)
    return found[0] if len(found) == 1 else "unclear: %r" % found


class Runner:
    """Runs and times playbooks; keeps every wall time (s) and the requests each run sent."""

    def __init__(self, facts, peer):
        self.peer = peer
        self.env = {
            "OS_CLIENT_CONFIG_FILE": facts["clouds_yaml"],
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            # The per-item lines are read from the default callback's output.
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_DISPLAY_OK_HOSTS": "true",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
        }
        self.glance_log = facts["logs"]["glance"]
        self.keystone_log = facts["logs"]["keystone"]
        self.times = {}
        self.requests = {}

    def run(self, key, playbook, extra_vars=None, venv=None, prefix=()):
        extra = []
        for name, value in (extra_vars or {}).items():
            extra += ["-e", "%s=%s" % (name, value)]
        glance, keystone = LogWindow(self.glance_log), LogWindow(self.keystone_log)
        start = time.perf_counter()
        stdout = run_playbook(playbook, self.env, venv=venv or PROJECT_VENV, extra_args=extra, prefix=prefix)
        self.times.setdefault(key, []).append(time.perf_counter() - start)
        counts = self.requests.setdefault(key, {"glance": [], "tokens": [], "checks": []})
        counts["glance"].append(len(glance.requests()))
        keystone_requests = keystone.requests()
        counts["tokens"].append(keystone_requests.count(("POST", "/v3/auth/tokens")))
        counts["checks"].append(keystone_requests.count(("GET", "/v3/auth/tokens")))
        return stdout

    def median(self, key):
        return statistics.median(self.times[key])

    def median_requests(self, key, kind):
        return statistics.median(self.requests[key][kind])


class TimeLog:
    """Records GNU time appended to a log file, one per measured process."""

    def __init__(self, path):
        self.log = path
        self.seen = 0

    def take(self):
        """The one process recorded since the last call: wall s, CPU s, peak RSS MiB."""
        with open(self.log) as handle:
            records = TIME_RECORD.findall(handle.read())
        new, self.seen = records[self.seen:], len(records)
        if len(new) != 1:
            raise SystemExit("expected one process recorded by %s in %s, got %r" % (GNU_TIME, self.log, new))
        wall, user, system, rss_kib = new[0]
        return {"wall": float(wall), "cpu": float(user) + float(system), "rss": int(rss_kib) / 1024.0}


class ModuleMeter(TimeLog):
    """What GNU time recorded for each module process run through MODULE_WRAPPER (a shipped module)."""

    def __init__(self, directory):
        super().__init__(os.path.join(directory, "module-process.log"))
        self.wrapper = os.path.join(directory, "python-under-gnu-time")
        with open(self.wrapper, "w") as handle:
            handle.write(MODULE_WRAPPER.substitute(time=GNU_TIME, log=self.log,
                                                   python=os.path.join(PROJECT_VENV, "bin", "python3")))
        os.chmod(self.wrapper, 0o755)

    def extra_vars(self):
        return {"ansible_python_interpreter": self.wrapper}


class PlaybookMeter(TimeLog):
    """GNU time around ansible-playbook: the peak RSS is that of its largest process (main or worker)."""

    def __init__(self, directory):
        super().__init__(os.path.join(directory, "playbook-process.log"))

    def prefix(self):
        return [GNU_TIME, "-a", "-o", self.log, "-f", "%e %U %S %M"]


# ---- parts -------------------------------------------------------------------------------------

def set_up_small_images(runner, books, bench_vars):
    count = bench_vars["count"]
    start = time.perf_counter()
    stdout = runner.run("setup", books["imagecat"], bench_vars)
    outcome = item_outcomes(stdout)
    if outcome["changed"] != count:
        raise SystemExit("set-up: expected %d images created, got %s:\n%s" % (count, dict(outcome), stdout[-3000:]))
    return time.perf_counter() - start


def part_loops(runner, books, bench_vars, runs, peer=True):
    """Rounds of (imagecat, peer, ping loop, one-task ping), so slow drift hits all alike."""
    count = bench_vars["count"]
    changed = {"imagecat": [], "peer": []}
    for dummy in range(runs):
        outcome = item_outcomes(runner.run("imagecat", books["imagecat"], bench_vars))
        if outcome != Counter(ok=count):
            raise SystemExit("imagecat.glance.image re-applied unchanged reported %s, not %d x ok (changed=false)"
                             % (dict(outcome), count))
        changed["imagecat"].append(outcome["changed"])
        if peer:
            outcome = item_outcomes(runner.run("peer", books["peer"], bench_vars, venv=runner.peer))
            if sum(outcome.values()) != count:
                raise SystemExit("openstack.cloud.image: %s results for %d items" % (dict(outcome), count))
            changed["peer"].append(outcome["changed"])
        if sum(item_outcomes(runner.run("ping", books["ping"], bench_vars)).values()) != count:
            raise SystemExit("the ping loop did not report %d items" % count)
        runner.run("ping1", books["ping1"])
    return changed


def find_own(glance, name, owner):
    found = list_images(glance, token_for("demo"), "&name=eq:%s&owner=%s" % (name, owner))
    if len(found) != 1:
        raise SystemExit("expected one image named %s, found %d" % (name, len(found)))
    return found[0]


def module_upload(runner, key, glance, owner, books, big_file, name, extra_vars, prefix=()):
    stdout = runner.run(key, books["upload"], dict(extra_vars, image_name=name, image_file=big_file), prefix=prefix)
    image = find_own(glance, name, owner)
    if task_outcome(stdout) != "changed" or image["status"] != "active" or image["size"] != BIG_SIZE:
        raise SystemExit("module upload (%s): %s, image %s %s with %s bytes"
                         % (key, task_outcome(stdout), image["id"], image["status"], image["size"]))
    return image


def part_upload(runner, glance, owner, books, big_file, meters, runs, made):
    """Rounds of (curl, module in the controller, shipped module); returns curl times, the measured
    processes {"playbook": [...], "module": [...]} and the image kept for part 3."""
    curl_times, processes, kept = [], {"playbook": [], "module": []}, None
    for number in range(1, runs + 1):
        seconds, image_id = curl_upload(glance, big_file, "bench-1g-curl-%d" % number, made, TAG)
        curl_times.append(seconds)
        delete_images(glance, token_for("demo"), [image_id])

        shipped = module_upload(runner, "upload-shipped", glance, owner, books, big_file,
                                "bench-1g-shipped-%d" % number, meters["module"].extra_vars())
        processes["module"].append(meters["module"].take())
        made.append(shipped["id"])
        delete_images(glance, token_for("demo"), [shipped["id"]])

        image = module_upload(runner, "upload", glance, owner, books, big_file, "bench-1g-module-%d" % number, {},
                              prefix=meters["playbook"].prefix())
        processes["playbook"].append(meters["playbook"].take())
        made.append(image["id"])
        if kept:
            delete_images(glance, token_for("demo"), [kept["id"]])
        kept = image
    return curl_times, processes, kept


def part_rerun(runner, books, kept, big_file, meters, runs):
    """Rounds of (re-run in the controller, shipped re-run, one-task ping); returns the shipped module
    processes of the re-runs and the ansible-playbook processes of the one-task pings."""
    processes, pings = [], []
    for dummy in range(runs):
        for key, extra_vars in (("rerun", {}), ("rerun-shipped", meters["module"].extra_vars())):
            stdout = runner.run(key, books["upload"], dict(extra_vars, image_name=kept["name"], image_file=big_file))
            if task_outcome(stdout) != "ok":
                raise SystemExit("the unchanged 1 GiB re-run (%s) reported %s, not ok (changed=false):\n%s"
                                 % (key, task_outcome(stdout), stdout[-3000:]))
        processes.append(meters["module"].take())
        runner.run("ping1", books["ping1"], prefix=meters["playbook"].prefix())
        pings.append(meters["playbook"].take())
    return processes, pings


# ---- report ------------------------------------------------------------------------------------

def verdict(ok):
    return "OK" if ok else "MISSED"


def joined(values, form="%.2f"):
    return "/".join(form % value for value in values)


def timing(label, seconds, note):
    print("   %-61s %6.2f s   %s" % (label, seconds, note))


def report(runner, args, visible, setup_s, changed, curl_times, uploads, reruns, pings):
    count = args.images
    with_peer = bool(runner.times.get("peer"))
    imagecat, ping, ping1 = (runner.median(k) for k in ("imagecat", "ping", "ping1"))
    print()
    print("imagecat.glance.image benchmark against the local cloud (%d other images visible to demo)" % visible)
    print()
    print("1. %d images of 1 MiB re-applied unchanged in a loop (one task looping over %d items; median of %d runs)"
          % (count, count, args.runs))
    print("   set-up, not timed: one imagecat.glance.image loop created and uploaded the %d images in %.1f s"
          % (count, setup_s))
    print("   %-37s %9s %9s  %-11s %s" % ("", "", "", "changed", "per item: glance requests,"))
    print("   %-37s %9s %9s  %-11s %s" % ("task", "median", "per item", "per run", "new tokens, token checks"))
    rows = (("imagecat.glance.image", "imagecat", joined(changed["imagecat"], "%d")),
            ("openstack.cloud.image (peer venv)", "peer", joined(changed["peer"], "%d")),
            ("ansible.builtin.ping (Ansible floor)", "ping", "-"))
    rows = [row for row in rows if with_peer or row[1] != "peer"]
    for label, key, changed_runs in rows:
        print("   %-37s %7.2f s %7.3f s  %-11s %5.1f, %4.1f, %4.1f" % (
            label, runner.median(key), runner.median(key) / count, changed_runs,
            runner.median_requests(key, "glance") / count, runner.median_requests(key, "tokens") / count,
            runner.median_requests(key, "checks") / count))
    print("   runs (s): imagecat %s | openstack.cloud %s | ping %s"
          % (joined(runner.times["imagecat"]), joined(runner.times.get("peer", [])) or "skipped (--no-peer)",
             joined(runner.times["ping"])))
    print("   imagecat over the ping floor: %+.3f s per item" % ((imagecat - ping) / count))
    print("   imagecat / ping loop       = %5.2fx  (target: at most %.1fx)    %s"
          % (imagecat / ping, TARGET_PING_RATIO, verdict(imagecat / ping <= TARGET_PING_RATIO)))
    if with_peer:
        peer = runner.median("peer")
        print("   openstack.cloud / imagecat = %5.2fx  (target: at least %.1fx)   %s"
              % (peer / imagecat, TARGET_PEER_SPEEDUP, verdict(peer / imagecat >= TARGET_PEER_SPEEDUP)))
    print("   (requests: lines the Glance and Keystone logs gained during each run, other clients included;")
    print("    new tokens = POST /v3/auth/tokens, token checks = Glance validating a token, GET /v3/auth/tokens)")

    curl, upload, shipped = statistics.median(curl_times), runner.median("upload"), runner.median("upload-shipped")
    modules, playbooks = uploads["module"], uploads["playbook"]
    module_alone = statistics.median(p["wall"] for p in modules)
    peak = max(p["rss"] for p in modules)
    print()
    print("2. A 1 GiB upload (median of %d runs)" % args.upload_runs)
    timing("curl -T: PUT /v2/images/{id}/file into a queued image", curl, "runs " + joined(curl_times))
    timing("imagecat.glance.image creating the image, one-task playbook", upload,
           "runs " + joined(runner.times["upload"]) + " (in the controller: the default)")
    timing("  the same, module shipped as its own process", shipped, "runs " + joined(runner.times["upload-shipped"]))
    timing("ping floor, one-task playbook", ping1, "(Ansible's own share of the lines above)")
    timing("  the shipped module process alone (GNU time)", module_alone, "runs %s, CPU %s s" % (
        joined(p["wall"] for p in modules), joined(p["cpu"] for p in modules)))
    task = upload - ping1
    print("   task (one-task playbook minus the ping floor) / curl = %.2fx  (target: at most %.2fx)   %s"
          % (task / curl, TARGET_CURL_RATIO, verdict(task / curl <= TARGET_CURL_RATIO)))
    print("   [whole playbook / curl = %.2fx; shipped module: playbook / curl = %.2fx, its process alone / curl = %.2fx]"
          % (upload / curl, shipped / curl, module_alone / curl))
    print("   shipped module process peak RSS = %.1f MiB (runs %s)  (target: under %d MiB)   %s"
          % (peak, joined((p["rss"] for p in modules), "%.1f"), TARGET_RSS_MIB, verdict(peak < TARGET_RSS_MIB)))
    print("   in the controller: largest ansible-playbook process %s MiB, vs %s MiB for the one-task ping playbook"
          % (joined((p["rss"] for p in playbooks), "%.1f"), joined((p["rss"] for p in pings), "%.1f")))

    rerun = runner.median("rerun")
    print()
    print("3. The unchanged 1 GiB re-run with a warm digest cache (median of %d runs; changed=false every time)"
          % args.runs)
    timing("imagecat.glance.image, same task and file, one-task playbook", rerun,
           "runs " + joined(runner.times["rerun"]) + " (in the controller: the default)")
    timing("  the same, module shipped as its own process", runner.median("rerun-shipped"),
           "runs " + joined(runner.times["rerun-shipped"]))
    timing("ping floor, one-task playbook", ping1, "runs " + joined(runner.times["ping1"]))
    timing("  the shipped module process alone (GNU time)", statistics.median(p["wall"] for p in reruns),
           "runs %s, CPU %s s, peak RSS %s MiB" % (joined(p["wall"] for p in reruns), joined(p["cpu"] for p in reruns),
                                                   joined((p["rss"] for p in reruns), "%.1f")))
    print("   over the floor = %.2f s  (target: under %.1f s)   %s" % (
        rerun - ping1, TARGET_RERUN_OVER_FLOOR, verdict(rerun - ping1 < TARGET_RERUN_OVER_FLOOR)))
    print("   requests per re-run: glance %s, new tokens %s, token checks %s" % (
        joined(runner.requests["rerun"]["glance"], "%d"), joined(runner.requests["rerun"]["tokens"], "%d"),
        joined(runner.requests["rerun"]["checks"], "%d")))


# ---- main --------------------------------------------------------------------------------------

def preflight(glance):
    try:
        with urllib.request.urlopen(glance + "/healthcheck", timeout=10) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise SystemExit("the local cloud does not answer at %s (%s): make cloud-up" % (glance, exc))
    for tool in ("curl", GNU_TIME):
        if not shutil.which(tool):
            raise SystemExit("%s is needed (GNU time is the Debian package 'time': apt-get install -y time)" % tool)
    if not os.path.exists(os.path.join(PROJECT_VENV, "bin", "ansible-playbook")):
        raise SystemExit("no .venv: make venv")
    if not os.path.exists(os.path.join(COLLECTIONS, "ansible_collections", "imagecat", "glance")):
        subprocess.run(["make", "-s", "-C", REPO, "collection-link"], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each timed playbook in parts 1 and 3")
    parser.add_argument("--upload-runs", type=int, default=2, help="runs of each 1 GiB upload in part 2")
    parser.add_argument("--images", type=int, default=50, help="images in the loops of part 1")
    parser.add_argument("--no-peer", action="store_true", help="skip the openstack.cloud loops of part 1")
    args = parser.parse_args()
    began, load_start = time.perf_counter(), os.getloadavg()[0]

    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    owner = facts["project_ids"]["demo"]
    preflight(glance)
    runner = Runner(facts, None if args.no_peer else peer_venv())

    token = token_for("demo")
    leftovers = tagged_ids(glance, token, owner)
    if leftovers:
        failed = delete_images(glance, token, leftovers)
        print("deleted %d image(s) left over by an earlier run%s" % (
            len(leftovers) - len(failed), "; could not delete %s" % ", ".join(failed) if failed else ""))
    visible = len(list_images(glance, token, ""))

    made = []
    tmp = tempfile.mkdtemp(prefix="imagecat-bench-image-", dir="/tmp")
    try:
        books = {
            "imagecat": write_playbook(tmp, "imagecat.yml", IMAGE_LOOP.substitute(
                module="imagecat.glance.image", idx='"{{ item }}"', tag=TAG)),
            "peer": write_playbook(tmp, "peer.yml", IMAGE_LOOP.substitute(
                module="openstack.cloud.image", idx='"{{ item | string }}"', tag=TAG)),
            "ping": write_playbook(tmp, "ping.yml", PING_LOOP),
            "ping1": write_playbook(tmp, "ping1.yml", PING_ONCE),
            "upload": write_playbook(tmp, "upload.yml", UPLOAD.substitute(tag=TAG)),
        }
        meters = {"module": ModuleMeter(tmp), "playbook": PlaybookMeter(tmp)}

        small_dir = os.path.join(tmp, "small")
        os.mkdir(small_dir)
        for index in range(args.images):
            make_file(os.path.join(small_dir, "img-%02d.raw" % index), MIB)
        bench_vars = {"bench_dir": small_dir, "count": args.images}

        print("part 1: set-up, then %d rounds of imagecat / openstack.cloud / ping loops ..." % args.runs, flush=True)
        setup_s = set_up_small_images(runner, books, bench_vars)
        changed = part_loops(runner, books, bench_vars, args.runs, peer=not args.no_peer)

        print("part 2: a 1 GiB file, then %d rounds of curl / module uploads ..." % args.upload_runs, flush=True)
        big_file = os.path.join(tmp, "big-1GiB.raw")
        make_file(big_file, BIG_SIZE)
        curl_times, uploads, kept = part_upload(runner, glance, owner, books, big_file, meters, args.upload_runs, made)

        print("part 3: %d unchanged re-runs of the last upload task ..." % args.runs, flush=True)
        reruns, pings = part_rerun(runner, books, kept, big_file, meters, args.runs)

        report(runner, args, visible, setup_s, changed, curl_times, uploads, reruns, pings)
    finally:
        token = token_for("demo")
        failed = delete_images(glance, token, set(made) | set(tagged_ids(glance, token, owner)))
        left = sorted(set(failed) | set(tagged_ids(glance, token, owner)))
        shutil.rmtree(tmp, ignore_errors=True)
        print()
        print("cleanup: %s; removed %s" % (
            "could NOT delete %s" % ", ".join(left) if left else "no benchmark image left", tmp))
    print("total runtime: %.1f min; load average (1 min) %.2f at the start, %.2f at the end, on %d CPUs"
          % ((time.perf_counter() - began) / 60, load_start, os.getloadavg()[0], os.cpu_count()))


if __name__ == "__main__":
    main()
