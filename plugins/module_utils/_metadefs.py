# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the metadata definitions catalogue (metadefs) and property checks.

Reads namespaces, objects, properties and resource types (``/v2/metadefs``), and checks image
properties against the definitions of every namespace associated with the ``OS::Glance::Image``
resource type: enum, type, minimum/maximum, length and pattern. The definitions are read once per
client (the items of a loop in the controller share it); the checks themselves are pure.

A property that several namespaces define (``hw_vif_model`` for libvirt and for VMware) is valid
when one of the definitions accepts the value: they describe different hypervisors.
"""

from __future__ import annotations

import re
import weakref
from urllib.parse import quote

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError, property_value_to_string

IMAGE_RESOURCE_TYPE = "OS::Glance::Image"
VALIDATION_MODES = ("warn", "fail", "off")
VALIDATE_PROPERTIES_ARGSPEC = dict(
    validate_properties=dict(type="str", default="warn", choices=list(VALIDATION_MODES)),
)
# oslo.utils strutils' spellings, which Nova uses to read boolean image properties.
TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")
OPERATOR_RE = re.compile(r"<[a-z-]+>")
SHOWN_VALUES = 12
PAGE_SIZE = 100

# client -> {property name: [(where, definition)]}; one read per client.
_RULES_CACHE = weakref.WeakKeyDictionary()


def _ns_path(namespace, *rest):
    return "/".join(["/v2/metadefs/namespaces", quote(namespace, safe="")] + [quote(r, safe="") for r in rest])


def _found(client, path, params=None):
    """The JSON body, or None when Glance answers 404 (missing, or invisible to the caller)."""
    response = client.request("GET", path, params=params, expected=(200, 404))
    return None if response.status_code == 404 else response.json()


# ---- reads -------------------------------------------------------------------------------------

def list_namespaces(client, resource_types=None, visibility=None):
    query = []
    if resource_types:
        query.append(("resource_types", ",".join(resource_types)))
    if visibility:
        query.append(("visibility", visibility))
    return list(client.paginate("/v2/metadefs/namespaces", "namespaces", params=query, page_size=PAGE_SIZE))


def get_namespace(client, namespace, resource_type=None, option="namespace"):
    """The namespace with its properties, objects and tags (names prefixed for ``resource_type``)."""
    params = [("resource_type", resource_type)] if resource_type else None
    body = _found(client, _ns_path(namespace), params)
    if body is None:
        raise InputError("%s: no metadefs namespace '%s' is visible to this project; metadefs_info "
                         "without %s lists the namespaces." % (option, namespace, option))
    return body


def get_namespace_item(client, namespace, kind, name):
    """One object or property (``kind``) of a namespace; a clear error naming the option when missing."""
    collection = "objects" if kind == "object" else "properties"
    body = _found(client, _ns_path(namespace, collection, name))
    if body is None:
        raise InputError("%s: namespace '%s' has no %s '%s' visible to this project (or the namespace is not "
                         "visible); metadefs_info with namespace alone lists its %s."
                         % (kind, namespace, kind, name, collection))
    return body


def list_resource_types(client):
    return client.get_json("/v2/metadefs/resource_types").get("resource_types") or []


# ---- rules --------------------------------------------------------------------------------------

def property_rules(namespaces):
    """{image property name: [(where, definition)]} from namespace details read with
    ``resource_type`` (so names already carry the association's prefix)."""
    rules = {}
    for ns in namespaces:
        name = ns.get("namespace")
        for prop, definition in (ns.get("properties") or {}).items():
            rules.setdefault(prop, []).append(("namespace %s" % name, definition))
        for obj in ns.get("objects") or []:
            for prop, definition in (obj.get("properties") or {}).items():
                rules.setdefault(prop, []).append(("namespace %s (object %s)" % (name, obj.get("name")), definition))
    return rules


def fetch_rules(client, resource_type=IMAGE_RESOURCE_TYPE):
    """The rules of every namespace associated with ``resource_type``; read once per client."""
    cached = _RULES_CACHE.get(client)
    if cached is None:
        names = [ns["namespace"] for ns in list_namespaces(client, [resource_type])]
        cached = property_rules([get_namespace(client, name, resource_type) for name in names])
        _RULES_CACHE[client] = cached
    return cached


# ---- checks (pure) ------------------------------------------------------------------------------

def _show(values):
    shown = ", ".join(str(v) for v in values[:SHOWN_VALUES])
    return shown + (", ... (%d in all)" % len(values) if len(values) > SHOWN_VALUES else "")


def _scalar_problem(definition, text):
    """Why ``text`` does not fit a scalar definition, or None."""
    kind = definition.get("type")
    enum = definition.get("enum")
    if enum is not None and text not in [property_value_to_string(v) for v in enum]:
        return "is not one of the allowed values: %s" % _show([property_value_to_string(v) for v in enum])
    if kind == "boolean" and text.lower() not in TRUE_STRINGS + FALSE_STRINGS:
        return "is not a boolean (true or false)"
    number = None
    if kind in ("integer", "number"):
        try:
            number = int(text) if kind == "integer" else float(text)
        except ValueError:
            return "is not %s" % ("an integer" if kind == "integer" else "a number")
    if number is not None:
        if definition.get("minimum") is not None and number < definition["minimum"]:
            return "is below the minimum %s" % definition["minimum"]
        if definition.get("maximum") is not None and number > definition["maximum"]:
            return "is above the maximum %s" % definition["maximum"]
    if kind == "string" or kind is None:
        if definition.get("minLength") is not None and len(text) < definition["minLength"]:
            return "is shorter than %s characters" % definition["minLength"]
        if definition.get("maxLength") is not None and len(text) > definition["maxLength"]:
            return "is longer than %s characters" % definition["maxLength"]
        pattern = definition.get("pattern")
        if pattern:
            try:
                matched = re.search(pattern, text)
            except re.error:
                matched = True  # a pattern Python cannot read is not the user's fault
            if not matched:
                return "does not match the pattern %s" % pattern
    return None


def value_problem(definition, value):
    """Why ``value`` (as Glance stores it: a string) does not fit ``definition``, or None.

    Values written with the definition's ``operators`` (``<or> a <or> b``) are checked operand by
    operand; array values are split on commas and spaces and checked item by item.
    """
    text = property_value_to_string(value)
    operands = [text]
    if definition.get("operators") and text.strip().startswith("<"):
        used = OPERATOR_RE.findall(text)
        unknown = sorted(set(used) - set(definition["operators"]))
        if unknown:
            return "uses the operator %s; this property allows %s" % (", ".join(unknown), ", ".join(definition["operators"]))
        operands = [part.strip() for part in OPERATOR_RE.split(text) if part.strip()]
    if definition.get("type") == "array":
        items = definition.get("items") or {}
        for operand in operands:
            for item in [i for i in re.split(r"[,\s]+", operand) if i]:
                problem = _scalar_problem(items, item)
                if problem:
                    return "has the item '%s', which %s" % (item, problem)
        return None
    for operand in operands:
        problem = _scalar_problem(definition, operand)
        if problem:
            return problem if operand == text else "has '%s', which %s" % (operand, problem)
    return None


def property_problems(properties, rules, where="properties"):
    """One message per property that every definition of it refuses (names, value, rules)."""
    problems = []
    for key in sorted(properties or {}):
        definitions = rules.get(key)
        if not definitions:
            continue
        value = properties[key]
        reasons = []
        for source, definition in definitions:
            reason = value_problem(definition, value)
            if reason is None:
                reasons = []
                break
            reasons.append("%s (%s)" % (reason, source))
        if reasons:
            problems.append("%s.%s: the value '%s' %s" % (where, key, property_value_to_string(value),
                                                          "; or ".join(reasons)))
    return problems


# ---- what modules call ------------------------------------------------------------------------

def report(problems, mode, warn):
    """Warn about or refuse (InputError) the problems found."""
    if not problems:
        return
    if mode == "fail":
        raise InputError("validate_properties: the cloud's metadata definitions refuse %s; nothing was changed. "
                         "Fix the value, or set validate_properties to warn or off."
                         % "; ".join(problems))
    for problem in problems:
        warn("validate_properties: %s." % problem)


def _rules_or_none(client, mode, warn):
    try:
        return fetch_rules(client)
    except GlanceError as error:
        if mode == "fail":
            raise InputError("validate_properties: cannot read the cloud's metadata definitions (%s); set "
                             "validate_properties to warn or off to go on without them." % error.message)
        warn("validate_properties: properties not checked, the metadata definitions could not be read: %s"
             % error.message)
        return None


def check_image_properties(client, properties, current, mode, warn):
    """Check the properties a task would write (those that differ from ``current``, every one for a
    new image) against the metadefs. No request when nothing is to be written or mode is off."""
    if mode == "off" or not properties:
        return
    changing = {key: value for key, value in properties.items()
                if current is None or key not in current or current[key] != property_value_to_string(value)}
    if not changing:
        return
    rules = _rules_or_none(client, mode, warn)
    if rules is not None:
        report(property_problems(changing, rules), mode, warn)


def check_catalogue_properties(client, entries, mode, warn):
    """Check the properties of every entry and version of a catalogue (the raw ``images`` option)."""
    if mode == "off":
        return
    labelled = []
    for index, entry in enumerate(entries or []):
        label = "images[%d] (%s)" % (index, entry.get("name"))
        if entry.get("properties"):
            labelled.append(("%s properties" % label, entry["properties"]))
        for version in entry.get("versions") or []:
            if isinstance(version, dict) and version.get("properties"):
                labelled.append(("%s version %s properties" % (label, version.get("version")), version["properties"]))
    if not labelled:
        return
    rules = _rules_or_none(client, mode, warn)
    if rules is None:
        return
    problems = []
    for where, properties in labelled:
        problems.extend(property_problems(properties, rules, where))
    report(problems, mode, warn)
