# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: connection options, defined once, turned into a client.

Modules read the options from ``module.params``; lookup and inventory plugins
read the same names through ``get_option``. Both go through ``OptionAdapter``
so that there is one code path from options to an authenticated session.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import importlib.util
import os
import sys
import types
import warnings

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError

try:
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1 import session as ks_session
    from keystoneauth1 import token_endpoint as ks_token_endpoint
    HAS_KEYSTONEAUTH = True
    KEYSTONEAUTH_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through missing_required_lib
    HAS_KEYSTONEAUTH = False
    KEYSTONEAUTH_IMPORT_ERROR = exc

CONNECTION_OPTIONS = ("cloud", "auth", "auth_type", "region_name", "interface", "validate_certs",
                      "ca_cert", "client_cert", "client_key", "api_timeout", "endpoint", "token")

# Keys of the auth dict whose values are credentials (password, token, secret,
# application_credential_secret, key, passcode, ...). Only their values are masked: usernames,
# project and domain names and auth_url stay readable in results and messages.
SECRET_AUTH_KEY_PARTS = ("password", "secret", "token", "key", "passcode", "otp")

CONNECTION_ARGSPEC = dict(
    cloud=dict(type="str"),
    # Not no_log as a whole (that would mask every username in every result): the modules and
    # plugins add the values of its secret keys to the masked values (auth_secret_values).
    auth=dict(type="dict", no_log=False),
    auth_type=dict(type="str"),
    region_name=dict(type="str"),
    interface=dict(type="str", choices=["public", "internal", "admin"]),
    validate_certs=dict(type="bool", aliases=["verify"]),
    ca_cert=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path", no_log=True),
    api_timeout=dict(type="int"),
    endpoint=dict(type="str"),
    token=dict(type="str", no_log=True),
)


def is_secret_auth_key(key):
    """Whether an auth key holds a credential (its value is masked everywhere)."""
    name = str(key).lower()
    return any(part in name for part in SECRET_AUTH_KEY_PARTS)


def auth_secret_values(auth):
    """The values of the secret keys of an auth dict (nested dicts included), as strings."""
    found = set()
    if isinstance(auth, dict):
        for key, value in auth.items():
            if isinstance(value, dict):
                found |= auth_secret_values(value)
            elif value not in (None, "") and not isinstance(value, bool) and is_secret_auth_key(key):
                found.add(str(value))
    return found


class MissingLibraryError(GlanceError):
    """A Python library the controller or target needs is not installed."""

    def __init__(self, library, error):
        super().__init__("the Python library %s is required: %s" % (library, error))
        self.library = library
        self.error = error


class OptionAdapter:
    """Read connection options from module params or from a plugin's get_option."""

    def __init__(self, getter):
        self._getter = getter

    @classmethod
    def from_dict(cls, values):
        return cls(values.get)

    @classmethod
    def from_plugin(cls, plugin):
        def getter(name):
            return plugin.get_option(name) if plugin.has_option(name) else None
        return cls(getter)

    def get(self, name):
        return self._getter(name)


def _import_openstack_config_loader():
    """Import openstacksdk's clouds.yaml loader without the whole SDK.

    ``import openstack.config`` first runs ``openstack/__init__.py``, which
    imports every service proxy (about 0.35 s on this hardware, paid by every
    task). The loader itself does not need them, so the package is entered
    through a bare stand-in that is removed again afterwards; a later plain
    ``import openstack`` in the same process still gets the real package.
    """
    if "openstack" in sys.modules:
        return importlib.import_module("openstack.config.loader")
    spec = importlib.util.find_spec("openstack")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("No module named 'openstack'")
    stand_in = types.ModuleType("openstack")
    stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.__spec__ = spec
    sys.modules["openstack"] = stand_in
    try:
        return importlib.import_module("openstack.config.loader")
    finally:
        if sys.modules.get("openstack") is stand_in:
            del sys.modules["openstack"]


class Connection:
    """An authenticated session plus the image endpoint it resolved to."""

    def __init__(self, session, endpoint, cloud_name=None, interface=None, region_name=None, source=None):
        self.session = session
        self.endpoint = endpoint
        self.cloud_name = cloud_name
        # Where the configuration came from (a Source), named in error messages.
        self.source = source or Source(cloud_name)
        # Warnings for the task (validate_certs: false); modules and plugins pass them on.
        self.warnings = []
        self.interface = interface
        self.region_name = region_name
        self.client = self.client_for(endpoint)

    @property
    def has_keystone(self):
        """False for a bare endpoint (with or without a static token): no catalogue, no projects."""
        return self.session.auth is not None and not isinstance(self.session.auth, ks_token_endpoint.Token)

    def project_id(self):
        """The project the token is scoped to, or None without Keystone."""
        if not self.has_keystone:
            return None
        try:
            return self.session.get_project_id()
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.source, None)

    def is_admin(self):
        """Whether the token carries the admin role (Glance lets admins act for any project)."""
        if not self.has_keystone:
            return False
        try:
            access = self.session.auth.get_access(self.session)
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.source, None)
        return "admin" in (access.role_names or [])

    def image_endpoints(self, interface=None):
        """{region: url} of every image service endpoint in the token's catalogue ({} without Keystone)."""
        if not self.has_keystone:
            return {}
        try:
            access = self.session.auth.get_access(self.session)
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.source, None)
        endpoints = access.service_catalog.get_endpoints(
            service_type="image", interface=interface or self.interface or "public").get("image") or []
        return {e.get("region_id") or e.get("region"): e.get("url") for e in endpoints if e.get("url")}

    def service_endpoint(self, service_type):
        """The catalogue's URL of another service (e.g. compute) in this region and interface, or None."""
        if not self.has_keystone:
            return None
        try:
            return self.session.get_endpoint(service_type=service_type, interface=self.interface or "public",
                                             region_name=self.region_name)
        except ks_exceptions.EndpointNotFound:
            return None
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.cloud_name, None)

    def client_for(self, endpoint):
        """A client for another image endpoint (another region) on the same session."""
        return GlanceClient(self.session, endpoint, connection_errors=(ks_exceptions.ConnectionError,),
                            describe_error=lambda exc, url: tls_error_message(exc, url, "the Image service"))

    def identity_get(self, path, expected=(200,)):
        """GET on Keystone's v3 API; returns (status, body or None)."""
        try:
            response = self.session.get(
                path, raise_exc=False, headers={"Accept": "application/json"},
                endpoint_filter={"service_type": "identity", "interface": self.interface or "public",
                                 "region_name": self.region_name, "version": (3, 0)})
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.source, None)
        if response.status_code not in expected:
            return response.status_code, None
        return response.status_code, response.json()


class Source:
    """Where the cloud configuration of a connection came from, for messages."""

    def __init__(self, cloud_name=None, how=None, path=None):
        self.cloud_name = cloud_name
        self.how = how  # "option cloud", "OS_CLOUD", "the only cloud", "option auth", "OS_* variables"
        self.path = path

    @property
    def label(self):
        """Which cloud: "cloud 'demo'", "the cloud given by the auth option", ..."""
        if self.how == "option auth":
            return "the cloud given by the auth option"
        if self.how == "OS_* variables":
            return "the cloud given by the OS_* variables"
        if self.cloud_name:
            return "cloud '%s'" % self.cloud_name
        return "the cloud given by auth or OS_* variables"

    @property
    def origin(self):
        """Where it was configured: "option cloud in /path/clouds.yaml", ..."""
        if self.how == "option auth":
            return "clouds.yaml and OS_* variables not used"
        if self.how == "OS_* variables":
            return "OS_AUTH_URL, OS_USERNAME, ..."
        if self.cloud_name:
            return "%s%s" % (self.how or "option cloud", " in %s" % self.path if self.path else "")
        return ""

    def __str__(self):
        return "%s (%s)" % (self.label, self.origin) if self.origin else self.label

    def of(self, option):
        """Where one auth value came from: 'auth.auth_url (option auth)' or '... (clouds.yaml path)'."""
        if self.how == "option auth":
            return "%s (task option)" % option
        if self.how == "OS_* variables":
            return "%s (OS_%s)" % (option, option.split(".")[-1].upper())
        return "%s (task option or %s)" % (option, self.path or "clouds.yaml")


def _describe_cloud(source):
    return str(source) if isinstance(source, Source) else (
        "cloud '%s'" % source if source else "the cloud given by auth or OS_* variables")


_TOKEN_AUTH_TYPES = ("token", "v3token", "v2token", "v3oidcaccesstoken", "admin_token")


def tls_error_message(exc, url, where):
    """A TLS failure in words a user can act on, or None when exc is no TLS failure."""
    text = " ".join(str(exc).split())
    lowered = text.lower()
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return ("TLS verification of %s failed for %s: the server's certificate is not signed by a known CA (%s). "
                "Give ca_cert (the CA bundle that signed it), or validate_certs: false to skip verification "
                "(not recommended)." % (url, where, text))
    if "key_values_mismatch" in lowered or "key values mismatch" in lowered:
        return ("TLS client certificate for %s: client_key does not belong to client_cert. Give the key of "
                "that certificate." % where)
    client_markers = ("certificate required", "certificate_required", "handshake failure", "alert bad certificate",
                      "unknown ca")
    if any(marker in lowered for marker in client_markers):
        return ("TLS handshake with %s failed for %s: the server asks for a client certificate it accepts (%s). "
                "Give client_cert and client_key." % (url, where, text))
    if "eof occurred in violation of protocol" in lowered or "unexpected_eof_while_reading" in lowered:
        # With TLS 1.3 a server that wants a client certificate may close the connection before its
        # alert reaches the client: the client sees only an EOF in the handshake.
        return ("TLS handshake with %s failed for %s: the server closed the connection during the handshake (%s), "
                "as servers do that ask for a client certificate they did not get. Give client_cert and client_key "
                "if it asks for one." % (url, where, text))
    if "ssl" in lowered and ("pem lib" in lowered or "no such file" in lowered or "no start line" in lowered):
        return ("TLS set-up for %s failed: ca_cert, client_cert or client_key is not a readable PEM file (%s)."
                % (where, text))
    return None


def _translate_keystone_error(exc, cloud_name, auth_url, auth_type=None):
    where = _describe_cloud(cloud_name)
    source = cloud_name if isinstance(cloud_name, Source) else Source(cloud_name)
    # "<cloud> at <url> (<where it was configured>)": the cloud and URL first, as before the origin was added.
    at = " at %s" % auth_url if auth_url else ""
    at += " (%s)" % source.origin if source.origin else ""
    token_auth = (auth_type or "").lower() in _TOKEN_AUTH_TYPES
    request_id = getattr(exc, "request_id", None)
    if token_auth and isinstance(exc, (ks_exceptions.Unauthorized, ks_exceptions.NotFound)):
        return GlanceError(
            "Keystone%s refused the token in %s for %s (HTTP %s): it is expired, revoked or wrong. "
            "Get a new token, or authenticate with a password or an application credential instead."
            % (at, source.of("auth.token"), source.label, exc.http_status), status=exc.http_status, request_id=request_id)
    if isinstance(exc, ks_exceptions.Unauthorized):
        checks = (source.of("auth.username"), source.of("auth.password"))
        return GlanceError(
            "Authentication failed for %s (HTTP 401)%s: Keystone refused the credentials. "
            "Check %s, %s and the project." % ((source.label, at) + checks),
            status=401, request_id=request_id)
    if isinstance(exc, (ks_exceptions.ConnectionError, ks_exceptions.DiscoveryFailure)):
        message = tls_error_message(exc, auth_url or "the identity service", where)
        if message:
            return GlanceError(message)
    if isinstance(exc, ks_exceptions.DiscoveryFailure):
        return GlanceError(
            "%s does not answer as a Keystone identity service for %s (%s). Check %s: it should be the "
            "identity URL, for example https://keystone.example.com:5000/v3."
            % (auth_url or "The auth URL", where, " ".join(str(exc).split()), source.of("auth.auth_url")))
    if isinstance(exc, ks_exceptions.ConnectionError):
        return GlanceError(
            "Cannot reach the identity service of %s%s: %s. Check %s and that the "
            "service is running." % (source.label, at, exc, source.of("auth.auth_url")))
    if isinstance(exc, ks_exceptions.EndpointNotFound):
        return GlanceError(
            "No image service endpoint in the catalogue of %s: %s. Check region_name and interface, "
            "or give the endpoint option." % (where, exc))
    if isinstance(exc, ks_exceptions.MissingRequiredOptions):
        names = ", ".join(source.of("auth.%s" % opt.dest) for opt in exc.options)
        return GlanceError("Incomplete credentials for %s: missing %s." % (where, names))
    if isinstance(exc, ks_exceptions.HttpError):
        return GlanceError("The identity service of %s%s answered HTTP %s: %s"
                           % (source.label, at, exc.http_status, exc.message), status=exc.http_status,
                           request_id=request_id)
    return GlanceError("Could not authenticate to %s: %s" % (where, exc))


def _check_timeout(value, option):
    """api_timeout must be a positive number of seconds; 0 would make every request fail at once."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = None
    if seconds is None or seconds <= 0:
        raise GlanceError("%s: %r is not a number of seconds above 0. Give the seconds to wait for one HTTP "
                          "response, or leave it unset (no limit)." % (option, value))
    return seconds


def _session_kwargs(options):
    verify = options.get("validate_certs")
    if verify is None:
        verify = True
    if verify and options.get("ca_cert"):
        verify = options.get("ca_cert")
    cert = options.get("client_cert")
    if cert and options.get("client_key"):
        cert = (cert, options.get("client_key"))
    return dict(verify=verify, cert=cert, timeout=options.get("api_timeout"))


def _connect_to_endpoint(options):
    """Reach a Glance directly: no catalogue, an optional pre-issued token."""
    endpoint = options.get("endpoint")
    token = options.get("token")
    auth = ks_token_endpoint.Token(endpoint, token) if token else None
    session = ks_session.Session(auth=auth, **_session_kwargs(options))
    return Connection(session, endpoint)


@contextlib.contextmanager
def _quiet_sdk():
    """The SDK warns about its own deprecated metrics options: nothing a user can act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        yield


def _yaml_error(loader_module, paths):
    """The first of paths (existing files) that is not valid YAML: 'path, line N: problem'."""
    yaml = getattr(loader_module, "yaml", None)
    if yaml is None:  # pragma: no cover - the loader always imports PyYAML
        return None
    for path in paths:
        try:
            with open(path) as handle:
                yaml.safe_load(handle)
        except OSError:
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = " line %d, column %d:" % (mark.line + 1, mark.column + 1) if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            return "%s,%s %s" % (path, line, " ".join(str(problem).split()))
    return None


def _check_auth_keys(auth, auth_type, source_text):
    """Keys of the task's auth that the keystoneauth plugin does not take: an error naming them."""
    if not isinstance(auth, dict) or not auth:
        return
    try:
        from keystoneauth1 import loading as ks_loading
        plugin_loader = ks_loading.get_plugin_loader(auth_type)
    except Exception:  # unknown plugin names are reported by get_one with their own message
        return
    accepted = set()
    for opt in plugin_loader.get_options():
        accepted.add(opt.dest)
        accepted.update(alias.dest for alias in getattr(opt, "deprecated", []) or [] if getattr(alias, "dest", None))
    unknown = sorted(key for key in auth if key.replace("-", "_") not in accepted)
    if unknown:
        raise GlanceError(
            "auth_type %s (%s) does not take %s. Its options: %s. Remove them, or choose the auth_type they "
            "belong to." % (auth_type, source_text, ", ".join("auth.%s" % key for key in unknown),
                            ", ".join(sorted(accepted))))


def _load_cloud_region(options):
    """openstacksdk's CloudRegion for the options, and the Source it came from.

    Precedence follows openstacksdk's get_one(): task options over the cloud's settings, the
    cloud named by the cloud option, else OS_CLOUD, else the OS_* variables, else the only cloud
    of clouds.yaml. One exception: an auth option without cloud (and without OS_CLOUD) is taken
    alone, so it never picks up the password of a cloud it does not name.
    """
    try:
        loader_module = _import_openstack_config_loader()
    except ImportError as exc:
        raise MissingLibraryError("openstacksdk", exc)
    exceptions = importlib.import_module("openstack.exceptions")
    kwargs = {}
    for ours, theirs in (("auth", "auth"), ("auth_type", "auth_type"), ("region_name", "region_name"),
                         ("interface", "interface"), ("validate_certs", "verify"), ("ca_cert", "cacert"),
                         ("client_cert", "cert"), ("client_key", "key"), ("api_timeout", "api_timeout")):
        value = options.get(ours)
        if value is not None:
            kwargs[theirs] = value
    cloud_name = options.get("cloud")
    alone = bool(options.get("auth")) and not cloud_name and not os.environ.get("OS_CLOUD")
    try:
        if alone:
            config = loader_module.OpenStackConfig(load_yaml_config=False, load_envvars=False)
        else:
            config = loader_module.OpenStackConfig(load_envvars=True)
    except exceptions.ConfigException as exc:
        raise GlanceError("Could not read clouds.yaml: %s" % exc)
    path = getattr(config, "config_filename", None)
    if not alone and path is None:
        broken = _yaml_error(loader_module, [f for f in getattr(config, "_config_files", []) if os.path.exists(f)])
        if broken:
            raise GlanceError("clouds.yaml is not valid YAML: %s. Fix the file (OS_CLIENT_CONFIG_FILE picks "
                              "which one is read)." % broken)
    if alone:
        source = Source(how="option auth")
    elif cloud_name:
        source = Source(cloud_name, "option cloud", path)
    elif os.environ.get("OS_CLOUD"):
        source = Source(os.environ["OS_CLOUD"], "OS_CLOUD", path)
    elif config.default_cloud == getattr(config, "envvar_key", "envvars"):
        source = Source(how="OS_* variables")
    else:
        source = Source(config.default_cloud, "the only cloud", path)
    auth_type = options.get("auth_type")
    if alone or auth_type:
        _check_auth_keys(options.get("auth"), auth_type or "password",
                         "option auth_type" if auth_type else "the default auth_type")
    try:
        with _quiet_sdk():
            region = config.get_one(cloud=cloud_name, **kwargs)
    except exceptions.ConfigException as exc:
        names = sorted(set(config.get_cloud_names()))
        wanted = source.cloud_name if source.how in ("option cloud", "OS_CLOUD") else None
        if wanted and wanted not in names:
            option = "option cloud" if source.how == "option cloud" else "OS_CLOUD variable"
            raise GlanceError(
                "Unknown cloud '%s' (%s). Clouds defined (%s): %s. "
                "Fix the name, or point OS_CLIENT_CONFIG_FILE at the clouds.yaml that defines it."
                % (wanted, option, path or "no clouds.yaml found", ", ".join(names) or "none"))
        raise GlanceError("Invalid cloud configuration for %s: %s" % (source, exc))
    except ks_exceptions.ClientException as exc:
        raise _translate_keystone_error(exc, source, None, auth_type)
    except TypeError as exc:
        # A keystoneauth plugin given a key it does not take (the cloud's auth merged under another auth_type).
        raise GlanceError("auth_type %s cannot use the auth of %s: %s. Give the auth that auth_type needs in "
                          "the auth option, or set auth_type in clouds.yaml." % (auth_type, source, exc))
    return region, source


def _insecure_warning(where):
    return ("TLS certificates of %s are not verified (validate_certs: false): anyone on the network path can "
            "read the credentials and change the data. Give ca_cert instead where you can." % where)


# Keys of the auth dict that say who is asking and where, kept in clear in an identity.
# Every other key (password, token, application_credential_secret, ...) only counts
# through a salted, slow digest, so an identity never holds a secret in clear.
IDENTITY_AUTH_KEYS = frozenset((
    "auth_url", "username", "user_id", "user_domain_name", "user_domain_id", "domain_name", "domain_id",
    "project_name", "project_id", "tenant_name", "tenant_id", "project_domain_name", "project_domain_id",
    "application_credential_id", "application_credential_name", "system_scope", "trust_id",
))
IDENTITY_DIGEST_ROUNDS = 100000


def _secret_digest(public, secret):
    """PBKDF2 of the secret parts, salted with the public ones: comparable, not reversible, slow to guess."""
    salt = json.dumps(public, sort_keys=True, default=str).encode("utf-8")
    text = json.dumps(secret, sort_keys=True, default=str).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", text, salt, IDENTITY_DIGEST_ROUNDS).hex()


def config_loader():
    """openstacksdk's config loader module, imported now (MissingLibraryError when absent).

    Imported once before threads connect, so that they never race on the
    stand-in package of _import_openstack_config_loader.
    """
    try:
        return _import_openstack_config_loader()
    except ImportError as exc:
        raise MissingLibraryError("openstacksdk", exc)


def cloud_identity(adapter):
    """Who asks which Image service: a dict of JSON values, with no secret in clear; sends no request.

    It holds the auth URL, the user or application credential, the project and
    domains, auth type, region, interface and endpoint as connect() would
    resolve them (clouds.yaml, secure.yaml, OS_* and the options), plus a
    digest of everything else in auth (the password, secret or token) and of
    the token option, so a changed credential is another identity.
    """
    if isinstance(adapter, dict):
        adapter = OptionAdapter.from_dict(adapter)
    options = {name: adapter.get(name) for name in CONNECTION_OPTIONS}
    endpoint = options.get("endpoint")
    public = {"endpoint": endpoint}
    secret = {"token": options.get("token")}
    if bool(options.get("cloud") or options.get("auth") or options.get("auth_type")) or not endpoint:
        region, dummy_source = _load_cloud_region(options)
        for key, value in (region.config.get("auth") or {}).items():
            if key in IDENTITY_AUTH_KEYS:
                public["auth." + key] = value
            else:
                secret["auth." + key] = value
        public.update(auth_type=region.config.get("auth_type"), region_name=region.get_region_name("image"),
                      interface=region.get_interface())
    public["secret_digest"] = _secret_digest(public, secret)
    return public


def connect(adapter):
    """Build a Connection from connection options (an OptionAdapter or a dict)."""
    if isinstance(adapter, dict):
        adapter = OptionAdapter.from_dict(adapter)
    if not HAS_KEYSTONEAUTH:
        raise MissingLibraryError("keystoneauth1", KEYSTONEAUTH_IMPORT_ERROR)
    options = {name: adapter.get(name) for name in CONNECTION_OPTIONS}
    _check_timeout(options.get("api_timeout"), "api_timeout (task option)")
    endpoint = options.get("endpoint")
    uses_keystone = bool(options.get("cloud") or options.get("auth") or options.get("auth_type"))
    if options.get("token") and not endpoint:
        raise GlanceError("The option token needs endpoint as well (the Image service URL). "
                          "For a Keystone token use auth_type: v3token with auth.token and auth.auth_url.")
    if endpoint and not uses_keystone:
        connection = _connect_to_endpoint(options)
        if connection.session.verify is False:
            connection.warnings.append(_insecure_warning(endpoint))
        return connection

    region, source = _load_cloud_region(options)
    _check_timeout(region.config.get("api_timeout"), "api_timeout (%s)" % (
        "task option" if options.get("api_timeout") is not None else "%s" % source))
    cloud_name = options.get("cloud")
    auth_url = (region.config.get("auth") or {}).get("auth_url")
    auth_type = region.config.get("auth_type")
    if (auth_type or "password") in ("password", "v3password", "v2password") and not (
            region.config.get("auth") or {}).get("password"):
        # keystoneauth would raise a bare Exception('password is a required attribute').
        raise GlanceError("Incomplete credentials for %s: missing %s." % (source, source.of("auth.password")))
    try:
        with _quiet_sdk():
            session = region.get_session()
        if endpoint is None:
            endpoint = region.get_endpoint("image") or session.get_endpoint(
                service_type="image", interface=region.get_interface(),
                region_name=region.get_region_name("image"))
    except ks_exceptions.ClientException as exc:
        raise _translate_keystone_error(exc, source, auth_url, auth_type)
    if not endpoint:
        raise GlanceError("No image service endpoint in the catalogue of %s (region %s, interface %s). "
                          "Check region_name and interface, or give the endpoint option."
                          % (source, region.get_region_name("image"), region.get_interface()))
    connection = Connection(session, endpoint, cloud_name=cloud_name, interface=region.get_interface(),
                            region_name=region.get_region_name("image"), source=source)
    if session.verify is False:
        connection.warnings.append(_insecure_warning(source))
    return connection
