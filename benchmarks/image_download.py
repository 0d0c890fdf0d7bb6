"""Benchmark: imagecat.glance.image_download vs curl -o and vs glance image-download (python-glanceclient).

One run against the local cloud (make cloud-up). Set-up, not timed: a file of random bytes (1 GiB by
default, --size-mib) in a temporary directory under /tmp, uploaded with curl into a fresh image of
project demo; one token of demo is taken. Then, in each of --runs rounds, every download into a file
that does not exist yet, all with that same token and the same URL (GET /v2/images/{id}/file):

1. curl -o: the baseline (no verification at all).
2. The module, timed two ways, with endpoint + token (the same token, no Keystone round trip):
   - its run: ImageDownloadModule.run_in_controller() called in this process, exactly what the
     collection's action plugin calls for a local task (argument checks, connection, image look-up,
     download, verification, rename), without Ansible's own start-up. The 1.05x target is on this;
   - a one-task playbook running imagecat.glance.image_download as users run it (in the controller),
     printed with a one-task ansible.builtin.ping playbook of the same round (Ansible's floor, which
     on a loaded machine varies by more than a second between runs).
3. The peer: glance image-download --file (python-glanceclient, pinned in
   benchmarks/peer-glanceclient-requirements.txt, in its own venv .cache/peer-glanceclient-venv), with
   --os-image-url and --os-auth-token (same URL and token). It checks the digest as the module does.
4. A resume: the first half of the data as the partial file (.<name>.part) the module resumes, then the
   module's run as in 2: against its full-download run. The digest covers the whole file, so a resume
   hashes the part on disk too (in a helper thread, while the rest arrives). Two floors are timed in
   each round and printed next to it: the sha512 of the whole file alone, and the least any verified
   resume must do on this machine, where the Image service shares the cores: curl -r of the second
   half into /dev/null (no write, no digest) while this process hashes the whole file.

Then once: the module shipped as a module process (ansible_python_interpreter set to a GNU time
wrapper, see image_module.py), for its peak RSS; and cmp of the module's file with the source.
Targets: module run / curl at most 1.05x, resume / full download at most 0.6x, peak RSS under 100 MiB.
Ratios only, against baselines of the same run; nothing is asserted in tests.

The image carries the tag imagecat-bench-download and is deleted at the end, also on failure;
the temporary directory is removed.

    .venv/bin/python benchmarks/image_download.py   # make bench-download; about 3 min for 1 GiB on 2 cores
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (  # noqa: E402
    MIB, REPO, cloud_facts, curl_upload, delete_images, list_images, make_file, peer_venv, run_playbook, token_for,
)
from image_module import COLLECTIONS, ModuleMeter  # noqa: E402

sys.path.insert(0, COLLECTIONS)
from ansible_collections.imagecat.glance.plugins.modules.image_download import ImageDownloadModule  # noqa: E402

TAG = "imagecat-bench-download"
PEER_REQUIREMENTS = "peer-glanceclient-requirements.txt"
PEER_VENV = os.path.join(REPO, ".cache", "peer-glanceclient-venv")
TARGET_CURL_RATIO = 1.05
TARGET_RESUME_RATIO = 0.6
TARGET_RSS_MIB = 100.0

DOWNLOAD = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: imagecat.glance.image_download
      imagecat.glance.image_download:
        endpoint: "{{ glance_endpoint }}"
        token: "{{ glance_token }}"
        image: "{{ image_id }}"
        dest: "{{ dest }}"
        hash_cache: false
"""
PING = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: ansible.builtin.ping, the floor of a one-task playbook
      ansible.builtin.ping:
"""
# The minimal callback prints each task's result as JSON: "localhost | CHANGED => {...}".
RESULT = re.compile(r"^localhost \| (CHANGED|SUCCESS) => (\{.*?^\})", re.M | re.S)


def timed(func):
    # Every timed download starts with no dirty page to write back: the earlier one's writeback
    # would otherwise throttle the writes of whichever download comes next.
    os.sync()
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def download_result(stdout):
    found = RESULT.findall(stdout)
    if len(found) != 1:
        raise SystemExit("expected one task result, got:\n%s" % stdout[-2000:])
    return json.loads(found[0][1])


def remove(*paths):
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


class Bench:
    def __init__(self, directory, glance, token, image_id, size):
        self.directory, self.glance, self.token, self.image_id, self.size = directory, glance, token, image_id, size
        self.dest = os.path.join(directory, "out.raw")
        self.part = os.path.join(directory, ".out.raw.part")
        self.url = "%s/v2/images/%s/file" % (glance, image_id)
        self.vars_file = os.path.join(directory, "vars.json")
        fd = os.open(self.vars_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"glance_endpoint": glance, "glance_token": token, "image_id": image_id, "dest": self.dest},
                      handle)
        self.books = {}
        for name, text in (("download", DOWNLOAD), ("ping", PING)):
            self.books[name] = os.path.join(directory, name + ".yml")
            with open(self.books[name], "w") as handle:
                handle.write(text)
        self.env = {"ANSIBLE_STDOUT_CALLBACK": "minimal", "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}
        self.times = {key: [] for key in ("curl", "module", "playbook", "peer", "ping", "resume", "hash", "floor")}
        self.cpu = {"module": [], "resume": []}

    def playbook(self, name, extra=None):
        args = ["-e", "@" + self.vars_file] + (["-e", json.dumps(extra)] if extra else [])
        return run_playbook(self.books[name], env=self.env, extra_args=args)

    def curl(self):
        remove(self.dest, self.part)
        subprocess.run(["curl", "-sS", "-f", "-o", self.dest, "-H", "X-Auth-Token: " + self.token, self.url],
                       check=True, capture_output=True)
        return os.path.getsize(self.dest)

    def check(self, result, expect_transferred):
        if result.get("failed") or not result.get("changed") or result["download"]["transferred"] != expect_transferred:
            raise SystemExit("image_download: unexpected result %r" % (result.get("msg") or result.get("download")))
        return result

    def module(self, expect_transferred, key):
        """The module's run as the action plugin makes it for a local task; records its CPU time."""
        args = dict(endpoint=self.glance, token=self.token, image=self.image_id, dest=self.dest, hash_cache=False)
        cpu = time.process_time()
        result = ImageDownloadModule.run_in_controller("image_download", args)
        self.cpu[key].append(time.process_time() - cpu)
        return self.check(result, expect_transferred)

    def hash_alone(self, source):
        """sha512 of the whole file, read from the page cache: what any verified download must spend."""
        hasher = hashlib.sha512()
        with open(source, "rb") as handle:
            for chunk in iter(lambda: handle.read(MIB), b""):
                hasher.update(chunk)
        return hasher.hexdigest()

    def resume_floor(self, source):
        """The second half into /dev/null (curl -r) while the whole file is hashed here: the work no
        verified resume can skip, sharing the cores with the Image service as the module's does."""
        half = subprocess.Popen(["curl", "-sS", "-f", "-o", os.devnull, "-r", "%d-" % (self.size // 2),
                                 "-H", "X-Auth-Token: " + self.token, self.url])
        self.hash_alone(source)
        if half.wait():
            raise SystemExit("curl -r of the second half failed")

    def module_playbook(self, expect_transferred, extra=None):
        return self.check(download_result(self.playbook("download", extra)), expect_transferred)

    def peer(self, venv):
        remove(self.dest, self.part)
        subprocess.run([os.path.join(venv, "bin", "glance"), "--os-image-url", self.glance,
                        "--os-auth-token", self.token, "image-download", "--file", self.dest, self.image_id],
                       check=True, capture_output=True)
        return os.path.getsize(self.dest)

    def cut_at_half(self, source):
        remove(self.dest, self.part)
        with open(source, "rb") as src, open(self.part, "wb") as out:
            out.write(src.read(self.size // 2))

    def round(self, venv, source):
        seconds, size = timed(self.curl)
        self.times["curl"].append(seconds)
        remove(self.dest, self.part)
        self.times["module"].append(timed(lambda: self.module(self.size, "module"))[0])
        remove(self.dest, self.part)
        self.times["playbook"].append(timed(lambda: self.module_playbook(self.size))[0])
        self.times["peer"].append(timed(lambda: self.peer(venv))[0])
        self.times["ping"].append(timed(lambda: self.playbook("ping"))[0])
        self.cut_at_half(source)
        self.times["resume"].append(timed(lambda: self.module(self.size - self.size // 2, "resume"))[0])
        self.times["hash"].append(timed(lambda: self.hash_alone(source))[0])
        self.times["floor"].append(timed(lambda: self.resume_floor(source))[0])
        if size != self.size:
            raise SystemExit("curl wrote %d bytes, expected %d" % (size, self.size))

    def median(self, key):
        return statistics.median(self.times[key])


def verdict(ok):
    return "OK" if ok else "MISSED"


def report(bench, args, rss, setup_s):
    curl, module, playbook, peer, ping, resume = (
        bench.median(k) for k in ("curl", "module", "playbook", "peer", "ping", "resume"))
    print("image_download benchmark: %d MiB, median of %d rounds (set-up %.1f s, not timed)"
          % (bench.size // MIB, args.runs, setup_s))
    for label, key in (("curl -o", "curl"), ("image_download, the module's run", "module"),
                       ("image_download, one-task playbook", "playbook"),
                       ("ansible.builtin.ping, one-task playbook (floor)", "ping"),
                       ("glance image-download (python-glanceclient 4.13.0)", "peer"),
                       ("image_download, run resuming from half", "resume"),
                       ("sha512 of the whole file alone (in this process)", "hash"),
                       ("resume floor: curl -r of half to /dev/null + sha512", "floor")):
        print("  %-52s %7.2f s   runs: %s" % (label, bench.median(key), " ".join("%.2f" % t for t in bench.times[key])))
    print("  module run / curl -o          = %5.2fx  (target: at most %.2fx)   %s"
          % (module / curl, TARGET_CURL_RATIO, verdict(module / curl <= TARGET_CURL_RATIO)))
    print("  playbook / curl -o            = %5.2fx  (playbook minus ping floor: %.2f s)"
          % (playbook / curl, playbook - ping))
    print("  module run / glance image-download = %5.2fx  (the peer; below 1 is faster)" % (module / peer))
    print("  resume run / full run         = %5.2fx  (target: at most %.2fx)   %s"
          % (resume / module, TARGET_RESUME_RATIO, verdict(resume / module <= TARGET_RESUME_RATIO)))
    print("  CPU time of the module's runs (s): full %s | resume %s"
          % (" ".join("%.2f" % t for t in bench.cpu["module"]), " ".join("%.2f" % t for t in bench.cpu["resume"])))
    print("  sha512 alone / full run       = %5.2fx  (a resume still hashes the whole file)"
          % (bench.median("hash") / module))
    print("  resume floor / full run       = %5.2fx  (the resume run is %.2fx its floor)"
          % (bench.median("floor") / module, resume / bench.median("floor")))
    print("  peak RSS of the shipped module process: %.1f MiB  (target: under %.0f MiB)   %s"
          % (rss, TARGET_RSS_MIB, verdict(rss < TARGET_RSS_MIB)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the image (default 1024: 1 GiB)")
    parser.add_argument("--runs", type=int, default=5, help="rounds; the medians are reported (default 5)")
    args = parser.parse_args()
    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    token = token_for("demo")
    owner = facts["project_ids"]["demo"]
    leftovers = [image["id"] for image in list_images(glance, token, "&tag=%s&owner=%s" % (TAG, owner))]
    delete_images(glance, token, leftovers)
    venv = peer_venv(PEER_REQUIREMENTS, PEER_VENV)
    directory = tempfile.mkdtemp(prefix="imagecat-bench-download-", dir="/tmp")
    made = []
    try:
        start = time.perf_counter()
        source = os.path.join(directory, "source.raw")
        make_file(source, args.size_mib * MIB)
        unused, image_id = curl_upload(glance, source, "bench-download", made, TAG)
        bench = Bench(directory, glance, token, image_id, args.size_mib * MIB)
        setup_s = time.perf_counter() - start
        for dummy in range(args.runs):
            bench.round(venv, source)
        remove(bench.dest, bench.part)
        meter = ModuleMeter(directory)
        bench.module_playbook(bench.size, extra=meter.extra_vars())
        rss = meter.take()["rss"]
        subprocess.run(["cmp", source, bench.dest], check=True)
        report(bench, args, rss, setup_s)
    finally:
        delete_images(glance, token, made)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
