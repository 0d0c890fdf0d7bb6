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


def metadefs_steps(lay, instances, glance_service) -> list:
    """glance-manage steps (for cloud.run_steps_in_parallel) for each Glance without metadefs yet.

    The marker is written by the step itself, after a successful load, so a failed load is retried
    by the next 'up'.
    """
    path = lay.venv / "etc" / "glance" / "metadefs"
    steps = []
    for inst in instances:
        d = glance_service(lay, inst).config_dir
        if (d / METADEFS_MARKER).exists():
            continue
        manage = " ".join(shlex.quote(str(a)) for a in [
            lay.bin("glance-manage"), "--config-file", d / "glance-api.conf", "db", "load_metadefs", "--path", path])
        marker = shlex.quote(str(d / METADEFS_MARKER))
        steps.append((f"{inst.name}-load_metadefs", ["/bin/sh", "-c", f"{manage} && touch {marker}"], {}))
    return steps


def add_missing_passwords(lay, passwords: dict, names: list, write_text) -> dict:
    """Passwords for users added to the cloud after its Keystone was set up (they do not exist yet)."""
    for name in names:
        passwords.setdefault(name, secrets.token_urlsafe(18))
    write_text(lay.passwords_file, json.dumps(passwords, indent=2) + "\n", mode=0o600)
    return passwords
