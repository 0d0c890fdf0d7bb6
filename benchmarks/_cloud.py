"""Shared by the benchmark scripts: the local cloud's facts, tokens and raw REST calls (stdlib only)."""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLOUD_DIR = os.environ.get("IMAGECAT_CLOUD_DIR", os.path.join(REPO, ".local_cloud"))
MIB = 1024 * 1024


def cloud_facts():
    with open(os.path.join(CLOUD_DIR, "cloud.json")) as handle:
        return json.load(handle)


def clouds_yaml_auth(cloud):
    import yaml
    with open(os.path.join(CLOUD_DIR, "clouds.yaml")) as handle:
        return yaml.safe_load(handle)["clouds"][cloud]["auth"]


def token_for(cloud):
    auth = clouds_yaml_auth(cloud)
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "domain": {"name": "Default"}, "password": auth["password"]}}},
        "scope": {"project": {"name": auth["project_name"], "domain": {"name": "Default"}}}}}
    request = urllib.request.Request(auth["auth_url"].rstrip("/") + "/auth/tokens",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.headers["X-Subject-Token"]


def call(method, url, token, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    send = {"X-Auth-Token": token, "Accept": "application/json"}
    if data is not None:
        send["Content-Type"] = "application/json"
    send.update(headers or {})
    request = urllib.request.Request(url, data=data, method=method, headers=send)
    with urllib.request.urlopen(request) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def next_page(glance, page):
    """The URL of the page after ``page`` (an answer of GET /v2/images), or None after the last."""
    return glance + page["next"] if page.get("next") and page["images"] else None


def list_images(glance, token, query=""):
    """Every image of GET /v2/images?limit=1000<query> (query: "&name=value..."), all pages."""
    images, url = [], "%s/v2/images?limit=1000%s" % (glance, query)
    while url:
        page = call("GET", url, token)
        images += page["images"]
        url = next_page(glance, page)
    return images


def curl_listing(glance, token, query=""):
    """How many images GET /v2/images?limit=1000<query> holds, following every page with curl, one
    process per page, like a shell script would: the raw baseline of the listing benchmarks."""
    url, total = "%s/v2/images?limit=1000%s" % (glance, query), 0
    while url:
        out = subprocess.run(["curl", "-sf", "-H", "X-Auth-Token: " + token, "-H", "Accept: application/json", url],
                             capture_output=True, text=True, check=True).stdout
        page = json.loads(out)
        total += len(page["images"])
        url = next_page(glance, page)
    return total


def median_time(runs, func):
    """Run func `runs` times; return the median wall time in seconds and the last result."""
    times, result = [], None
    for dummy in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_playbook(path, env=None, venv=None, extra_args=(), prefix=()):
    """ansible-playbook from the project venv (or from `venv`), after the `prefix` command words (e.g. GNU
    time); raises on failure; returns its stdout."""
    command = list(prefix) + [os.path.join(venv or os.path.join(REPO, ".venv"), "bin", "ansible-playbook"), path]
    command += list(extra_args)
    completed = subprocess.run(command, env=dict(os.environ, **(env or {})), capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit("ansible-playbook %s failed:\n%s%s" % (path, completed.stdout[-3000:], completed.stderr[-3000:]))
    return completed.stdout


PEER_VENV = os.path.join(REPO, ".cache", "peer-venv")


def peer_venv(requirements_file="peer-requirements.txt", venv=PEER_VENV):
    """A venv for side-by-side runs, made once from benchmarks/<requirements_file>: by default
    openstack.cloud (PyPI's ansible package)."""
    requirements = os.path.join(REPO, "benchmarks", requirements_file)
    stamp = os.path.join(venv, ".installed")
    with open(requirements, "rb") as handle:
        wanted = handle.read()
    if os.path.exists(stamp):
        with open(stamp, "rb") as handle:
            if handle.read() == wanted:
                return venv
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-r", requirements], check=True)
    with open(stamp, "wb") as handle:
        handle.write(wanted)
    return venv


def write(method, url, token, body=None, ok_codes=()):
    """A write request, retried on the local cloud's 500 "database is locked" (SQLite serialises
    writes); an HTTP error in ok_codes returns None (409 on a create with our id: the first try landed)."""
    for attempt in range(6):
        try:
            return call(method, url, token, body)
        except urllib.error.HTTPError as exc:
            if exc.code in ok_codes:
                return None
            if exc.code != 500 or attempt == 5:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


def create_image(glance, token, body):
    """POST one image whose body carries a client-chosen id, so a retry cannot make a duplicate."""
    return write("POST", glance + "/v2/images", token, body, ok_codes=(409,))


def delete_images(glance, token, ids):
    """Delete images, at most 4 at a time; returns the ids that could not be deleted."""
    def delete(image_id):
        try:
            write("DELETE", "%s/v2/images/%s" % (glance, image_id), token, ok_codes=(404,))
        except (urllib.error.URLError, OSError):
            return image_id
        return None
    with ThreadPoolExecutor(4) as pool:
        return [image_id for image_id in pool.map(delete, sorted(set(ids))) if image_id]


def create_queued_image(glance, token, name, tag):
    """An empty raw/bare image with a client-chosen id, so a retried create cannot make two."""
    image_id = str(uuid.uuid4())
    write("POST", glance + "/v2/images", token, ok_codes=(409,), body={
        "id": image_id, "name": name, "disk_format": "raw", "container_format": "bare", "tags": [tag]})
    return image_id


def make_file(path, size):
    """A file of random bytes (detected as raw); size in whole MiB."""
    with open(path, "wb") as out:
        for dummy in range(size // MIB):
            out.write(os.urandom(MIB))


def curl_upload(glance, path, name, made, tag):
    """Seconds for curl to PUT the file into a fresh queued image (token and create not timed)."""
    token = token_for("demo")
    image_id = create_queued_image(glance, token, name, tag)
    made.append(image_id)
    command = ["curl", "-sS", "-f", "-o", "/dev/null", "-T", path,
               "-H", "X-Auth-Token: " + token, "-H", "Content-Type: application/octet-stream",
               # curl sends "Expect: 100-continue" for bodies over 1 MiB and then waits 1 s for an
               # answer uwsgi never gives; a tuned script turns that off, so the baseline does too.
               "-H", "Expect:", "%s/v2/images/%s/file" % (glance, image_id)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    image = call("GET", "%s/v2/images/%s" % (glance, image_id), token)
    if image["status"] != "active" or image["size"] != os.path.getsize(path):
        raise SystemExit("curl upload: image %s is %s with %s bytes" % (image_id, image["status"], image["size"]))
    return elapsed, image_id
