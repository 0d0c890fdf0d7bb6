"""The local cloud's Compute API: real nova-api (nova 34.0.0), for the tests of Compute's images proxy.

Only the API service runs (``nova.wsgi.osapi_compute:application`` under uWSGI), with
one sqlite database synced by ``nova-manage db sync --local_cell``: no conductor,
scheduler, message queue or placement, none of which the images proxy needs. It has a
virtualenv of its own (``<cloud dir>/nova-venv``, pinned by nova-constraints.txt), is
registered in Keystone as service type ``compute`` in RegionOne, and reads images
from the local cloud's Glance through the catalogue.

It is not part of ``up``: ``cloud.py compute-up`` starts it (after the cloud), for the
tests that need it, and ``cloud.py compute-down`` (or ``down``) stops it.
Standard library only, like cloud.py, whose helpers it uses.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cloud

# uWSGI comes from the cloud's venv (its binary runs the app with virtualenv = nova-venv).
NOVA_REQUIREMENTS = ["nova==34.0.0"]
NOVA_CONSTRAINTS = cloud.SCRIPT_DIR / "nova-constraints.txt"
NOVA_USER = "nova"


def nova_venv(lay: cloud.Layout) -> Path:
    return lay.cloud_dir / "nova-venv"


def nova_service(lay: cloud.Layout) -> cloud.Service:
    return cloud.Service("nova-api", lay.state / "nova", lay.run / "nova-api.pid", lay.logs / "nova-api.log")


def compute_facts_file(lay: cloud.Layout) -> Path:
    return lay.cloud_dir / "compute.json"


def _fingerprint() -> str:
    return cloud.hashlib.sha256(NOVA_CONSTRAINTS.read_bytes() + "\n".join(NOVA_REQUIREMENTS).encode()).hexdigest()


def install(lay: cloud.Layout) -> None:
    venv = nova_venv(lay)
    stamp = venv / ".imagecat-install.sha256"
    if stamp.exists() and stamp.read_text().strip() == _fingerprint() and (venv / "bin" / "nova-manage").exists():
        return
    t0 = time.monotonic()
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    cloud.say(f"pip install {' '.join(NOVA_REQUIREMENTS)} (-c {NOVA_CONSTRAINTS.name}) into {venv}; "
              "about 1 min the first time")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    cmd = [str(venv / "bin" / "python"), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
           "-c", str(NOVA_CONSTRAINTS), *NOVA_REQUIREMENTS]
    if subprocess.run(cmd, env=env, check=False).returncode != 0:
        raise cloud.CloudError("pip install of nova failed (see errors above)")
    cloud.write_text(stamp, _fingerprint() + "\n")
    cloud.say(f"nova installed in {time.monotonic() - t0:.1f} s")


def _nova_password(lay: cloud.Layout) -> str:
    passwords = cloud.read_json(lay.passwords_file) or {}
    if NOVA_USER not in passwords:
        passwords[NOVA_USER] = cloud.secrets.token_urlsafe(18)
        cloud.write_text(lay.passwords_file, json.dumps(passwords, indent=2) + "\n", mode=0o600)
    return passwords[NOVA_USER]


def write_config(lay: cloud.Layout, port: int, keystone: str, password: str) -> None:
    svc = nova_service(lay)
    d = svc.config_dir
    (d / "locks").mkdir(parents=True, exist_ok=True)
    venv = nova_venv(lay)
    # The app loads api-paste.ini from its config dir; the wheel's sample works as it is.
    cloud.write_text(d / "api-paste.ini", (venv / "etc" / "nova" / "api-paste.ini").read_text())
    cloud.write_text(d / "nova.conf", cloud.render_ini({
        "DEFAULT": [("debug", "false"), ("log_file", str(lay.logs / "nova-api-app.log")),
                    ("state_path", str(d)), ("use_rootwrap_daemon", "false")],
        # Without a database the app does not load; the images proxy never writes to it. No
        # [api_database]: with one, the app wants cell mappings at start-up.
        "database": [("connection", f"sqlite:///{d / 'nova.sqlite'}?timeout=30")],
        "api": [("auth_strategy", "keystone")],
        "keystone_authtoken": [
            ("www_authenticate_uri", keystone), ("auth_url", keystone), ("auth_type", "password"),
            ("username", NOVA_USER), ("password", password), ("project_name", "service"),
            ("user_domain_name", cloud.DOMAIN), ("project_domain_name", cloud.DOMAIN),
            ("region_name", cloud.KEYSTONE_REGION), ("service_token_roles_required", "true"),
        ],
        # Glance is found in the catalogue of the user's token, in this region.
        "glance": [("region_name", cloud.KEYSTONE_REGION)],
        "oslo_concurrency": [("lock_path", str(d / "locks"))],
    }), mode=0o600)
    # A Layout whose venv is nova's, so uwsgi_ini points uWSGI at it.
    nova_lay = cloud.Layout(lay.cloud_dir)
    nova_lay.venv = venv
    cloud.write_text(svc.uwsgi_ini, cloud.uwsgi_ini(
        nova_lay, port, "nova.wsgi.osapi_compute:application", processes=1, threads=4,
        env=[f"OS_NOVA_CONFIG_DIR={d}"], extra=[],
    ))


def _choose_port(lay: cloud.Layout, ports: dict) -> int:
    """The recorded port of nova-api while it is free, else a new free one (recorded in ports.json)."""
    port = ports.get("nova-api")
    taken = {p for name, p in ports.items() if name != "nova-api"}
    if not (isinstance(port, int) and port not in taken and cloud.port_is_free(port)):
        for dummy in range(200):
            port = cloud.random.randint(*cloud.PORT_RANGE)
            if port not in taken and cloud.port_is_free(port):
                break
        else:
            raise cloud.CloudError("no free port found for nova-api")
        cloud.write_text(lay.ports_file, json.dumps(dict(ports, **{"nova-api": port}), indent=2) + "\n")
    return port


def compute_ok(port: int) -> bool:
    try:
        return cloud.http("GET", f"{cloud.url_for(port)}/", timeout=3)[0] in (200, 300)
    except OSError:
        return False


def provision(ports: dict, passwords: dict, nova_password: str, port: int) -> None:
    keystone = cloud.url_for(ports["keystone"])
    token, body = cloud.get_token(keystone, "admin", passwords["admin"], "admin")
    ks = cloud.KeystoneAdmin(keystone, token)
    service_project = ks.ensure_project("service", cloud.PROJECTS["service"])
    uid = ks.ensure_user(NOVA_USER, nova_password, service_project)
    roles = ks.role_ids()
    for role in ("admin", "service"):
        ks.grant(service_project, uid, roles[role])
    compute_id = ks.ensure_service("compute", "nova", "Compute API (images proxy tests)")
    ks.ensure_endpoints(compute_id, cloud.KEYSTONE_REGION, f"{cloud.url_for(port)}/v2.1")


def cmd_compute_up(lay: cloud.Layout, args=None) -> int:
    t0 = time.monotonic()
    if not cloud.cloud_is_up(lay):
        raise cloud.CloudError("the local cloud is not running; run 'up' first")
    install(lay)
    svc = nova_service(lay)
    ports = cloud.read_json(lay.ports_file) or {}
    facts_file = compute_facts_file(lay)
    if cloud.running_master(svc) and ports.get("nova-api") and compute_ok(ports["nova-api"]) \
            and facts_file.exists():
        cloud.say(f"nova-api already running at {cloud.url_for(ports['nova-api'])}")
        cloud.emit(facts_file.read_text().strip())
        return 0
    cloud.stop_services([svc], quiet=True)
    port = _choose_port(lay, ports)
    passwords = cloud.read_json(lay.passwords_file)
    nova_password = _nova_password(lay)
    write_config(lay, port, cloud.url_for(ports["keystone"]), nova_password)
    marker = svc.config_dir / ".db_synced"
    if not marker.exists():
        cloud.run_steps_in_parallel(lay, [("nova-db_sync", [
            str(nova_venv(lay) / "bin" / "nova-manage"), "--config-file", str(svc.config_dir / "nova.conf"),
            "db", "sync", "--local_cell"], {})])
        marker.touch()
    provision(ports, passwords, nova_password, port)
    t_start = time.monotonic()
    proc = cloud.start_uwsgi(lay, svc)
    try:
        cloud.wait_until(svc, "GET /", lambda: compute_ok(port), proc)
    except BaseException:
        cloud.stop_services([svc], quiet=True)
        raise
    started = time.monotonic() - t_start
    facts = {
        "compute_url": f"{cloud.url_for(port)}/v2.1",
        "compute_legacy_url": f"{cloud.url_for(port)}/v2",
        "port": port, "pid": cloud.read_pidfile(svc), "log": str(svc.log),
        "start_seconds": round(started, 1),
    }
    cloud.write_text(facts_file, json.dumps(facts) + "\n")
    cloud.say(f"nova-api up at {facts['compute_url']} in {time.monotonic() - t0:.1f} s "
              f"(uWSGI start to GET / = 200: {started:.1f} s)")
    cloud.emit(json.dumps(facts))
    return 0


def cmd_compute_down(lay: cloud.Layout, args=None) -> int:
    cloud.stop_services([nova_service(lay)], quiet=True)
    compute_facts_file(lay).unlink(missing_ok=True)
    cloud.say("nova-api stopped")
    return 0
