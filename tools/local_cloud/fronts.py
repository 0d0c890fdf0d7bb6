"""Optional fronts of the local cloud, started only by the tests that need them.

  fronts.py up tls          Keystone and Glance over TLS, with a CA made at start-up (openssl)
  fronts.py up short-token  a Keystone whose tokens live SHORT_TOKEN_SECONDS
  fronts.py down            stop every front
  fronts.py status          print <state>/fronts.json

Each front is one more uwsgi process of a service the cloud already runs, on its own
loopback port, sharing the service's database and keys, so its tokens and images are the
cloud's own:

- keystone-tls: Keystone behind uwsgi's https router (server certificate only), with
  ``public_endpoint`` on https so version discovery stays on TLS.
- glance-tls: the cloud's first Glance behind an https router that asks for a client
  certificate signed by the same CA.
- keystone-short: Keystone with ``[token] expiration = SHORT_TOKEN_SECONDS``.

Everything goes under <cloud dir>/state/fronts/; the facts (URLs, CA, certificates, keys)
are written to <cloud dir>/state/fronts.json. ``cloud.py down`` stops the fronts too. The
demo never starts them. Standard library (and the openssl command) only.
"""

import configparser
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cloud  # noqa: E402  (the sibling script: layout, uwsgi and process helpers)

SHORT_TOKEN_SECONDS = 12
FRONTS = {"tls": ("keystone-tls", "glance-tls"), "short-token": ("keystone-short",)}


def fronts_dir(lay):
    return lay.state / "fronts"


def facts_file(lay):
    return lay.state / "fronts.json"


def service(lay, name):
    d = fronts_dir(lay) / name
    return cloud.Service(name, d, lay.run / f"{name}.pid", lay.logs / f"{name}.log")


def all_front_services(lay):
    return [service(lay, name) for names in FRONTS.values() for name in names]


def openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise cloud.CloudError("openssl %s failed: %s" % (args[0], result.stderr.strip()))


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by that CA.

    Also a key that belongs to no certificate (for the wrong-client-key test). Made anew on
    every 'up', so no test depends on a certificate of an earlier run.
    """
    d.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=imagecat local test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    (d / "server.ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage = clientAuth\n")
    for name in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=imagecat local test {name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)
    openssl("genrsa", "-out", "other.key", "2048", cwd=d)
    for path in d.iterdir():
        path.chmod(0o600)
    return {"ca_cert": str(d / "ca.pem"), "server_cert": str(d / "server.pem"), "server_key": str(d / "server.key"),
            "client_cert": str(d / "client.pem"), "client_key": str(d / "client.key"),
            "wrong_client_key": str(d / "other.key")}


def keystone_variant(lay, name, port, public_url, token_seconds=None):
    """A copy of the cloud's keystone.conf with another public_endpoint (and token lifetime)."""
    source = cloud.keystone_service(lay).config_dir / "keystone.conf"
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(source)
    conf["DEFAULT"]["public_endpoint"] = public_url
    if token_seconds:
        conf["token"]["expiration"] = str(token_seconds)
        # Tokens that just expired are not accepted for anything (no grace for the test).
        conf["token"]["allow_expired_window"] = "0"
    target = service(lay, name).config_dir / "keystone.conf"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w") as handle:
        conf.write(handle)
    return target


def uwsgi_ini(lay, svc, listen, module, env, extra=()):
    """The cloud's uwsgi ini for a service, with ``listen`` (an http or https line) as its router."""
    text = cloud.uwsgi_ini(lay, 0, module, processes=1, threads=4, env=env, extra=list(extra))
    lines = [line for line in text.splitlines() if not line.startswith("http = ")]
    lines.insert(lines.index("[uwsgi]") + 1, listen)
    cloud.write_text(svc.uwsgi_ini, "\n".join(lines) + "\n")


def up(lay, kind):
    if not cloud.cloud_is_up(lay):
        raise cloud.CloudError("the local cloud is not running: run 'cloud.py up' first")
    facts = cloud.read_json(facts_file(lay)) or {}
    names = list(FRONTS[kind])
    services = [service(lay, name) for name in names]
    cloud.stop_services(services, quiet=True)
    ports = choose_ports(lay, names)
    if kind == "tls":
        pki = make_pki(fronts_dir(lay) / "pki")
        server = f"{pki['server_cert']},{pki['server_key']}"
        ks = services[0]
        ks_url = f"https://{cloud.HOST}:{ports['keystone-tls']}"
        conf = keystone_variant(lay, ks.name, ports["keystone-tls"], ks_url)
        uwsgi_ini(lay, ks, f"https = {cloud.HOST}:{ports['keystone-tls']},{server}",
                  "keystone.wsgi.api:application", [f"OS_KEYSTONE_CONFIG_FILES={conf}", "IMAGECAT_SQLITE_IMMEDIATE=1"])
        glance = services[1]
        glance_dir = cloud.glance_service(lay, cloud.GLANCE_INSTANCES[0]).config_dir
        # "!" before the CA: uwsgi's https router then requires a client certificate signed by it.
        uwsgi_ini(lay, glance, f"https = {cloud.HOST}:{ports['glance-tls']},{server},HIGH,!{pki['ca_cert']}",
                  "glance.wsgi.api:application", [f"OS_GLANCE_CONFIG_DIR={glance_dir}", "IMAGECAT_SQLITE_IMMEDIATE=1"],
                  [("http-chunked-input", "1"), ("buffer-size", "65535")])
        facts["tls"] = dict(pki, keystone_url=ks_url, auth_url=f"{ks_url}/v3",
                            glance_url=f"https://{cloud.HOST}:{ports['glance-tls']}")
        checks = [(ks, lambda: _tls_ok(f"{ks_url}/v3", pki)),
                  (glance, lambda: _tls_ok(f"{facts['tls']['glance_url']}/versions", pki, client=True))]
    else:
        ks = services[0]
        url = cloud.url_for(ports["keystone-short"])
        conf = keystone_variant(lay, ks.name, ports["keystone-short"], url, token_seconds=SHORT_TOKEN_SECONDS)
        uwsgi_ini(lay, ks, f"http = {cloud.HOST}:{ports['keystone-short']}", "keystone.wsgi.api:application",
                  [f"OS_KEYSTONE_CONFIG_FILES={conf}", "IMAGECAT_SQLITE_IMMEDIATE=1"])
        facts["short_token"] = {"keystone_url": url, "auth_url": f"{url}/v3", "token_seconds": SHORT_TOKEN_SECONDS}
        checks = [(ks, lambda: cloud.keystone_ok(ports["keystone-short"]))]
    try:
        procs = {svc.name: cloud.start_uwsgi(lay, svc) for svc in services}
        for svc, check in checks:
            cloud.wait_until(svc, "first answer", check, procs[svc.name], timeout=60)
    except BaseException:
        cloud.stop_services(services, quiet=True)
        raise
    cloud.write_text(facts_file(lay), json.dumps(facts, indent=2) + "\n")
    cloud.emit(json.dumps(facts[kind.replace("-", "_")]))
    return 0


def _tls_ok(url, pki, client=False):
    import ssl
    import urllib.error
    import urllib.request
    context = ssl.create_default_context(cafile=pki["ca_cert"])
    if client:
        context.load_cert_chain(pki["client_cert"], pki["client_key"])
    try:
        with urllib.request.urlopen(url, context=context, timeout=3) as response:
            return response.status in (200, 300)
    except urllib.error.HTTPError as error:
        return error.code in (200, 300)
    except OSError:
        return False


def choose_ports(lay, names):
    """Free loopback ports for the fronts, kept in fronts.json's own ports record."""
    record = fronts_dir(lay) / "ports.json"
    fake = cloud.Layout(lay.cloud_dir)
    fake.ports_file = record
    record.parent.mkdir(parents=True, exist_ok=True)
    taken = set((cloud.read_json(lay.ports_file) or {}).values())
    ports = cloud.choose_ports(fake, names)
    if taken & set(ports.values()):
        record.unlink()
        ports = cloud.choose_ports(fake, names)
    return ports


def down(lay, quiet=False):
    cloud.stop_services(all_front_services(lay), quiet=quiet)
    facts_file(lay).unlink(missing_ok=True)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    lay = cloud.Layout(cloud.default_cloud_dir())
    try:
        if argv[:1] == ["up"] and len(argv) == 2 and argv[1] in FRONTS:
            return up(lay, argv[1])
        if argv == ["down"]:
            return down(lay)
        if argv == ["status"]:
            cloud.emit(json.dumps(cloud.read_json(facts_file(lay)) or {}, indent=2))
            return 0
    except cloud.CloudError as error:
        cloud.emit(f"local-cloud fronts: ERROR: {error}", err=True)
        return 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
