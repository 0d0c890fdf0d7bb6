"""Install and run a real Keystone + Glance on loopback for tests.

Commands: install, up, down, status, env, reset (see README.md next to this file).

Standard library only: this script runs with the system python3 and drives a
virtualenv of its own (<cloud dir>/venv) that holds the OpenStack services.
Everything generated lives in the cloud directory: <repo>/.local_cloud by
default, or $IMAGECAT_CLOUD_DIR.
"""

import argparse
import fcntl
import hashlib
import json
import os
import pwd
import grp
import random
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import image_api_extras

SCRIPT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPT_DIR))
import limits  # noqa: E402  (unified limits of RegionTwo's Glance: limits.py)
REPO_ROOT = SCRIPT_DIR.parent.parent
CONSTRAINTS = SCRIPT_DIR / "constraints.txt"
SQLITE_PATCH = SCRIPT_DIR / "sqlite_immediate.py"
REQUIREMENTS = ["glance==33.0.0", "keystone==30.0.0", "uwsgi"]

HOST = "127.0.0.1"
# Below the Linux ephemeral range (32768+), so outgoing connections of other
# programs do not grab "our" ports between runs.
PORT_RANGE = (20000, 32000)
KEYSTONE_REGION = "RegionOne"
DOMAIN = "Default"
START_TIMEOUT = 120.0  # seconds, per service
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
LOG_TAIL_LINES = 40

# Created through the API on every "up" when missing; the admin project and
# user come from keystone-manage bootstrap.
PROJECTS = {
    "demo": "Demo project for image tests",
    "alt": "Second ordinary project (sharing tests)",
    "service": "Service users",
}
USERS = {  # user -> (its project, roles on it)
    "demo": ("demo", ["member", "reader"]),
    "alt": ("alt", ["member", "reader"]),
    "glance": ("service", ["admin", "service"]),
    **image_api_extras.USERS,
}
CLOUD_USERS = ["admin", "demo", "alt"] + list(image_api_extras.USERS)  # entries of clouds.yaml
STORES = ["fast", "cheap"]  # file stores of every Glance; the first is the default


@dataclass(frozen=True)
class GlanceInstance:
    """One Glance API: its own config dir, DB, stores, port and region.

    Every instance shares the Keystone and the image service entry, with
    endpoints in its own region. ``unwritable_stores`` are file stores whose
    data directory cannot be created (its parent is a regular file, as when a
    volume is not mounted): Glance lists them but disables adding data at
    start-up, so every import into them fails. They exist for tests of partial
    multi-store imports.
    """

    name: str
    region: str
    processes: int = 2
    unwritable_stores: tuple = ()
    import_methods: tuple = ("glance-direct", "web-download", "copy-image", "glance-download")
    http_store: str = ""  # id of a read-only http store (location API tests); "" for none
    # image_cache_dir set (the cache API answers); False: a Glance without a cache (its tests).
    cache: bool = True

    @property
    def stores(self) -> list:
        return STORES + list(self.unwritable_stores)


GLANCE_INSTANCES = [
    GlanceInstance("glance", "RegionOne"),
    # Source region for glance-download, home of a store that always fails, and a cloud
    # that does not enable copy-image and glance-download (tests of disabled methods).
    # One worker: it serves only a few import tests, and starts faster.
    GlanceInstance("glance2", "RegionTwo", processes=1, unwritable_stores=("broken",),
                   import_methods=("glance-direct", "web-download"), http_store=image_api_extras.HTTP_STORE,
                   cache=False),
]


# --------------------------------------------------------------------------
# Layout of the cloud directory


class Layout:
    def __init__(self, cloud_dir: Path):
        self.cloud_dir = cloud_dir
        self.venv = cloud_dir / "venv"
        self.state = cloud_dir / "state"
        self.run = self.state / "run"
        self.logs = self.state / "logs"
        self.ports_file = self.state / "ports.json"
        self.passwords_file = self.state / "passwords.json"
        self.clouds_yaml = cloud_dir / "clouds.yaml"
        self.cloud_json = cloud_dir / "cloud.json"
        self.install_stamp = self.venv / ".imagecat-install.sha256"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


@dataclass(frozen=True)
class Service:
    """A uwsgi-run service: where its config, pidfile and log live."""

    name: str
    config_dir: Path
    pidfile: Path
    log: Path

    @property
    def uwsgi_ini(self) -> Path:
        return self.config_dir / "uwsgi.ini"


def default_cloud_dir() -> Path:
    override = os.environ.get("IMAGECAT_CLOUD_DIR")
    return Path(override).resolve() if override else REPO_ROOT / ".local_cloud"


def keystone_service(lay: Layout) -> Service:
    return Service("keystone", lay.state / "keystone", lay.run / "keystone.pid", lay.logs / "keystone.log")


def glance_service(lay: Layout, inst: GlanceInstance) -> Service:
    return Service(inst.name, lay.state / inst.name, lay.run / f"{inst.name}.pid", lay.logs / f"{inst.name}.log")


def all_services(lay: Layout) -> list:
    return [keystone_service(lay)] + [glance_service(lay, g) for g in GLANCE_INSTANCES]


def url_for(port: int) -> str:
    return f"http://{HOST}:{port}"


# --------------------------------------------------------------------------
# Small helpers


class CloudError(Exception):
    pass


def emit(text: str = "", err: bool = False) -> None:
    """print() that survives a reader going away (| head): a half-done 'up' must not abort."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def say(msg: str) -> None:
    emit(f"local-cloud: {msg}")


def write_text(path: Path, text: str, mode: int = 0o644) -> None:
    """Write atomically, so a crash never leaves half a config or JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        data = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data[-lines:])


def print_log_tail(name: str, path: Path) -> None:
    emit(f"----- last {LOG_TAIL_LINES} lines of {path} ({name}) -----", err=True)
    emit(log_tail(path), err=True)
    emit("-----", err=True)


def service_env(lay: Layout) -> dict:
    """Environment for the services and their manage commands.

    Proxy variables are dropped because Glance talks to Keystone on loopback
    through requests, which would honour them; OS_* and PYTHON* variables of the
    caller must not leak into the services either.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(("OS_", "PYTHON"))
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["VIRTUAL_ENV"] = str(lay.venv)
    env["PATH"] = f"{lay.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


# --------------------------------------------------------------------------
# install


def install_fingerprint() -> str:
    h = hashlib.sha256()
    h.update(CONSTRAINTS.read_bytes())
    h.update(SQLITE_PATCH.read_bytes())
    h.update("\n".join(REQUIREMENTS).encode())
    h.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    return h.hexdigest()


def venv_is_current(lay: Layout) -> bool:
    try:
        stamp = lay.install_stamp.read_text().strip()
    except FileNotFoundError:
        return False
    return stamp == install_fingerprint() and lay.bin("uwsgi").exists() and lay.bin("python").exists()


def cmd_install(lay: Layout, args=None) -> int:
    if venv_is_current(lay):
        say(f"venv up to date: {lay.venv}")
        return 0
    t0 = time.monotonic()
    if not lay.bin("python").exists():
        say(f"creating venv {lay.venv}")
        if lay.venv.exists():
            shutil.rmtree(lay.venv)  # a broken half-made venv
        lay.cloud_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(lay.venv)], check=True)
    say(f"pip install {' '.join(REQUIREMENTS)} (-c {CONSTRAINTS.name}); a first install takes 1-2 min (uwsgi compiles)")
    # -qq: only errors. The venv's own pip is used; the machine-wide pip.conf
    # (extra constraint file) applies as well and does not conflict.
    cmd = [
        str(lay.bin("python")), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
        "-c", str(CONSTRAINTS), *REQUIREMENTS,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    if subprocess.run(cmd, env=env, check=False).returncode != 0:
        say("pip install failed (see errors above)")
        return 1
    install_sqlite_patch(lay)
    write_text(lay.install_stamp, install_fingerprint() + "\n")
    say(f"installed in {time.monotonic() - t0:.1f} s")
    return 0


def install_sqlite_patch(lay: Layout) -> None:
    """Put sqlite_immediate.py (see its docstring) into the venv, loaded by a .pth file."""
    site = subprocess.run([str(lay.bin("python")), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    shutil.copyfile(SQLITE_PATCH, os.path.join(site, "imagecat_sqlite_immediate.py"))
    write_text(Path(site) / "imagecat_sqlite_immediate.pth", "import imagecat_sqlite_immediate\n")


def ensure_installed(lay: Layout) -> None:
    if not venv_is_current(lay) and cmd_install(lay) != 0:
        raise CloudError("install failed")


# --------------------------------------------------------------------------
# Ports and passwords


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR like uwsgi, so sockets in TIME_WAIT from the last run still count as free.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def choose_ports(lay: Layout, names: list) -> dict:
    """Reuse the recorded port of each service when it is still free, else pick a new one."""
    recorded = read_json(lay.ports_file) or {}
    ports, taken = {}, set()
    for name in names:
        port = recorded.get(name)
        if not (isinstance(port, int) and port not in taken and port_is_free(port)):
            if port:
                say(f"port {port} of {name} is busy; picking another one")
            port = None
            for dummy in range(200):
                candidate = random.randint(*PORT_RANGE)
                if candidate not in taken and port_is_free(candidate):
                    port = candidate
                    break
            if port is None:
                raise CloudError(f"no free port found for {name}")
        ports[name] = port
        taken.add(port)
    if ports != recorded:
        write_text(lay.ports_file, json.dumps(ports, indent=2) + "\n")
    return ports


def load_or_create_passwords(lay: Layout, keystone_initialized: bool) -> dict:
    names = ["admin"] + list(USERS)
    pw = read_json(lay.passwords_file)
    if pw and all(n in pw for n in names):
        return pw
    if pw and keystone_initialized and "admin" in pw:
        return image_api_extras.add_missing_passwords(lay, pw, names, write_text)
    if keystone_initialized:
        raise CloudError(f"{lay.passwords_file} is missing but Keystone is already set up; run 'reset'")
    pw = {n: secrets.token_urlsafe(18) for n in names}
    write_text(lay.passwords_file, json.dumps(pw, indent=2) + "\n", mode=0o600)
    return pw


# --------------------------------------------------------------------------
# Config rendering


def render_ini(sections: dict) -> str:
    """oslo.config / uwsgi ini. Values never carry comments: oslo.config would keep them."""
    out = []
    for section, options in sections.items():
        out.append(f"[{section}]")
        for key, value in options:
            out.append(f"{key} = {value}")
        out.append("")
    return "# Generated by tools/local_cloud/cloud.py; rewritten on every 'up'.\n" + "\n".join(out)


def uwsgi_ini(lay: Layout, port: int, module: str, processes: int, threads: int, env: list, extra: list) -> str:
    # Flags are written as 1: several uwsgi options (http-keepalive) parse an int.
    options = [
        ("strict", "1"),
        ("master", "1"),
        # The --http router with keep-alive; --http-socket breaks keep-alive clients.
        ("http", f"{HOST}:{port}"),
        ("http-keepalive", "1"),
        ("http-timeout", "300"),
        ("socket-timeout", "120"),
        ("virtualenv", str(lay.venv)),
        ("module", module),
        ("need-app", "1"),
        ("lazy-apps", "1"),
        ("processes", str(processes)),
        ("threads", str(threads)),
        ("enable-threads", "1"),
        ("die-on-term", "1"),
        # Without this, workers that ignore the shutdown signal keep the master
        # alive for 60 s (seen with Glance).
        ("worker-reload-mercy", "3"),
        ("reload-mercy", "3"),
        *extra,
        *[("env", e) for e in env],
    ]
    return render_ini({"uwsgi": options})


def write_keystone_config(lay: Layout, ports: dict) -> None:
    svc = keystone_service(lay)
    d = svc.config_dir
    conf = d / "keystone.conf"
    write_text(conf, render_ini({
        "DEFAULT": [("debug", "false"), ("public_endpoint", url_for(ports["keystone"]))],
        "database": [("connection", f"sqlite:///{d / 'keystone.db'}?timeout=30")],
        "token": [("provider", "fernet")],
        "fernet_tokens": [("key_repository", str(d / "fernet-keys"))],
        "fernet_receipts": [("key_repository", str(d / "fernet-keys"))],
        "credential": [("key_repository", str(d / "credential-keys"))],
        # Fewest bcrypt rounds: every token request checks a password, and this
        # is a throw-away test cloud.
        # max_password_length = 72 (bcrypt's limit) stops a warning on every login.
        "identity": [("password_hash_rounds", "4"), ("max_password_length", "72")],
        "oslo_concurrency": [("lock_path", str(d / "locks"))],
    }))
    write_text(svc.uwsgi_ini, uwsgi_ini(
        lay, ports["keystone"], "keystone.wsgi.api:application", processes=2, threads=2,
        env=[f"OS_KEYSTONE_CONFIG_FILES={conf}", "IMAGECAT_SQLITE_IMMEDIATE=1"], extra=[],
    ))


def write_glance_config(lay: Layout, inst: GlanceInstance, ports: dict, passwords: dict) -> None:
    """Render one Glance instance (config dir = state/<name>/) with its own DB and stores."""
    svc = glance_service(lay, inst)
    d = svc.config_dir
    port = ports[inst.name]
    keystone = url_for(ports["keystone"])
    for sub in ["locks", "cache", "staging", "tasks"] + [f"stores/{s}" for s in STORES]:
        (d / sub).mkdir(parents=True, exist_ok=True)
    # An unwritable store's directory lies under a regular file, so makedirs fails even for root.
    for store in inst.unwritable_stores:
        blocker = d / "stores" / f"{store}-not-mounted"
        if not blocker.is_file():
            write_text(blocker, "This file stands where a store volume would be mounted; see cloud.py.\n")

    # The wheel's sample paste file works as it is; only the healthcheck
    # "disable" file is moved off /etc.
    paste = (lay.venv / "etc" / "glance" / "glance-api-paste.ini").read_text()
    paste = paste.replace("/etc/glance/healthcheck_disable", str(d / "healthcheck_disable"))
    write_text(d / "glance-api-paste.ini", paste)

    store_sections = {}
    for i, store in enumerate(STORES):
        opts = [
            ("filesystem_store_datadir", f"{d / 'stores' / store}/"),
            ("store_description", f"{store.capitalize()} local file store ({inst.region})"),
        ]
        if i == 0:
            opts.append(("weight", "100"))
        store_sections[store] = opts
    for store in inst.unwritable_stores:
        store_sections[store] = [
            ("filesystem_store_datadir", f"{d / 'stores' / f'{store}-not-mounted' / 'data'}/"),
            ("store_description", f"Unwritable file store ({inst.region}); every write fails"),
        ]

    limit_options, limit_sections = limits.glance_options(inst, keystone, passwords, DOMAIN)
    write_text(d / "glance-api.conf", render_ini({
        "DEFAULT": limit_options + [
            ("debug", "false"),
            ("public_endpoint", url_for(port)),
            ("enabled_backends", ",".join([f"{s}:file" for s in inst.stores] + image_api_extras.http_backends(inst))),
            # Lists declared with bounds=True need the brackets.
            ("enabled_import_methods", "[%s]" % ",".join(inst.import_methods)),
            ("image_size_cap", str(1 << 40)),
            ("user_storage_quota", "0"),
            *([("image_cache_dir", str(d / "cache")), ("image_cache_driver", "centralized_db")] if inst.cache else []),
            ("worker_self_reference_url", url_for(port)),
        ],
        "database": [("connection", f"sqlite:///{d / 'glance.sqlite'}?timeout=30")],
        "paste_deploy": [("flavor", "keystone"), ("config_file", str(d / "glance-api-paste.ini"))],
        "keystone_authtoken": [
            ("www_authenticate_uri", keystone),
            ("auth_url", keystone),
            ("auth_type", "password"),
            ("username", "glance"),
            ("password", passwords["glance"]),
            ("project_name", "service"),
            ("user_domain_name", DOMAIN),
            ("project_domain_name", DOMAIN),
            # Keystone's own endpoints are in KEYSTONE_REGION whatever region this Glance serves.
            ("region_name", KEYSTONE_REGION),
            ("service_token_roles_required", "true"),
        ],
        "glance_store": [("default_backend", STORES[0])],
        **store_sections,
        **image_api_extras.http_store_sections(inst),
        "os_glance_staging_store": [("filesystem_store_datadir", f"{d / 'staging'}/")],
        "os_glance_tasks_store": [("filesystem_store_datadir", f"{d / 'tasks'}/")],
        "import_filtering_opts": [("allowed_hosts", "[127.0.0.1]"), ("allowed_ports", "[]")],
        "oslo_concurrency": [("lock_path", str(d / "locks"))],
        **limit_sections,
    }), mode=0o600)
    write_text(svc.uwsgi_ini, uwsgi_ini(
        lay, port, "glance.wsgi.api:application", processes=inst.processes, threads=4,
        # Glance reads <OS_GLANCE_CONFIG_DIR>/glance-api.conf and nothing else.
        env=[f"OS_GLANCE_CONFIG_DIR={d}", "IMAGECAT_SQLITE_IMMEDIATE=1"],
        extra=[("http-chunked-input", "1"), ("buffer-size", "65535")],
    ))


# --------------------------------------------------------------------------
# One-time initialisation (keystone-manage, glance-manage)


def run_steps_in_parallel(lay: Layout, steps: list) -> None:
    """Run (label, argv, extra_env) commands at once; raise with the output of any that fails."""
    lay.logs.mkdir(parents=True, exist_ok=True)
    running = []
    for label, argv, extra_env in steps:
        log = lay.logs / f"setup-{label}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env={**service_env(lay), **extra_env}, cwd=lay.state)
        running.append((label, proc, log))
    failed = []
    for label, proc, log in running:
        if proc.wait() != 0:
            failed.append((label, log))
    for label, log in failed:
        print_log_tail(label, log)
    if failed:
        raise CloudError("set-up step(s) failed: " + ", ".join(label for label, dummy in failed))


def keystone_initialized(lay: Layout) -> bool:
    return (keystone_service(lay).config_dir / ".initialized").exists()


def initialize_databases(lay: Layout, ports: dict, passwords: dict) -> None:
    """First-time set-up: Keystone DB + keys + bootstrap, Glance db_sync (each only once)."""
    ks = keystone_service(lay)
    conf = str(ks.config_dir / "keystone.conf")
    manage = str(lay.bin("keystone-manage"))
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    first = []
    if not keystone_initialized(lay):
        say("first start: keystone-manage db_sync/fernet_setup/credential_setup")
        first += [
            ("keystone-db_sync", [manage, "--config-file", conf, "db_sync"], {}),
            ("keystone-fernet_setup", [manage, "--config-file", conf, "fernet_setup",
                                       "--keystone-user", user, "--keystone-group", group], {}),
            ("keystone-credential_setup", [manage, "--config-file", conf, "credential_setup",
                                           "--keystone-user", user, "--keystone-group", group], {}),
        ]
    for inst in GLANCE_INSTANCES:
        d = glance_service(lay, inst).config_dir
        if not (d / ".db_synced").exists():
            say(f"first start: glance-manage db_sync ({inst.name})")
            # Then the default metadefs, in the same step: hidden behind Keystone's longer set-up.
            first.append((f"{inst.name}-db_sync", image_api_extras.then_load_metadefs(lay, d, [
                str(lay.bin("glance-manage")), "--config-file", str(d / "glance-api.conf"), "db_sync"]), {}))
    # They touch different files, so run them together (saves ~10 s on 2 cores).
    t0 = time.monotonic()
    run_steps_in_parallel(lay, first)
    for inst in GLANCE_INSTANCES:
        (glance_service(lay, inst).config_dir / ".db_synced").touch()
    run_steps_in_parallel(lay, image_api_extras.metadefs_steps(lay, GLANCE_INSTANCES, glance_service))
    if not keystone_initialized(lay):
        api = f"{url_for(ports['keystone'])}/v3"
        say("first start: keystone-manage bootstrap")
        run_steps_in_parallel(lay, [(
            "keystone-bootstrap",
            [manage, "--config-file", conf, "bootstrap",
             "--bootstrap-username", "admin", "--bootstrap-project-name", "admin",
             "--bootstrap-role-name", "admin", "--bootstrap-service-name", "keystone",
             "--bootstrap-region-id", KEYSTONE_REGION,
             "--bootstrap-admin-url", api, "--bootstrap-internal-url", api, "--bootstrap-public-url", api],
            # Through the environment, so the password is not visible in ps.
            {"OS_BOOTSTRAP_PASSWORD": passwords["admin"]},
        )])
        (ks.config_dir / ".initialized").touch()
    if first:
        say(f"databases initialised in {time.monotonic() - t0:.1f} s")


# --------------------------------------------------------------------------
# Processes: start, identify, stop


def proc_cmdline(pid: int) -> list:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def proc_stat(pid: int):
    """(state, ppid, starttime) from /proc/<pid>/stat, or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def alive(pid: int) -> bool:
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def is_our_uwsgi(pid: int, svc: Service) -> bool:
    """True only for a uwsgi started from this cloud's ini file of that service."""
    args = proc_cmdline(pid)
    return bool(args) and "uwsgi" in os.path.basename(args[0]) and str(svc.uwsgi_ini) in args and alive(pid)


def read_pidfile(svc: Service):
    try:
        return int(svc.pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def running_master(svc: Service):
    """The master pid of the service if it runs, verified against its command line."""
    pid = read_pidfile(svc)
    return pid if pid and is_our_uwsgi(pid, svc) else None


def all_pids() -> list:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def descendants(root: int) -> set:
    children = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st:
            children.setdefault(st[1], []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def rotate_log(path: Path) -> None:
    if path.exists() and path.stat().st_size:
        os.replace(path, path.with_name(path.name + ".1"))


def start_uwsgi(lay: Layout, svc: Service) -> subprocess.Popen:
    lay.run.mkdir(parents=True, exist_ok=True)
    lay.logs.mkdir(parents=True, exist_ok=True)
    rotate_log(svc.log)
    with open(svc.log, "w") as log:
        # Own session: Ctrl-C in the calling terminal or make must not kill the cloud.
        proc = subprocess.Popen(
            [str(lay.bin("uwsgi")), "--ini", str(svc.uwsgi_ini)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=service_env(lay), cwd=svc.config_dir, start_new_session=True,
        )
    # uwsgi is not daemonized, so the child we started is the master.
    write_text(svc.pidfile, f"{proc.pid}\n")
    return proc


def stop_services(services: list, quiet: bool = False) -> None:
    """SIGTERM our uwsgi masters, then SIGKILL whatever is left after STOP_GRACE.

    Only processes whose command line names this cloud's uwsgi ini file are
    touched: the master from the pidfile, its descendants, and strays (workers
    whose master died) found by that same command line.
    """
    targets = {}  # pid -> (starttime, service name): guards against pid reuse
    masters, managed = [], set()  # managed: processes a master of ours will stop
    for svc in services:
        pids = {p for p in all_pids() if is_our_uwsgi(p, svc)}
        master = running_master(svc)
        if master:
            tree = {master} | descendants(master)
            masters.append(master)
            managed |= tree
            pids |= tree
        for pid in pids:
            st = proc_stat(pid)
            if st:
                targets[pid] = (st[2], svc.name)
    if not targets:
        if not quiet:
            say("nothing running")
        for svc in services:
            svc.pidfile.unlink(missing_ok=True)
        return

    def still_ours(pid):
        st = proc_stat(pid)
        return st is not None and st[0] not in ("Z", "X") and st[2] == targets[pid][0]

    def signal_pids(pids, sig):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    t0 = time.monotonic()
    # Masters shut their workers down; orphans (whose master is gone) get the signal directly.
    orphans = [p for p in targets if p not in managed]
    signal_pids(masters + orphans, signal.SIGTERM)
    while time.monotonic() - t0 < STOP_GRACE and any(still_ours(p) for p in targets):
        time.sleep(0.1)
    left = [p for p in targets if still_ours(p)]
    if left:
        say(f"SIGKILL to {len(left)} process(es) still running after {STOP_GRACE:.0f} s")
        signal_pids(left, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(still_ours(p) for p in left):
            time.sleep(0.05)
    for svc in services:
        svc.pidfile.unlink(missing_ok=True)
    if not quiet:
        names = sorted({name for dummy, name in targets.values()})
        say(f"stopped {', '.join(names)} ({len(targets)} processes) in {time.monotonic() - t0:.1f} s")


# --------------------------------------------------------------------------
# HTTP (stdlib; proxies disabled: everything is on loopback)

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method: str, url: str, body=None, token: str = None, timeout: float = 10.0,
         accept: str = "application/json"):
    """Return (status, headers, parsed JSON or raw bytes). Never raises on HTTP errors."""
    headers = {"Accept": accept}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["X-Auth-Token"] = token
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    try:
        return status, hdrs, json.loads(raw) if raw else None
    except ValueError:
        return status, hdrs, raw


def get_token(keystone: str, user: str, password: str, project: str):
    """Project-scoped token for a user of the Default domain: (token, token body)."""
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": DOMAIN}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": DOMAIN}}},
    }}
    status, headers, data = http("POST", f"{keystone}/v3/auth/tokens", body)
    if status != 201:
        raise CloudError(f"token for {user} on {project}: HTTP {status}: {data}")
    return headers["X-Subject-Token"], data["token"]


def keystone_ok(port: int) -> bool:
    try:
        return http("GET", f"{url_for(port)}/v3", timeout=3)[0] == 200
    except OSError:
        return False


def glance_ok(port: int) -> bool:
    try:
        # oslo.middleware answers a bare "OK" only to text/plain.
        status, dummy, body = http("GET", f"{url_for(port)}/healthcheck", timeout=3, accept="text/plain")
    except OSError:
        return False
    return status == 200 and isinstance(body, bytes) and body.strip() == b"OK"


def wait_until(svc: Service, what: str, check, proc=None, timeout: float = START_TIMEOUT) -> None:
    """Poll check() until true; fail early with the log tail if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        dead = proc.poll() is not None if proc else running_master(svc) is None
        if dead or time.monotonic() > deadline:
            print_log_tail(svc.name, svc.log)
            reason = "exited" if dead else f"not ready after {timeout:.0f} s"
            raise CloudError(f"{svc.name}: {what} failed ({reason}); log: {svc.log}")
        time.sleep(0.25)


# --------------------------------------------------------------------------
# Keystone resources (idempotent: run on every start)


class KeystoneAdmin:
    def __init__(self, url: str, token: str):
        self.url = url
        self.token = token

    def call(self, method: str, path: str, body=None, ok=(200, 201, 204)):
        status, dummy, data = http(method, f"{self.url}/v3{path}", body, token=self.token)
        if status not in ok:
            raise CloudError(f"Keystone {method} {path}: HTTP {status}: {data}")
        return status, data

    def find(self, collection: str, query: str):
        items = self.call("GET", f"/{collection}?{query}")[1][collection]
        return items[0] if items else None

    def ensure_project(self, name: str, description: str) -> str:
        found = self.find("projects", f"name={name}&domain_id=default")
        if found:
            return found["id"]
        body = {"project": {"name": name, "domain_id": "default", "description": description, "enabled": True}}
        return self.call("POST", "/projects", body)[1]["project"]["id"]

    def ensure_user(self, name: str, password: str, project_id: str) -> str:
        # An existing user keeps its password: passwords.json is the source of both.
        found = self.find("users", f"name={name}&domain_id=default")
        if found:
            return found["id"]
        body = {"user": {"name": name, "domain_id": "default", "password": password,
                         "default_project_id": project_id, "enabled": True}}
        return self.call("POST", "/users", body)[1]["user"]["id"]

    def role_ids(self) -> dict:
        return {r["name"]: r["id"] for r in self.call("GET", "/roles")[1]["roles"]}

    def grant(self, project_id: str, user_id: str, role_id: str) -> None:
        self.call("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")

    def ensure_region(self, region: str) -> None:
        status, dummy = self.call("GET", f"/regions/{region}", ok=(200, 404))
        if status == 404:
            self.call("POST", "/regions", {"region": {"id": region}})

    def ensure_service(self, type_: str, name: str, description: str) -> str:
        for svc in self.call("GET", f"/services?type={type_}")[1]["services"]:
            if svc["name"] == name:
                return svc["id"]
        body = {"service": {"type": type_, "name": name, "description": description, "enabled": True}}
        return self.call("POST", "/services", body)[1]["service"]["id"]

    def ensure_endpoints(self, service_id: str, region: str, url: str) -> None:
        """public/internal/admin endpoints at url; fixes them when a port changed."""
        existing = self.call("GET", f"/endpoints?service_id={service_id}&region_id={region}")[1]["endpoints"]
        by_interface = {e["interface"]: e for e in existing if e.get("region_id") == region}
        for interface in ("public", "internal", "admin"):
            ep = by_interface.get(interface)
            if ep is None:
                self.call("POST", "/endpoints", {"endpoint": {
                    "service_id": service_id, "interface": interface, "region_id": region,
                    "url": url, "enabled": True}})
            elif ep["url"] != url:
                self.call("PATCH", f"/endpoints/{ep['id']}", {"endpoint": {"url": url}})


def provision_keystone(ports: dict, passwords: dict) -> dict:
    """Projects, users, roles, the image service and endpoints. Returns project ids."""
    keystone = url_for(ports["keystone"])
    token, body = get_token(keystone, "admin", passwords["admin"], "admin")
    ks = KeystoneAdmin(keystone, token)
    projects = {"admin": body["project"]["id"]}
    for name, description in PROJECTS.items():
        projects[name] = ks.ensure_project(name, description)
    roles = ks.role_ids()
    for user, (project, user_roles) in USERS.items():
        uid = ks.ensure_user(user, passwords[user], projects[project])
        for role in user_roles:
            ks.grant(projects[project], uid, roles[role])
    # Keystone's own endpoints were bootstrapped with the port of that time.
    identity_id = ks.ensure_service("identity", "keystone", "Identity")
    ks.ensure_endpoints(identity_id, KEYSTONE_REGION, f"{keystone}/v3")
    image_id = ks.ensure_service("image", "glance", "Image service")
    for inst in GLANCE_INSTANCES:
        ks.ensure_region(inst.region)
        ks.ensure_endpoints(image_id, inst.region, url_for(ports[inst.name]))
    limits.provision(ks, image_id, GLANCE_INSTANCES)
    return projects


def glance_accepts_demo(ports: dict, passwords: dict, inst: GlanceInstance, seen: set) -> bool:
    """An authenticated call as demo: proves Glance validates tokens with its service user."""
    token, dummy = get_token(url_for(ports["keystone"]), "demo", passwords["demo"], "demo")
    status, dummy, body = http("GET", f"{url_for(ports[inst.name])}/v2/images", token=token)
    if status != 200 and status not in seen:
        seen.add(status)  # report each failure kind once, not on every poll
        say(f"{inst.name}: GET /v2/images as demo gave HTTP {status}: {str(body)[:200]}")
    return status == 200


# --------------------------------------------------------------------------
# Outputs for the tests


def write_clouds_yaml(lay: Layout, ports: dict, passwords: dict) -> None:
    def q(value):  # a JSON string is a valid YAML double-quoted scalar
        return json.dumps(value)

    auth_url = f"{url_for(ports['keystone'])}/v3"
    lines = ["# Generated by tools/local_cloud/cloud.py for the local test cloud.", "clouds:"]
    for user in CLOUD_USERS:
        project = "admin" if user == "admin" else USERS[user][0]
        lines += [
            f"  {user}:",
            "    auth:",
            f"      auth_url: {q(auth_url)}",
            f"      username: {q(user)}",
            f"      password: {q(passwords[user])}",
            f"      project_name: {q(project)}",
            f"      user_domain_name: {q(DOMAIN)}",
            f"      project_domain_name: {q(DOMAIN)}",
            # A list, so region_name may pick any of them; the first is the default.
            "    regions:",
            *[f"      - {q(inst.region)}" for inst in GLANCE_INSTANCES],
            "    interface: public",
            "    identity_api_version: 3",
        ]
    write_text(lay.clouds_yaml, "\n".join(lines) + "\n", mode=0o600)


def write_cloud_json(lay: Layout, ports: dict, projects: dict) -> dict:
    ks = keystone_service(lay)
    glances = {}
    for inst in GLANCE_INSTANCES:
        svc = glance_service(lay, inst)
        glances[inst.name] = {
            "url": url_for(ports[inst.name]), "region": inst.region, "port": ports[inst.name],
            "pid": read_pidfile(svc), "log": str(svc.log), "config_dir": str(svc.config_dir),
            "stores": inst.stores, "default_store": STORES[0],
            "unwritable_stores": list(inst.unwritable_stores),
            "import_methods": list(inst.import_methods),
            "http_store": inst.http_store,
            "cache": inst.cache,
        }
    primary = GLANCE_INSTANCES[0].name
    facts = {
        "keystone_url": url_for(ports["keystone"]),
        "auth_url": f"{url_for(ports['keystone'])}/v3",
        "glance_url": glances[primary]["url"],
        "region_name": KEYSTONE_REGION,
        # Image endpoint of every region (RegionTwo: the source of glance-download tests).
        "regions": {inst.region: glances[inst.name]["url"] for inst in GLANCE_INSTANCES},
        "ports": ports,
        "clouds_yaml": str(lay.clouds_yaml),
        "clouds": CLOUD_USERS,
        "project_ids": projects,
        "pids": {"keystone": read_pidfile(ks), **{n: g["pid"] for n, g in glances.items()}},
        "logs": {"keystone": str(ks.log), **{n: g["log"] for n, g in glances.items()}},
        "glance_instances": glances,
        "venv": str(lay.venv),
        "cloud_dir": str(lay.cloud_dir),
        "state_dir": str(lay.state),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_text(lay.cloud_json, json.dumps(facts, indent=2) + "\n")
    return facts


# --------------------------------------------------------------------------
# Commands


def service_port(svc: Service, ports: dict):
    return ports.get(svc.name) if ports else None


def is_healthy(svc: Service, ports: dict) -> bool:
    port = service_port(svc, ports)
    if not port or not running_master(svc):
        return False
    return keystone_ok(port) if svc.name == "keystone" else glance_ok(port)


def cloud_is_up(lay: Layout) -> bool:
    ports = read_json(lay.ports_file)
    return all(is_healthy(svc, ports) for svc in all_services(lay))


def cmd_up(lay: Layout, args=None) -> int:
    t0 = time.monotonic()
    ensure_installed(lay)
    if cloud_is_up(lay) and lay.cloud_json.exists() and lay.clouds_yaml.exists():
        say(f"already running (keystone {read_json(lay.cloud_json).get('keystone_url')}); "
            f"checked in {time.monotonic() - t0:.1f} s")
        return 0
    services = all_services(lay)
    # A half-started or half-dead cloud from before: start from nothing.
    stop_services(services, quiet=True)
    lay.state.mkdir(parents=True, exist_ok=True)
    ports = choose_ports(lay, ["keystone"] + [g.name for g in GLANCE_INSTANCES])
    passwords = load_or_create_passwords(lay, keystone_initialized(lay))
    write_keystone_config(lay, ports)
    for inst in GLANCE_INSTANCES:
        write_glance_config(lay, inst, ports, passwords)
    try:
        initialize_databases(lay, ports, passwords)
        # Glance needs Keystone only when requests arrive: start all at once.
        procs = {svc.name: start_uwsgi(lay, svc) for svc in services}
        ks = services[0]
        wait_until(ks, "GET /v3", lambda: keystone_ok(ports["keystone"]), procs[ks.name])
        say(f"keystone up at {url_for(ports['keystone'])}/v3")
        projects = provision_keystone(ports, passwords)
        for inst, svc in zip(GLANCE_INSTANCES, services[1:]):
            wait_until(svc, "GET /healthcheck", lambda: glance_ok(ports[inst.name]), procs[svc.name])
            seen = set()
            wait_until(svc, "GET /v2/images as demo",
                       lambda: glance_accepts_demo(ports, passwords, inst, seen), procs[svc.name], timeout=30)
            say(f"{inst.name} up at {url_for(ports[inst.name])} ({inst.region})")
    except BaseException:
        # Leave nothing half-running behind; logs stay for inspection.
        stop_services(services, quiet=True)
        raise
    write_clouds_yaml(lay, ports, passwords)
    facts = write_cloud_json(lay, ports, projects)
    emit(f"Local cloud is up in {time.monotonic() - t0:.1f} s")
    emit(f"  keystone:     {facts['auth_url']}")
    for name, g in facts["glance_instances"].items():
        emit(f"  {name + ':':<13} {g['url']} (region {g['region']}, stores {', '.join(g['stores'])})")
    emit(f"  clouds:       {', '.join(CLOUD_USERS)} in {lay.clouds_yaml}")
    emit(f"  facts:        {lay.cloud_json}")
    emit(f"  environment:  export OS_CLIENT_CONFIG_FILE={shlex.quote(str(lay.clouds_yaml))}")
    return 0


def _import_nova():
    # nova.py imports this file as "cloud": let it get this very module (and its CloudError).
    sys.modules.setdefault("cloud", sys.modules[__name__])
    import nova
    return nova


def optional_services(lay: Layout) -> list:
    """Services started only for the tests that need them (nova.py): 'down' and 'reset' stop them too."""
    nova = _import_nova()
    # Hook: the TLS and short-token fronts of fronts.py.
    import fronts
    return [nova.nova_service(lay)] + fronts.all_front_services(lay)


def cmd_compute_up(lay: Layout, args=None) -> int:
    return _import_nova().cmd_compute_up(lay, args)


def cmd_compute_down(lay: Layout, args=None) -> int:
    return _import_nova().cmd_compute_down(lay, args)


def cmd_down(lay: Layout, args=None) -> int:
    stop_services(all_services(lay) + optional_services(lay))
    return 0


def cmd_status(lay: Layout, args=None) -> int:
    ports = read_json(lay.ports_file) or {}
    healthy = True
    for svc in all_services(lay):
        pid = running_master(svc)
        port = service_port(svc, ports)
        if not pid:
            state = "stopped"
        elif is_healthy(svc, ports):
            state = f"running (pid {pid}, {url_for(port)})"
        else:
            state = f"UNHEALTHY (pid {pid}, {url_for(port) if port else 'no port'}; log {svc.log})"
        healthy = healthy and state.startswith("running")
        emit(f"{svc.name}: {state}")
    return 0 if healthy else 1


def cmd_env(lay: Layout, args=None) -> int:
    emit(f"export OS_CLIENT_CONFIG_FILE={shlex.quote(str(lay.clouds_yaml))}")
    return 0


def cmd_reset(lay: Layout, args=None) -> int:
    stop_services(all_services(lay) + optional_services(lay))
    for path in (lay.clouds_yaml, lay.cloud_json):
        path.unlink(missing_ok=True)
    if lay.state.exists():
        shutil.rmtree(lay.state)
    say(f"state removed (venv kept: {lay.venv})")
    return 0


COMMANDS = {
    "install": (cmd_install, "create/update the venv with Keystone, Glance and uwsgi"),
    "up": (cmd_up, "start Keystone and Glance (installs and initialises when needed)"),
    "down": (cmd_down, "stop the services this tool started"),
    "status": (cmd_status, "show running/stopped; exit 0 only when all are healthy"),
    "env": (cmd_env, "print the export line for OS_CLIENT_CONFIG_FILE"),
    "reset": (cmd_reset, "down, then delete all state except the venv"),
    "compute-up": (cmd_compute_up, "start nova-api (Compute's images proxy, nova.py) on the running cloud"),
    "compute-down": (cmd_compute_down, "stop nova-api"),
}


def hold_lock(lay: Layout):
    """Serialise commands that change the cloud (two 'up's at once would race on ports and DBs)."""
    lay.cloud_dir.mkdir(parents=True, exist_ok=True)
    f = open(lay.cloud_dir / ".lock", "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("another cloud.py command is running; waiting for it")
        fcntl.flock(f, fcntl.LOCK_EX)
    return f  # the lock lasts as long as this file object


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (dummy, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    lay = Layout(default_cloud_dir())
    # Read-only commands need no lock. Children do not inherit the lock's fd (close_fds).
    lock = hold_lock(lay) if args.command not in ("status", "env") else None
    try:
        return COMMANDS[args.command][0](lay, args)
    except CloudError as e:
        emit(f"local-cloud: ERROR: {e}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if lock:
            lock.close()


if __name__ == "__main__":
    sys.exit(main())
