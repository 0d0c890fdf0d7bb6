"""Benchmark: imagecat.glance.image with url (controller transfer) vs curl | xz -dc | curl -T -.

One run against the local cloud (make cloud-up). Set-up, not timed: a raw image of --size-mib MiB
(1 GiB by default) made of 4 MiB runs of random bytes and of zeros (a disk image compresses about
2:1), compressed with xz -0, served over loopback by tools/serve_files.py with a SHA256SUMS next to
it; one token of project demo. Then, in each of --runs rounds, into a fresh image each:

1. The shell a user would write: ``curl -s URL | xz -dc | curl -T - <upload URL>`` with the token
   (the image created beforehand, not timed). No verification at all: the baseline.
2. The module's run: ImageModule.run_in_controller() in this process, exactly what the action plugin
   calls for a local task, with endpoint + the same token and url + checksum_url: it reads the checksum
   file, peeks at the first bytes, creates the image, downloads, decompresses, hashes both sides and
   uploads in one pass (three threads), waits and verifies. Target: at most 1.1x the shell.
3. An unchanged re-run as users run it: a one-task playbook of the same task against the image that
   exists, next to a one-task ansible.builtin.ping playbook (the floor). Target: within 0.3 s of the
   floor, and no download (the mirror's log: only the checksum file is read).

Then once: the module shipped as a module process (ansible_python_interpreter set to a GNU time
wrapper, see image_module.py) for its peak RSS (target: under 100 MiB). xz -dc and the module use the
same liblzma; what decides the ratio is how download, decompression, hashing and upload overlap.
Ratios only, against baselines of the same run; nothing is asserted in tests.

Images carry the tag imagecat-bench-transfer and are deleted at the end, also on failure; the
temporary directory is removed.

    .venv/bin/python benchmarks/transfer.py [--size-mib 1024 --runs 3]   # make bench-transfer
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import MIB, REPO, call, cloud_facts, create_queued_image, delete_images, list_images, run_playbook, token_for  # noqa: E402
from image_download import PING, RESULT, timed, verdict  # noqa: E402
from image_module import COLLECTIONS, ModuleMeter  # noqa: E402

sys.path.insert(0, COLLECTIONS)
from ansible_collections.imagecat.glance.plugins.modules.image import ImageModule  # noqa: E402

TAG = "imagecat-bench-transfer"
SERVE_FILES = os.path.join(REPO, "tools", "serve_files.py")
TARGET_SHELL_RATIO = 1.1
TARGET_FLOOR_SECONDS = 0.3
TARGET_RSS_MIB = 100.0
RUN = 4 * MIB

TASK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: imagecat.glance.image from url
      imagecat.glance.image:
        endpoint: "{{ glance_endpoint }}"
        token: "{{ glance_token }}"
        name: "{{ image_name }}"
        url: "{{ url }}"
        checksum_url: "{{ checksum_url }}"
        disk_format: raw
        container_format: bare
        tags: [%s]
        hash_cache: false
""" % TAG


def make_image(path, size):
    """Alternating 4 MiB runs of random bytes and zeros; returns the sha512 of the whole."""
    digest = hashlib.sha512()
    with open(path, "wb") as out:
        for index in range(size // RUN):
            block = os.urandom(RUN) if index % 2 == 0 else b"\0" * RUN
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


class Mirror:
    """tools/serve_files.py over one directory; counts the requests of its log."""

    def __init__(self, directory, state):
        self.state = state
        out = subprocess.run([sys.executable, SERVE_FILES, "start", "--dir", directory, "--state", state],
                             check=True, capture_output=True, text=True).stdout
        self.url = json.loads(out)["url"]

    def requests(self):
        with open(self.state + ".log") as handle:
            return [line for line in handle if '"GET ' in line or '"HEAD ' in line]

    def stop(self):
        subprocess.run([sys.executable, SERVE_FILES, "stop", "--state", self.state], check=False, capture_output=True)


class Bench:
    def __init__(self, directory, glance, token, mirror, size, digest):
        self.directory, self.glance, self.token, self.mirror, self.size = directory, glance, token, mirror, size
        self.digest = digest
        self.url = mirror.url + "/current/disk.raw.xz"
        self.checksum_url = mirror.url + "/current/SHA256SUMS"
        self.made = []
        self.times = {key: [] for key in ("shell", "module", "rerun", "ping")}
        self.cpu = []
        self.books = {}
        for name, text in (("task", TASK), ("ping", PING)):
            self.books[name] = os.path.join(directory, name + ".yml")
            with open(self.books[name], "w") as handle:
                handle.write(text)
        self.env = {"ANSIBLE_STDOUT_CALLBACK": "minimal", "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}

    def vars_file(self, name, extra=None):
        path = os.path.join(self.directory, "vars.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(dict({"glance_endpoint": self.glance, "glance_token": self.token, "image_name": name,
                            "url": self.url, "checksum_url": self.checksum_url}, **(extra or {})), handle)
        return path

    def playbook(self, book, name, extra=None):
        stdout = run_playbook(self.books[book], env=self.env, extra_args=["-e", "@" + self.vars_file(name, extra)])
        found = RESULT.findall(stdout)
        return json.loads(found[0][1]) if found else None

    def check_image(self, image_id, who):
        image = call("GET", "%s/v2/images/%s" % (self.glance, image_id), self.token)
        if image["status"] != "active" or image["size"] != self.size or image["os_hash_value"] != self.digest:
            raise SystemExit("%s: image %s is %s with %s bytes, sha512 %s" % (
                who, image_id, image["status"], image["size"], image.get("os_hash_value")))

    def shell(self, number):
        image_id = create_queued_image(self.glance, self.token, "bench-transfer-shell-%d" % number, TAG)
        self.made.append(image_id)
        upload = "%s/v2/images/%s/file" % (self.glance, image_id)
        # curl sends "Expect: 100-continue" and waits 1 s for an answer uwsgi never gives: a tuned script
        # turns it off, so the baseline does too.
        command = ("curl -sS -f %s | xz -dc | curl -sS -f -o /dev/null -T - -H 'X-Auth-Token: %s' "
                   "-H 'Content-Type: application/octet-stream' -H 'Expect:' %s" % (self.url, self.token, upload))
        seconds, dummy = timed(lambda: subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True))
        self.check_image(image_id, "shell")
        return seconds

    def module(self, name):
        args = dict(endpoint=self.glance, token=self.token, name=name, url=self.url, checksum_url=self.checksum_url,
                    disk_format="raw", container_format="bare", tags=[TAG], hash_cache=False)
        cpu = time.process_time()
        seconds, result = timed(lambda: ImageModule.run_in_controller("image", args))
        self.cpu.append(time.process_time() - cpu)
        if result.get("failed") or not result.get("changed"):
            raise SystemExit("image: unexpected result %r" % result.get("msg"))
        self.made.append(result["image"]["id"])
        self.check_image(result["image"]["id"], "module")
        return seconds

    def rerun(self, name):
        before = len(self.mirror.requests())
        seconds, result = timed(lambda: self.playbook("task", name))
        if result is None or result.get("changed"):
            raise SystemExit("image: the unchanged re-run reported %r" % result)
        new = self.mirror.requests()[before:]
        if [line for line in new if "disk.raw.xz" in line]:
            raise SystemExit("the unchanged re-run downloaded the image: %s" % new)
        self.rerun_requests = new
        return seconds

    def round(self, number):
        self.times["shell"].append(self.shell(number))
        name = "bench-transfer-module-%d" % number
        self.times["module"].append(self.module(name))
        self.times["rerun"].append(self.rerun(name))
        self.times["ping"].append(timed(lambda: self.playbook("ping", name))[0])

    def median(self, key):
        return statistics.median(self.times[key])


def report(bench, args, rss, setup_s, packed):
    shell, module, rerun, ping = (bench.median(k) for k in ("shell", "module", "rerun", "ping"))
    print("transfer benchmark: %d MiB raw image, %d MiB as xz, median of %d rounds (set-up %.1f s, not timed)"
          % (bench.size // MIB, packed // MIB, args.runs, setup_s))
    for label, key in (("curl -s URL | xz -dc | curl -T - (the shell)", "shell"),
                       ("image with url, the module's run (controller transfer)", "module"),
                       ("image with url, unchanged re-run, one-task playbook", "rerun"),
                       ("ansible.builtin.ping, one-task playbook (floor)", "ping")):
        print("  %-56s %7.2f s   runs: %s" % (label, bench.median(key), " ".join("%.2f" % t for t in bench.times[key])))
    print("  module run / shell            = %5.2fx  (target: at most %.2fx)   %s"
          % (module / shell, TARGET_SHELL_RATIO, verdict(module / shell <= TARGET_SHELL_RATIO)))
    print("  re-run - ping floor           = %+5.2f s (target: within %.1f s)   %s"
          % (rerun - ping, TARGET_FLOOR_SECONDS, verdict(rerun - ping <= TARGET_FLOOR_SECONDS)))
    print("  mirror requests of the last re-run: %s" % (" | ".join(
        line.split('"')[1] for line in bench.rerun_requests) or "none"))
    print("  CPU time of the module's runs (s): %s" % " ".join("%.2f" % t for t in bench.cpu))
    print("  peak RSS of the shipped module process: %.1f MiB  (target: under %.0f MiB)   %s"
          % (rss, TARGET_RSS_MIB, verdict(rss < TARGET_RSS_MIB)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the raw image (default 1024: 1 GiB)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the medians are reported (default 3)")
    args = parser.parse_args()
    if args.size_mib < 8 or args.size_mib % 8:
        parser.error("--size-mib must be a multiple of 8")
    facts = cloud_facts()
    glance = facts["glance_url"].rstrip("/")
    token = token_for("demo")
    owner = facts["project_ids"]["demo"]
    delete_images(glance, token, [i["id"] for i in list_images(glance, token, "&tag=%s&owner=%s" % (TAG, owner))])
    directory = tempfile.mkdtemp(prefix="imagecat-bench-transfer-", dir="/tmp")
    served = os.path.join(directory, "mirror")
    os.makedirs(os.path.join(served, "current"))
    mirror = bench = None
    try:
        start = time.perf_counter()
        raw = os.path.join(directory, "disk.raw")
        digest = make_image(raw, args.size_mib * MIB)
        packed = os.path.join(served, "current", "disk.raw.xz")
        with open(packed, "wb") as out:
            subprocess.run(["xz", "-0", "-T2", "-c", raw], stdout=out, check=True)
        os.unlink(raw)
        sha256 = hashlib.sha256()
        with open(packed, "rb") as handle:
            for chunk in iter(lambda: handle.read(MIB), b""):
                sha256.update(chunk)
        with open(os.path.join(served, "current", "SHA256SUMS"), "w") as out:
            out.write("%s  disk.raw.xz\n" % sha256.hexdigest())
        mirror = Mirror(served, os.path.join(directory, "mirror.json"))
        bench = Bench(directory, glance, token, mirror, args.size_mib * MIB, digest)
        setup_s = time.perf_counter() - start
        for number in range(args.runs):
            bench.round(number)
        meter = ModuleMeter(directory)
        result = bench.playbook("task", "bench-transfer-rss", extra=meter.extra_vars())
        if not result or not result.get("changed"):
            raise SystemExit("image (shipped module process): unexpected result %r" % result)
        bench.made.append(result["image"]["id"])
        rss = meter.take()["rss"]
        report(bench, args, rss, setup_s, os.path.getsize(packed))
    finally:
        if bench is not None:
            delete_images(glance, token, bench.made)
        if mirror is not None:
            mirror.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
