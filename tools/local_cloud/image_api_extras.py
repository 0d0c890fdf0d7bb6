"""What the local cloud adds for the tasks, locations and metadefs tests (hooked into cloud.py).

- Glance's default metadata definitions (the JSON files the glance wheel ships under
  <venv>/etc/glance/metadefs) are loaded into every Glance's database once, right after its
  db_sync: `glance-manage db load_metadefs --path ...` takes about 1 s.
- A read-only http store (`HTTP_STORE`) on the Glance of RegionTwo. Glance 33 lets a caller
  without the `service` role add a location (POST /v2/images/{id}/locations, API 2.17) only
  for an http URL, and only when an http store is enabled; the URL must also pass
  [import_filtering_opts] (127.0.0.1 is allowed, so tools/serve_files.py can serve the data).
  It is on RegionTwo so that the store lists of RegionOne stay as the other tests expect.
- A user `svc` in project demo with the `service` role (clouds.yaml entry `svc`): the role
  that may add locations of any store and list locations (GET .../locations).

Standard library only, like cloud.py.
"""

import json
import secrets
import shlex

HTTP_STORE = "web"
# user -> (project, roles), merged into cloud.py's USERS.
USERS = {"svc": ("demo", ["member", "reader", "service"])}
METADEFS_MARKER = ".metadefs_loaded"


def http_backends(inst) -> list:
    """Entries for [DEFAULT] enabled_backends."""
    return [f"{inst.http_store}:http"] if inst.http_store else []


def http_store_sections(inst) -> dict:
    if not inst.http_store:
        return {}
    return {inst.http_store: [("store_description", f"Read-only http store ({inst.region}); locations only")]}


def load_metadefs_command(lay, config_dir) -> str:
    """Shell command: load the metadefs, then write the marker (so a failed load is retried by the next 'up')."""
    manage = " ".join(shlex.quote(str(a)) for a in [
        lay.bin("glance-manage"), "--config-file", config_dir / "glance-api.conf", "db", "load_metadefs",
        "--path", lay.venv / "etc" / "glance" / "metadefs"])
    return f"{manage} && touch {shlex.quote(str(config_dir / METADEFS_MARKER))}"


def then_load_metadefs(lay, config_dir, db_sync_argv) -> list:
    """A first start's db_sync step followed by the metadefs load, as one command."""
    db_sync = " ".join(shlex.quote(str(a)) for a in db_sync_argv)
    return ["/bin/sh", "-c", f"{db_sync} && {load_metadefs_command(lay, config_dir)}"]


def metadefs_steps(lay, instances, glance_service) -> list:
    """Steps (for cloud.run_steps_in_parallel) for each Glance whose database has no metadefs yet:
    clouds set up before the metadefs were added (a first start loads them with its db_sync)."""
    steps = []
    for inst in instances:
        d = glance_service(lay, inst).config_dir
        if not (d / METADEFS_MARKER).exists():
            steps.append((f"{inst.name}-load_metadefs", ["/bin/sh", "-c", load_metadefs_command(lay, d)], {}))
    return steps


def add_missing_passwords(lay, passwords: dict, names: list, write_text) -> dict:
    """Passwords for users added to the cloud after its Keystone was set up (they do not exist yet)."""
    for name in names:
        passwords.setdefault(name, secrets.token_urlsafe(18))
    write_text(lay.passwords_file, json.dumps(passwords, indent=2) + "\n", mode=0o600)
    return passwords
