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

CONNECTION_ARGSPEC = dict(
    cloud=dict(type="str"),
    auth=dict(type="dict", no_log=True),
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

    def __init__(self, session, endpoint, cloud_name=None, interface=None, region_name=None):
        self.session = session
        self.endpoint = endpoint
        self.cloud_name = cloud_name
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
            raise _translate_keystone_error(exc, self.cloud_name, None)

    def is_admin(self):
        """Whether the token carries the admin role (Glance lets admins act for any project)."""
        if not self.has_keystone:
            return False
        try:
            access = self.session.auth.get_access(self.session)
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.cloud_name, None)
        return "admin" in (access.role_names or [])

    def image_endpoints(self, interface=None):
        """{region: url} of every image service endpoint in the token's catalogue ({} without Keystone)."""
        if not self.has_keystone:
            return {}
        try:
            access = self.session.auth.get_access(self.session)
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.cloud_name, None)
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
        return GlanceClient(self.session, endpoint, connection_errors=(ks_exceptions.ConnectionError,))

    def identity_get(self, path, expected=(200,)):
        """GET on Keystone's v3 API; returns (status, body or None)."""
        try:
            response = self.session.get(
                path, raise_exc=False, headers={"Accept": "application/json"},
                endpoint_filter={"service_type": "identity", "interface": self.interface or "public",
                                 "region_name": self.region_name, "version": (3, 0)})
        except ks_exceptions.ClientException as exc:
            raise _translate_keystone_error(exc, self.cloud_name, None)
        if response.status_code not in expected:
            return response.status_code, None
        return response.status_code, response.json()


def _describe_cloud(cloud_name):
    return "cloud '%s'" % cloud_name if cloud_name else "the cloud given by auth or OS_* variables"


def _translate_keystone_error(exc, cloud_name, auth_url):
    where = _describe_cloud(cloud_name)
    if isinstance(exc, ks_exceptions.Unauthorized):
        return GlanceError(
            "Authentication failed for %s (HTTP 401)%s: Keystone refused the credentials. "
            "Check auth.username, auth.password and the project in clouds.yaml or the auth option."
            % (where, " at %s" % auth_url if auth_url else ""), status=401,
            request_id=getattr(exc, "request_id", None))
    if isinstance(exc, ks_exceptions.ConnectionError):
        return GlanceError(
            "Cannot reach the identity service of %s%s: %s. Check auth.auth_url and that the "
            "service is running." % (where, " at %s" % auth_url if auth_url else "", exc))
    if isinstance(exc, ks_exceptions.EndpointNotFound):
        return GlanceError(
            "No image service endpoint in the catalogue of %s: %s. Check region_name and interface, "
            "or give the endpoint option." % (where, exc))
    if isinstance(exc, ks_exceptions.MissingRequiredOptions):
        names = ", ".join("auth.%s" % opt.dest for opt in exc.options)
        return GlanceError("Incomplete credentials for %s: missing %s." % (where, names))
    if isinstance(exc, ks_exceptions.HttpError):
        return GlanceError("The identity service of %s answered HTTP %s: %s"
                           % (where, exc.http_status, exc.message), status=exc.http_status,
                           request_id=getattr(exc, "request_id", None))
    return GlanceError("Could not authenticate to %s: %s" % (where, exc))


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


def _load_cloud_region(options):
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
    try:
        config = loader_module.OpenStackConfig(load_envvars=True)
    except exceptions.ConfigException as exc:
        raise GlanceError("Could not read clouds.yaml: %s" % exc)
    try:
        with _quiet_sdk():
            return config.get_one(cloud=cloud_name, **kwargs)
    except exceptions.ConfigException as exc:
        names = sorted(set(config.get_cloud_names()))
        if cloud_name and cloud_name not in names:
            source = getattr(config, "config_filename", None) or "no clouds.yaml found"
            raise GlanceError(
                "Unknown cloud '%s' (option cloud). Clouds defined (%s): %s. "
                "Fix the name, or point OS_CLIENT_CONFIG_FILE at the clouds.yaml that defines it."
                % (cloud_name, source, ", ".join(names) or "none"))
        raise GlanceError("Invalid cloud configuration for %s: %s" % (_describe_cloud(cloud_name), exc))


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
        region = _load_cloud_region(options)
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
    endpoint = options.get("endpoint")
    uses_keystone = bool(options.get("cloud") or options.get("auth") or options.get("auth_type"))
    if options.get("token") and not endpoint:
        raise GlanceError("The option token needs endpoint as well (the Image service URL). "
                          "For a Keystone token use auth_type: v3token with auth.token and auth.auth_url.")
    if endpoint and not uses_keystone:
        return _connect_to_endpoint(options)

    region = _load_cloud_region(options)
    cloud_name = options.get("cloud")
    auth_url = (region.config.get("auth") or {}).get("auth_url")
    try:
        with _quiet_sdk():
            session = region.get_session()
        if endpoint is None:
            endpoint = region.get_endpoint("image") or session.get_endpoint(
                service_type="image", interface=region.get_interface(),
                region_name=region.get_region_name("image"))
    except ks_exceptions.ClientException as exc:
        raise _translate_keystone_error(exc, cloud_name, auth_url)
    if not endpoint:
        raise GlanceError("No image service endpoint in the catalogue of %s (region %s, interface %s). "
                          "Check region_name and interface, or give the endpoint option."
                          % (_describe_cloud(cloud_name), region.get_region_name("image"),
                             region.get_interface()))
    return Connection(session, endpoint, cloud_name=cloud_name, interface=region.get_interface(),
                      region_name=region.get_region_name("image"))
