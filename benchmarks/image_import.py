"""Benchmark: a 1 GiB web-download import (imagecat.glance.image_import) vs a plain curl -T upload.

One run against the local cloud (make cloud-up). Set-up, not timed: a 1 GiB file of random bytes in
a temporary directory under /tmp, served over loopback HTTP by tools/serve_files.py (the local cloud
allows web-download from 127.0.0.1). Then, in each of --runs rounds, all into fresh images:

1. curl -T: PUT /v2/images/{id}/file of the file into a queued image (the baseline; the data passes
   through the client, as with the image module).
2. The import alone, over REST: POST /v2/images/{id}/import with web-download, then GET the image
   every 0.2 s until it is active (Glance downloads the file from the loopback server and stores it).
3. The module: a one-task playbook running imagecat.glance.image_import with method web-download
   (create the image, import, wait, and verify the sha512 given as checksum); nothing subtracted.

Prints the medians and the ratios to curl. Every image made carries the tag imagecat-bench-import
and is deleted at the end, also on failure; the server is stopped and the directory removed.

    .venv/bin/python benchmarks/image_import.py   # make bench-import; about 2 min on 2 cores
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
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cloud import (  # noqa: E402
    MIB, REPO, call, cloud_facts, create_queued_image, curl_upload, delete_images, make_file, run_playbook,
    token_for,
)

TAG = "imagecat-bench-import"
BIG_SIZE = 1024 * MIB
SERVE_FILES = os.path.join(REPO, "tools", "serve_files.py")
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
POLL = 0.2

PLAYBOOK = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: imagecat.glance.image_import, web-download of 1 GiB
      imagecat.glance.image_import:
        cloud: demo
        name: "{{ image_name }}"
        method: web-download
        uri: "{{ image_uri }}"
        checksum: "sha512:{{ image_sha512 }}"
        disk_format: raw
        container_format: bare
        tags: [%s]
      register: imported

    - name: Report the image
      ansible.builtin.debug:
        msg: "IMPORTED {{ imported.image.id }} {{ imported.image.status }} {{ imported.image.size }}"
""" % TAG


def serve(directory, state):
    out = subprocess.run([sys.executable, SERVE_FILES, "start", "--dir", directory, "--state", state],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["url"]


def sha512_of(path):
    digest = hashlib.sha512()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def rest_import(glance, uri, made):
    """Seconds from POST .../import (web-download) to the image being active."""
    token = token_for("demo")
    image_id = create_queued_image(glance, token, "bench-import-rest-%s" % uuid.uuid4().hex[:8], TAG)
    made.append(image_id)
    start = time.perf_counter()
    call("POST", "%s/v2/images/%s/import" % (glance, image_id), token,
         {"method": {"name": "web-download", "uri": uri}})
    while True:
        image = call("GET", "%s/v2/images/%s" % (glance, image_id), token)
        if image["status"] == "active" and not image.get("os_glance_import_task"):
            break
        if image["status"] == "queued" and not image.get("os_glance_import_task"):
            raise SystemExit("REST import into %s failed: %s" % (image_id, image.get("os_glance_failed_import")))
        time.sleep(POLL)
    elapsed = time.perf_counter() - start
    if image["size"] != BIG_SIZE:
        raise SystemExit("REST import: image %s has %s bytes" % (image_id, image["size"]))
    return elapsed


def module_import(playbook, env, uri, sha512, made):
    """Wall seconds of the one-task playbook, and the image it made."""
    name = "bench-import-module-%s" % uuid.uuid4().hex[:8]
    start = time.perf_counter()
    stdout = run_playbook(playbook, env, extra_args=["-e", "image_name=%s" % name, "-e", "image_uri=%s" % uri,
                                                     "-e", "image_sha512=%s" % sha512])
    elapsed = time.perf_counter() - start
    line = [text for text in stdout.splitlines() if "IMPORTED " in text]
    fields = line[0].split("IMPORTED ", 1)[1].strip().strip('"').split() if line else []
    if len(fields) != 3:
        raise SystemExit("could not read the module's result:\n%s" % stdout[-2000:])
    made.append(fields[0])
    if fields[1] != "active" or int(fields[2]) != BIG_SIZE:
        raise SystemExit("the module left image %s %s with %s bytes" % tuple(fields))
    return elapsed


def tagged_ids(glance, token, owner):
    body = call("GET", "%s/v2/images?limit=1000&tag=%s&owner=%s" % (glance, TAG, owner), token)
    return [image["id"] for image in body["images"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="rounds of (curl, REST import, module)")
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed for the baseline")
    subprocess.run(["make", "-s", "-C", REPO, "collection-link"], check=True)
    facts = cloud_facts()
    glance, owner = facts["glance_url"], facts["project_ids"]["demo"]
    env = {"OS_CLIENT_CONFIG_FILE": facts["clouds_yaml"], "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
           "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_LOCALHOST_WARNING": "false",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}
    token = token_for("demo")
    left = delete_images(glance, token, tagged_ids(glance, token, owner))
    if left:
        raise SystemExit("could not delete left-overs of an earlier run: %s" % left)

    tmp = tempfile.mkdtemp(prefix="imagecat-bench-import-")
    state = os.path.join(tmp, "server.json")
    made = []
    try:
        served = os.path.join(tmp, "served")  # only the image file is served, not the server's state
        os.mkdir(served)
        big_file = os.path.join(served, "big-1GiB.raw")
        print("set-up: a 1 GiB file and a loopback HTTP server ...", flush=True)
        make_file(big_file, BIG_SIZE)
        sha512 = sha512_of(big_file)
        uri = serve(served, state) + "/big-1GiB.raw"
        playbook = os.path.join(tmp, "import.yml")
        with open(playbook, "w") as handle:
            handle.write(PLAYBOOK)
        times = {"curl": [], "rest": [], "module": []}
        for number in range(args.runs):
            print("round %d of %d: curl -T, REST import, module ..." % (number + 1, args.runs), flush=True)
            times["curl"].append(curl_upload(glance, big_file, "bench-import-curl-%d" % number, made, TAG)[0])
            times["rest"].append(rest_import(glance, uri, made))
            times["module"].append(module_import(playbook, env, uri, sha512, made))
            # Each import leaves 1 GiB in the store; keep the disk use of a run flat.
            left = delete_images(glance, token_for("demo"), made)
            made[:] = left
        report(args.runs, times)
    finally:
        subprocess.run([sys.executable, SERVE_FILES, "stop", "--state", state], check=False, capture_output=True)
        left = delete_images(glance, token_for("demo"), made + tagged_ids(glance, token_for("demo"), owner))
        shutil.rmtree(tmp, ignore_errors=True)
        if left:
            print("WARNING: could not delete images %s" % ", ".join(left))


def report(runs, times):
    curl = statistics.median(times["curl"])
    print()
    print("1 GiB into a new image on the local cloud (median of %d runs; each run's figures in brackets)" % runs)
    rows = (("curl", "curl -T: PUT /v2/images/{id}/file (the baseline)"),
            ("rest", "web-download import alone: POST .../import until active"),
            ("module", "imagecat.glance.image_import web-download: one-task playbook, sha512 verified"))
    for key, label in rows:
        median = statistics.median(times[key])
        print("  %-80s %6.2f s  %5.2fx curl  [%s]"
              % (label, median, median / curl, ", ".join("%.2f" % value for value in times[key])))


if __name__ == "__main__":
    main()
