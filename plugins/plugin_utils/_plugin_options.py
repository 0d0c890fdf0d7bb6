# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: what the lookup and inventory plugins share.

The plugins reuse the module layers unchanged: connection options go through
``OptionAdapter.from_plugin`` into ``connect()``, and ``filters`` is checked
against the same argument spec as the ``image_info`` module, so a bad value
gets the same message wherever it is written. This file only turns those
layers' errors into Ansible's plugin errors, and keeps secrets out of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.utils.display import Display

from ansible_collections.imagecat.glance.plugins.module_utils._connection import (
    MissingLibraryError,
    OptionAdapter,
    auth_secret_values,
    connect,
)
from ansible_collections.imagecat.glance.plugins.module_utils._images import (
    FILTERS_ARGSPEC,
    InputError,
    build_list_query,
)
from ansible_collections.imagecat.glance.plugins.module_utils._legacy import check_legacy_filters

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported when the query option is used
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = exc

# keystoneauth1 and openstacksdk log warnings (e.g. "Failed to discover available identity
# versions") that repeat the error this collection raises anyway. In a plugin, with no
# logging configured, Python would print them straight to the controller's stderr.
for _logger_name in ("keystoneauth", "openstack"):
    logging.getLogger(_logger_name).addHandler(logging.NullHandler())

_FILTERS_VALIDATOR = ArgumentSpecValidator({"filters": dict(type="dict", options=FILTERS_ARGSPEC)})

REDACTED = "********"
_SHORT_SECRET = 8


def option_variables(plugin, variables, templar):
    """The variables that set the plugin's options (ansible_glance_*), templated.

    Ansible hands a lookup its variables untemplated and does not template those
    that set options, so ``ansible_glance_auth: "{{ vault_auth }}"`` would arrive
    as that string. Only these variables are templated (in one call, as
    ansible-core does for callback option variables), never the others.
    """
    if not variables:
        return {}
    names = C.config.get_plugin_vars(plugin.plugin_type, plugin._load_name)
    wanted = {name: variables[name] for name in names if name in variables}
    if not wanted or templar is None:
        return wanted
    return templar.template(wanted)


def connection_adapter(plugin, cloud=None):
    """Connection options read through the plugin's get_option; ``cloud`` overrides one option."""
    adapter = OptionAdapter.from_plugin(plugin)
    if cloud is None:
        return adapter
    return OptionAdapter(lambda name: cloud if name == "cloud" else adapter.get(name))


def connect_plugin(plugin, cloud=None):
    """An authenticated Connection; a missing library becomes an AnsibleError at once.

    Other failures (GlanceError) are left to the caller, which knows whether to
    fail or to warn and go on.
    """
    try:
        connection = connect(connection_adapter(plugin, cloud))
    except MissingLibraryError as error:
        raise AnsibleError(missing_library_message(plugin, error.library, error.error))
    for warning in getattr(connection, "warnings", ()):
        Display().warning("%s: %s" % (plugin_name(plugin), warning))
    return connection


def missing_library_message(plugin, library, error):
    return ("%s needs the Python library %s on the Ansible controller (pip install %s): %s"
            % (plugin_name(plugin), library, library, error))


def plugin_name(plugin):
    name = getattr(plugin, "ansible_name", None) or getattr(plugin, "NAME", None) or type(plugin).__name__
    return "%s %s" % (name, "inventory plugin" if hasattr(plugin, "verify_file") else "lookup")


def _validation_message(errors):
    messages = []
    for error in errors.errors:
        if isinstance(error, UnsupportedError):
            messages.append("unsupported parameter %s" % error.msg)
        else:
            messages.append(error.msg)
    return " ".join(messages)


def validated_filters(filters, option="filters"):
    """The filters value checked and converted exactly as image_info checks its filters option."""
    result = _FILTERS_VALIDATOR.validate({"filters": filters if filters is not None else {}})
    if result.error_messages:
        raise AnsibleError("option %s: %s" % (option, _validation_message(result.errors)))
    return result.validated_parameters["filters"]


def list_query(filters, properties, api=None):
    """Glance list query pairs from the filters and properties options; bad input names the option.

    With ``api`` (the api option), filters that legacy API cannot apply are refused here as well.
    """
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise AnsibleError("option properties: expected a dictionary of property names and values, "
                           "got %s." % type(properties).__name__)
    checked = validated_filters(filters)
    try:
        query = build_list_query(checked, properties)
        check_legacy_filters(api, query)
        return query
    except InputError as error:
        # InputError messages start with the option path (filters.status: ..., properties.x: ...).
        raise AnsibleError("option %s" % error.message)


def compile_jmespath(expression, option="query"):
    """A compiled JMESPath expression, or None when the option is unset."""
    if expression is None or expression == "":
        return None
    if not HAS_JMESPATH:
        raise AnsibleError("option %s needs the Python library jmespath on the Ansible controller "
                           "(pip install jmespath): %s" % (option, JMESPATH_IMPORT_ERROR))
    if not isinstance(expression, str):
        raise AnsibleError("option %s: expected a JMESPath expression as a string, got %s."
                           % (option, type(expression).__name__))
    try:
        return jmespath.compile(expression)
    except JMESPathError as error:
        detail = " ".join(str(error).split())
        raise AnsibleError("option %s: invalid JMESPath expression %r: %s" % (option, expression, detail))


def apply_jmespath(compiled, data, option="query"):
    try:
        return compiled.search(data)
    except JMESPathError as error:
        # Type errors only show up against the data, e.g. sort_by on a missing field.
        raise AnsibleError("option %s: the JMESPath expression %r failed on the images: %s"
                           % (option, compiled.expression, " ".join(str(error).split())))


def secret_values(plugin):
    """Every credential the plugin was given, so that messages can be scrubbed of them."""
    getter = connection_adapter(plugin).get
    secrets = []
    for name in ("token", "client_key"):
        value = getter(name)
        if isinstance(value, str) and value:
            secrets.append(value)
    # Only the secret keys of auth (the same rule as the modules): usernames, project names and
    # auth_url stay readable in messages.
    secrets.extend(auth_secret_values(getter("auth")))
    # Longest first, so that a secret containing another one is replaced whole.
    return sorted(set(secrets), key=len, reverse=True)


def redact(message, secrets):
    """The message with every secret replaced by ********.

    A short secret is replaced only where it stands alone (not inside a longer
    word or URL), so that a token "t" does not blank every t of the message.
    """
    text = str(message)
    for secret in secrets:
        if len(secret) >= _SHORT_SECRET:
            text = text.replace(secret, REDACTED)
        else:
            text = re.sub(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" % re.escape(secret), REDACTED, text)
    return text


def fingerprint(*parts):
    """A short stable digest of JSON-able values (never fed with secrets)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
