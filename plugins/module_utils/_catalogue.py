# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the catalogue's plan, from entries to the writes a run needs.

Pure functions, no I/O: entry validation (every error names the entry and the key),
the desired images of a catalogue (names, hiding, rotation), matching them with the
images Glance listed, and the plan of actions with the JSON patches that carry them
out. The catalogue module feeds them what it read and applies what they return.
"""

from __future__ import annotations

import json
import os.path
import re
import uuid
import dataclasses
from dataclasses import dataclass
from urllib.parse import urlsplit

from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import (
    DIGEST_ALGORITHMS,
    MAX_LENGTH,
    apply_patch,
    build_patch,
    create_body,
    escape_pointer,
    managed_view,
    parse_checksum,
    predicted_new_image,
    validate_name,
    validate_properties,
    validate_tags,
)
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_record import (
    Record,
    is_record_property,
    read_record,
    record_ops,
    record_properties,
    value_digest,
)
from ansible_collections.imagecat.glance.plugins.module_utils._errors import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._file_roots import resolve_catalogue_file
from ansible_collections.imagecat.glance.plugins.module_utils._members import plan_members, predicted_members
from ansible_collections.imagecat.glance.plugins.module_utils._publish import BUSY, DEFAULT_HASH, STAGED_FOR, staged_body
# TRANSFERS: how the data of a url version gets into Glance (Glance downloads it, or the controller
# downloads, decompresses and uploads it).
from ansible_collections.imagecat.glance.plugins.module_utils._upstream import TRANSFERS, validate_upstream

# Properties the catalogue writes on every image it manages.
PROPERTY_PREFIX = "imagecat_catalogue_"
PROP_ENTRY = PROPERTY_PREFIX + "entry"
PROP_VERSION = PROPERTY_PREFIX + "version"
# For uri and import sources: where the data came from, and the checksum the entry declared.
PROP_SOURCE = PROPERTY_PREFIX + "source"
PROP_CHECKSUM = PROPERTY_PREFIX + "checksum"

ENTRY_KEYS = ("name", "versions", "disk_format", "container_format", "visibility", "protected", "min_disk",
              "min_ram", "properties", "tags", "members", "keep_versions", "version_order", "base_dir", "upstream")
VERSION_KEYS = ("version", "filename", "uri", "url", "import", "checksum", "checksum_url", "checksum_name", "transfer",
                "properties")
IMPORT_KEYS = ("method", "uri", "stores", "all_stores", "all_stores_must_succeed", "remote_region",
               "remote_image_id", "remote_service_interface")
IMPORT_METHODS = ("web-download", "glance-download")
VISIBILITIES = ("public", "private", "shared", "community")
VERSION_ORDERS = ("listed", "natural")
PRUNE_POLICIES = ("none", "hide", "deactivate", "delete")
DRIFT_POLICIES = ("fix", "report", "fail")
# Fields the catalogue records when an entry sets them, and what they go back to when it stops.
OWNED_FIELD_DEFAULTS = {"visibility": "shared", "protected": False, "min_disk": 0, "min_ram": 0}
NAMESPACE = uuid.UUID("5b0c3f5e-63a4-4d0e-9d57-3a1f3c6b9e21")


# ---- validation ------------------------------------------------------------------------------

def _where(index, entry, version_index=None, version=None):
    name = entry.get("name") if isinstance(entry, dict) else None
    text = "images[%d]%s" % (index, " (%s)" % name if name else "")
    if version_index is not None:
        text += " versions[%d]%s" % (version_index, " (%s)" % version if version is not None else "")
    return text


def _unknown_keys(mapping, known, where):
    unknown = sorted(str(k) for k in mapping if k not in known)
    if unknown:
        raise InputError("%s: unknown key %s; the keys of %s are: %s." % (
            where, ", ".join("'%s'" % k for k in unknown), "an import" if "method" in known else
            ("a version" if "version" in known else "an entry"), ", ".join(known)))


def _version_string(value, where):
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise InputError("%s: version must be a string such as '2024.1'; got %s." % (where, json.dumps(value)))
    if isinstance(value, float):
        raise InputError("%s: version %r is a number, and YAML drops trailing zeros of numbers (1.10 is 1.1); "
                         "quote the version as you mean it, for example version: \"1.10\"." % (where, value))
    text = str(value).strip()
    if not text:
        raise InputError("%s: version is empty." % where)
    return text


def _non_negative_int(value, key, where):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise InputError("%s: %s must be a whole number; got %s." % (where, key, json.dumps(value)))
    if value < 0:
        raise InputError("%s: %s must be 0 or more." % (where, key))
    return value


def _bool(value, key, where):
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise InputError("%s: %s must be true or false; got %s." % (where, key, json.dumps(value)))


def _string_list(value, key, where):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InputError("%s: %s must be a list of strings." % (where, key))
    return [str(item) for item in value]


def _properties(value, where):
    if not isinstance(value, dict):
        raise InputError("%s: properties must be a mapping of names to values." % where)
    for key in value:
        if str(key).startswith(PROPERTY_PREFIX):
            raise InputError("%s: properties.%s: properties starting with %s are written by the catalogue "
                             "itself; choose another name." % (where, key, PROPERTY_PREFIX))
    try:
        return validate_properties(value)
    except InputError as error:
        raise InputError("%s: %s" % (where, error.message))


def _import_source(value, where):
    if not isinstance(value, dict):
        raise InputError("%s: import must be a mapping with method and its options." % where)
    _unknown_keys(value, IMPORT_KEYS, where + " import")
    method = value.get("method")
    if method not in IMPORT_METHODS:
        raise InputError("%s: import.method must be one of %s; got %s. (A local file is given with filename.)"
                         % (where, ", ".join(IMPORT_METHODS), json.dumps(method)))
    source = {"kind": "import", "method": method, "uri": None, "stores": None, "all_stores": False,
              "all_stores_must_succeed": True, "remote_region": None, "remote_image_id": None,
              "remote_service_interface": None}
    if method == "web-download":
        if not value.get("uri"):
            raise InputError("%s: import.uri is needed with method web-download." % where)
        source["uri"] = str(value["uri"])
        if urlsplit(source["uri"]).scheme not in ("http", "https"):
            raise InputError("%s: uri '%s' is not an http or https URL; web-download fetches only those (a local "
                             "file is given with filename)." % (where, source["uri"]))
    else:
        for key in ("remote_region", "remote_image_id"):
            if not value.get(key):
                raise InputError("%s: import.%s is needed with method glance-download." % (where, key))
            source[key] = str(value[key])
        if value.get("remote_service_interface"):
            source["remote_service_interface"] = str(value["remote_service_interface"])
    if value.get("stores") is not None:
        source["stores"] = _string_list(value["stores"], "import.stores", where)
    for key in ("all_stores", "all_stores_must_succeed"):
        if value.get(key) is not None:
            source[key] = _bool(value[key], "import." + key, where)
    if source["all_stores"] and source["stores"]:
        raise InputError("%s: give import.stores or import.all_stores, not both." % where)
    return source


def source_record(source):
    """What an image remembers of a uri, url or import source, to notice a changed source without the data."""
    if source["kind"] == "url":
        return "%s:%s" % (source["transfer"], source["url"])
    if source["kind"] != "import":
        return None
    if source["method"] == "web-download":
        return "web-download:%s" % source["uri"]
    return "glance-download:%s/%s" % (source["remote_region"], source["remote_image_id"])


def _http_url(value, key, where):
    text = str(value or "").strip()
    if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).netloc:
        raise InputError("%s: %s must be an http or https URL; got %s." % (where, key, json.dumps(value)))
    return text


def _url_source(value, where):
    """A version's url with its checksum (given, or read from checksum_url) and transfer."""
    source = {"kind": "url", "url": _http_url(value["url"], "url", where), "checksum_url": None,
              "checksum_name": None, "transfer": value.get("transfer") or "web-download"}
    if source["transfer"] not in TRANSFERS:
        raise InputError("%s: transfer must be one of %s; got %s."
                         % (where, ", ".join(TRANSFERS), json.dumps(value.get("transfer"))))
    given = [key for key in ("checksum", "checksum_url") if value.get(key)]
    if len(given) != 1:
        raise InputError("%s: url needs exactly one of checksum (<algorithm>:<hex>) or checksum_url (the checksum "
                         "file that lists it, such as .../SHA256SUMS)%s." % (
                             where, "; got both" if len(given) > 1 else ""))
    if value.get("checksum_url"):
        source["checksum_url"] = _http_url(value["checksum_url"], "checksum_url", where)
        source["checksum_name"] = str(value["checksum_name"]) if value.get("checksum_name") else None
    elif value.get("checksum_name"):
        raise InputError("%s: checksum_name (the image's name in the checksum file) goes with checksum_url." % where)
    return source


def _version(value, index, entry, version_index, base_dir=None, allowed_roots=None):
    where = _where(index, entry, version_index)
    if not isinstance(value, dict):
        raise InputError("%s: a version must be a mapping with version and a data source (filename, uri or "
                         "import)." % where)
    if "version" not in value:
        raise InputError("%s: version is missing." % where)
    version = _version_string(value["version"], where)
    where = _where(index, entry, version_index, version)
    _unknown_keys(value, VERSION_KEYS, where)
    given = [key for key in ("filename", "uri", "url", "import") if value.get(key) not in (None, "")]
    if not given:
        raise InputError("%s: no data source; give one of filename (a local file), url (with checksum or "
                         "checksum_url, and transfer), uri (web-download) or import (import options)." % where)
    if len(given) > 1:
        raise InputError("%s: give only one data source; got %s." % (where, " and ".join(given)))
    if given[0] == "filename":
        filename = resolve_catalogue_file(value["filename"], base_dir, allowed_roots, where)
        source = {"kind": "file", "filename": filename}
    elif given[0] == "url":
        source = _url_source(value, where)
    elif given[0] == "uri":
        source = _import_source({"method": "web-download", "uri": value["uri"]}, where)
    else:
        source = _import_source(value["import"], where)
    for key in ("checksum_url", "checksum_name", "transfer"):
        if given[0] != "url" and value.get(key) is not None:
            raise InputError("%s: %s goes with url (a version whose data is at an http or https URL)." % (where, key))
    checksum = None
    if value.get("checksum") is not None:
        try:
            checksum = parse_checksum(value["checksum"])
        except InputError as error:
            raise InputError("%s: %s" % (where, error.message))
    properties = _properties(value["properties"], where) if value.get("properties") is not None else {}
    return {"version": version, "source": source, "checksum": checksum, "properties": properties}


def natural_key(version):
    """'1.10' sorts after '1.9': digit runs compare as numbers, the rest as text."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", version)]


def validate_entry(value, index, keep_default=None, allowed_roots=None):
    """One catalogue entry -> its normalised form; InputError naming the entry and the key."""
    if not isinstance(value, dict):
        raise InputError("images[%d]: an entry must be a mapping with name and versions." % index)
    where = _where(index, value)
    if not value.get("name") or not isinstance(value.get("name"), str):
        raise InputError("%s: name is missing (a string: the image name)." % where)
    validate_name(value["name"], "%s: name" % _where(index, {}))
    _unknown_keys(value, ENTRY_KEYS, where)
    if value.get("upstream") is not None:
        # Read by catalogue_update, which adds new builds as versions; checked here so a typo shows early.
        validate_upstream(value["upstream"], where)
    entry = {"name": value["name"], "index": index, "fields": {}}
    for key in ("disk_format", "container_format"):
        if value.get(key) is not None:
            entry["fields"][key] = str(value[key])
    if value.get("visibility") is not None:
        if value["visibility"] not in VISIBILITIES:
            raise InputError("%s: visibility must be one of %s; got %s."
                             % (where, ", ".join(VISIBILITIES), json.dumps(value["visibility"])))
        entry["fields"]["visibility"] = value["visibility"]
    for key in ("min_disk", "min_ram"):
        if value.get(key) is not None:
            entry["fields"][key] = _non_negative_int(value[key], key, where)
    entry["protected"] = _bool(value["protected"], "protected", where) if value.get("protected") is not None else None
    entry["properties"] = _properties(value["properties"], where) if value.get("properties") is not None else {}
    entry["tags"] = None
    if value.get("tags") is not None:
        try:
            entry["tags"] = validate_tags(_string_list(value["tags"], "tags", where))
        except InputError as error:
            raise InputError("%s: %s" % (where, error.message))
    entry["members"] = None
    if value.get("members") is not None:
        entry["members"] = _string_list(value["members"], "members", where)
        if entry["fields"].get("visibility", "shared") != "shared":
            raise InputError("%s: members need visibility shared (Glance shares only shared images); the entry "
                             "says visibility %s." % (where, entry["fields"]["visibility"]))
        entry["fields"]["visibility"] = "shared"
    keep = value.get("keep_versions", keep_default)
    entry["keep_versions"] = None
    if keep is not None:
        entry["keep_versions"] = _non_negative_int(keep, "keep_versions", where)
        if entry["keep_versions"] < 1:
            raise InputError("%s: keep_versions must be 1 or more (the newest version is always kept)." % where)
    order = value.get("version_order", "listed")
    if order not in VERSION_ORDERS:
        raise InputError("%s: version_order must be one of %s; got %s."
                         % (where, ", ".join(VERSION_ORDERS), json.dumps(order)))
    versions = value.get("versions")
    if not isinstance(versions, list) or not versions:
        raise InputError("%s: versions is missing or empty; give a list of versions, each with version and a "
                         "data source." % where)
    base_dir = os.path.expanduser(str(value["base_dir"])) if value.get("base_dir") else None
    entry["versions"] = [_version(item, index, value, number, base_dir, allowed_roots)
                         for number, item in enumerate(versions)]
    seen = set()
    for number, version in enumerate(entry["versions"]):
        if version["version"] in seen:
            raise InputError("%s: version '%s' is listed twice." % (_where(index, value, number, version["version"]),
                                                                    version["version"]))
        seen.add(version["version"])
        long_name = versioned_name(entry["name"], version["version"])
        if len(long_name) > MAX_LENGTH:
            raise InputError("%s: the image name of an older version, '%s...', is %d characters long; Glance "
                             "allows %d." % (_where(index, value, number, version["version"]), long_name[:40],
                                             len(long_name), MAX_LENGTH))
    if order == "natural":
        entry["versions"].sort(key=lambda v: natural_key(v["version"]))
    return entry


def validate_catalogue(images, keep_versions=None, managed_tag="imagecat-managed", allowed_file_roots=None):
    """Every entry, validated before anything is sent; duplicate names refused."""
    validate_tags([managed_tag or ""], "managed_tag")
    if keep_versions is not None and keep_versions < 1:
        raise InputError("keep_versions must be 1 or more (the newest version is always kept).")
    entries, names = [], {}
    for index, value in enumerate(images or []):
        entry = validate_entry(value, index, keep_versions, allowed_file_roots)
        if entry["name"] in names:
            raise InputError("%s: the name '%s' is already used by images[%d]; each entry needs its own name."
                             % (_where(index, value), entry["name"], names[entry["name"]]))
        names[entry["name"]] = index
        entries.append(entry)
    for entry in entries:
        for version in entry["versions"]:
            rotated = versioned_name(entry["name"], version["version"])
            if rotated in names:
                raise InputError("images[%d] (%s): the name '%s' is what version %s of this entry is renamed to once "
                                 "it is no longer the newest, and images[%d] is named so too; rename one of them."
                                 % (entry["index"], entry["name"], rotated, version["version"], names[rotated]))
    return entries


# ---- desired images --------------------------------------------------------------------------

def versioned_name(name, version):
    return "%s (%s)" % (name, version)


def catalogue_image_id(scope, managed_tag, entry_name, version, attempt=0):
    """The id a version's image is created with: the same in every run, so two runs cannot make two.

    ``attempt`` moves on when the id belonged to an image that was deleted (Glance never reuses ids).
    """
    key = json.dumps([scope or "", managed_tag, entry_name, version, attempt])
    return str(uuid.uuid5(NAMESPACE, key))


def kept_versions(entry):
    """(kept, superseded): the versions to have, oldest first, and the declared ones beyond keep_versions."""
    versions = entry["versions"]
    keep = entry["keep_versions"]
    if keep is None or keep >= len(versions):
        return list(versions), []
    return versions[-keep:], versions[:-keep]


def desired_images(entries, managed_tag):
    """Every image the catalogue should have, keyed by (entry name, version)."""
    desired = {}
    for entry in entries:
        kept, dummy = kept_versions(entry)
        for position, version in enumerate(kept):
            newest = position == len(kept) - 1
            properties = dict(entry["properties"])
            properties.update(version["properties"])
            properties[PROP_ENTRY] = entry["name"]
            properties[PROP_VERSION] = version["version"]
            record = source_record(version["source"])
            if record:
                properties[PROP_SOURCE] = record
                if version["checksum"]:
                    properties[PROP_CHECKSUM] = "%s:%s" % version["checksum"]
            fields = dict(entry["fields"])
            fields["os_hidden"] = not newest
            tags = None
            if entry["tags"] is not None:
                tags = list(entry["tags"]) + ([managed_tag] if managed_tag not in entry["tags"] else [])
            desired[(entry["name"], version["version"])] = {
                "entry": entry["name"], "version": version["version"], "index": entry["index"],
                "name": entry["name"] if newest else versioned_name(entry["name"], version["version"]),
                "newest": newest, "fields": fields, "protected": entry["protected"], "properties": properties,
                "tags": tags, "members": entry["members"], "source": version["source"],
                "checksum": version["checksum"],
            }
    return desired


# ---- what Glance has -------------------------------------------------------------------------

def is_managed(image, managed_tag):
    """Managed: carries the managed tag AND the catalogue's entry and version properties."""
    return (managed_tag in (image.get("tags") or []) and bool(image.get(PROP_ENTRY))
            and image.get(PROP_VERSION) is not None)


def index_images(listed, managed_tag):
    """(by_key, extra, unmanaged): the managed image of each (entry, version) -- the oldest when a
    version has two -- the other copies, and every image the catalogue does not manage."""
    by_key, extra, unmanaged = {}, [], []
    for image in sorted(listed, key=lambda i: (i.get("created_at") or "", i["id"])):
        if not is_managed(image, managed_tag):
            unmanaged.append(image)
            continue
        key = (image[PROP_ENTRY], image[PROP_VERSION])
        if key in by_key:
            extra.append(image)
        else:
            by_key[key] = image
    return by_key, extra, unmanaged


def entries_with_members(entries):
    return {entry["name"] for entry in entries if entry["members"] is not None}


# ---- the plan --------------------------------------------------------------------------------

@dataclass
class Step:
    """What one desired image needs: the plan's record of it, and what the run did.

    ``wanted`` is the desired image (from ``desired_images``), ``image`` Glance's (None: none yet).
    ``actions`` are the plan's items; ``ops`` the JSON patch applied after the data; ``publish``
    the (name, hidden) a staged image takes once every other step is done.
    """

    key: tuple
    wanted: dict
    image: dict | None
    actions: list = dataclasses.field(default_factory=list)
    ops: list = dataclasses.field(default_factory=list)
    create: bool = False
    recreate: bool = False
    data: dict | None = None
    protect: bool = False
    reactivate: bool = False
    add_members: list = dataclasses.field(default_factory=list)
    remove_members: list = dataclasses.field(default_factory=list)
    wait: bool = False
    drift: list = dataclasses.field(default_factory=list)
    publish: tuple | None = None
    body: dict | None = None
    after: dict | None = None
    after_members: list | None = None
    members_before: list | None = None
    # The checksum the publish path verifies the data with (False: the version's declared one); set by
    # the run for url versions, whose checksum may come from a checksum file.
    checksum: tuple | None | bool = False
    # Set by the run.
    result: dict | None = None
    made_here: bool = False


@dataclass
class RetiredStep:
    """What a managed image the catalogue no longer wants gets: rename, hide, deactivate or delete."""

    wanted: dict
    image: dict
    candidate: dict
    actions: list = dataclasses.field(default_factory=list)
    ops: list = dataclasses.field(default_factory=list)
    deactivate: bool = False
    delete: bool = False
    blocked: dict | None = None
    after: dict | None = None
    # Set by the run.
    result: dict | None = None


# ---- what the catalogue owns on an image (three-way) ---------------------------------------

@dataclass
class Owned:
    """The three-way comparison of one image: declared now, applied last time (the record), what it has.

    ``fields``/``properties``: values to set; ``remove``: property keys to remove; ``tags``: the tag
    list to have (None: unchanged); ``drift``: keys changed by hand ({key, have, want, fixed});
    ``released``: keys no longer declared that are removed or reset; ``record``: the record to write.
    """

    fields: dict
    properties: dict
    remove: list
    tags: list | None
    drift: list
    released: list
    record: Record
    adopted: bool


def _user_properties(properties):
    return {k: v for k, v in properties.items() if not k.startswith(PROPERTY_PREFIX)}


def plan_owned(image, fields, properties, tags, managed_tag, on_drift="fix"):
    """Declared now (``fields`` of OWNED_FIELD_DEFAULTS, user ``properties``, ``tags`` or None) against
    the image's record and values. Without a record (an image made before records) nothing is removed
    or reset and nothing counts as drift: the record is written (adoption)."""
    record = read_record(image)
    adopted = record is None
    last = record or Record()
    out = Owned(fields={}, properties={}, remove=[], tags=None, drift=[], released=[], record=Record(),
                adopted=adopted)
    report = on_drift == "report"

    def drifted(key, have, want):
        fixed = not report
        out.drift.append({"key": key, "have": have, "want": want, "fixed": fixed})
        return fixed

    for kind, declared, recorded, store, new_record in (
            ("field", fields, last.fields, out.fields, out.record.fields),
            ("property", properties, last.properties, out.properties, out.record.properties)):
        for key in sorted(set(declared) | set(recorded)):
            have, present = image.get(key), key in image
            label = key if kind == "field" else "properties." + key
            if key in declared:
                want = declared[key]
                new_record[key] = value_digest(want)
                if present and have == want:
                    continue
                if key in recorded and (not present or value_digest(have) != recorded[key]):
                    if not drifted(label, have if present else None, want):
                        new_record[key] = recorded[key]
                        continue
                store[key] = want
            elif not adopted:
                # Applied last time, no longer declared: reset (field) or removed (property).
                if kind == "field":
                    want = OWNED_FIELD_DEFAULTS[key]
                    if have == want:
                        continue
                elif not present:
                    continue
                else:
                    want = None
                if value_digest(have) != recorded[key] and not drifted(label, have, want):
                    new_record[key] = recorded[key]
                    continue
                out.released.append(label)
                if kind == "field":
                    store[key] = want
                else:
                    out.remove.append(key)

    have_tags = list(image.get("tags") or [])
    declared_tags = [t for t in (tags or []) if t != managed_tag]
    out.record.tags = set(declared_tags)
    add = []
    for tag in declared_tags:
        if tag in have_tags:
            continue
        if tag in last.tags and not drifted("tags." + tag, None, tag):
            continue
        add.append(tag)
    drop = [] if adopted else [t for t in have_tags if t in last.tags and t not in out.record.tags and t != managed_tag]
    out.released += ["tags." + t for t in drop]
    if managed_tag not in have_tags:
        add.append(managed_tag)
    if add or drop:
        out.tags = [t for t in have_tags if t not in drop] + add
    return out


def owned_view(wanted):
    """What an entry declares of the keys the record tracks: (fields, user properties, tags)."""
    fields = {k: v for k, v in wanted["fields"].items() if k in OWNED_FIELD_DEFAULTS}
    if wanted["protected"] is not None:
        fields["protected"] = wanted["protected"]
    return fields, _user_properties(wanted["properties"]), wanted["tags"]


def _action(action, image_name, image_id, wanted, reason, **more):
    item = {"action": action, "image": image_name, "id": image_id, "entry": wanted.get("entry"),
            "version": wanted.get("version"), "reason": reason}
    item.update(more)
    return item


def _drift_reason(drift, on_drift):
    told = "; ".join("%s is %s by hand, the catalogue %s %s" % (
        d["key"], json.dumps(d["have"]) if d["have"] is not None else "absent", "sets" if d["want"] is not None
        else "removes", json.dumps(d["want"]) if d["want"] is not None else "it") for d in drift)
    return told + (" (on_drift: report, so not written)" if on_drift == "report" else "")


def _classify(ops, wanted, owned=None, drift_paths=()):
    """The plan's words for the ops of one PATCH (drift fixes have their own action; a PATCH that
    only writes the record is an adoption, or an update of the record)."""
    actions = []
    record_only = [op for op in ops if is_record_property(op["path"][1:])]
    ops = [op for op in ops if not is_record_property(op["path"][1:])]
    if record_only and not ops and not drift_paths:
        if owned is not None and owned.adopted:
            return [("adopt", "made before the catalogue recorded what it sets on an image: the record is written, "
                              "nothing is removed")]
        return [("update", "the record of what the catalogue set differs")]
    released = set(owned.released) if owned is not None else set()
    ops = [op for op in ops if op["path"] not in drift_paths]
    for op in ops:
        path = op["path"]
        if path == "/name":
            kind = "rename"
        elif path == "/os_hidden":
            kind = "hide" if op["value"] else "update"
        else:
            kind = "update"
        if kind not in actions:
            actions.append(kind)
    newest = "the newest" if wanted.get("newest") else "no longer the newest"
    changed_fields = sorted({op["path"][1:] for op in ops if op["path"] != "/name"})
    update = "metadata differs: %s" % ", ".join(changed_fields)
    if released:
        update += "; no longer declared (removed or reset to the default): %s" % ", ".join(sorted(released))
    reasons = {"rename": "version %s is %s" % (wanted["version"], newest),
               "hide": "older versions are hidden from default image lists",
               "update": update}
    return [(kind, reasons[kind]) for kind in actions]


def version_where(index, entry, version):
    """Where a message about one version of the catalogue points: 'images[i] (name) version v'."""
    return "images[%d] (%s) version %s" % (index, entry, version)


def wanted_where(wanted):
    """version_where() of a planned version (a ``wanted`` record)."""
    return version_where(wanted["index"], wanted["entry"], wanted["version"])


def _check_content(wanted, image, digest):
    """InputError when the declared data differs from the image's (a version's data never changes)."""
    where = wanted_where(wanted)
    source = wanted["source"]
    if source["kind"] == "file":
        algorithm = image.get("os_hash_algo") or DEFAULT_HASH
        stored = image.get("os_hash_value")
        if stored and algorithm in DIGEST_ALGORITHMS:
            local = digest(source["filename"], algorithm)
            if local != stored:
                raise InputError("%s: %s differs from the data of image %s (%s %s here, %s in Glance). Glance "
                                 "cannot replace an image's data, and a catalogue version never changes: declare "
                                 "a new version for the new file." % (where, source["filename"], image["id"],
                                                                      algorithm, local, stored))
    else:
        have, want = image.get(PROP_SOURCE), source_record(source)
        if have is not None and _same_source(have, want) is False:
            raise InputError("%s: image %s was made from %s, the entry now says %s. Glance cannot replace an "
                             "image's data: declare a new version for the new source."
                             % (where, image["id"], have, want))
    recorded = image.get(PROP_CHECKSUM)
    if wanted["checksum"] and recorded and recorded != "%s:%s" % wanted["checksum"]:
        raise InputError("%s: image %s was made from data with checksum %s, the entry now says %s:%s. Glance "
                         "cannot replace an image's data: declare a new version."
                         % (where, image["id"], recorded, wanted["checksum"][0], wanted["checksum"][1]))
    if wanted["checksum"] and not transformed(source):
        algorithm, expected = wanted["checksum"]
        stored = image.get("os_hash_value") if image.get("os_hash_algo") == algorithm else (
            image.get("checksum") if algorithm == "md5" else None)
        if stored and stored != expected:
            raise InputError("%s: image %s has %s %s, not the declared checksum %s."
                             % (where, image["id"], algorithm, stored, expected))


def transformed(source):
    """True when Glance stores other bytes than the source's (decompressed, or not known yet), so that a
    checksum of the source says nothing about Glance's os_hash_value."""
    if source["kind"] == "url":
        return source["transfer"] == "controller"
    return source["kind"] == "file" and source.get("compression") is not None


def _same_source(have, want):
    """A uri or url recorded as fetched by Glance (web-download:) or the controller (controller:) is the same
    source whichever way it came: the record is updated then, not refused. None: not comparable."""
    kinds = [record.split(":", 1)[0] for record in (have, want)]
    if all(kind in TRANSFERS for kind in kinds):
        return have.split(":", 1)[1] == want.split(":", 1)[1]
    return have == want


def _data_action(wanted):
    source = wanted["source"]
    if source["kind"] == "file":
        return "upload", "from %s" % source["filename"]
    if source["kind"] == "url":
        if source["transfer"] == "controller":
            return "upload", "from %s through the controller (download, decompress, upload)" % source["url"]
        return "import", "web-download from %s" % source["url"]
    return "import", "%s from %s" % (source["method"], source_record(source).split(":", 1)[1])


def _wanted_members(wanted, resolved):
    return [resolved.get(m, m) for m in wanted["members"]] if wanted["members"] is not None else None


def plan_image(wanted, image, digest, members=None, resolved_members=None, scope=None, managed_tag=None,
               held_names=(), on_drift="fix"):
    """Steps for one desired image. ``image`` is Glance's (or None); ``members`` its current members
    (when the entry declares members); ``held_names``: names other images hold now, so that a new
    image taking one is staged. Returns a step dict: actions, ops, data, after, members, and
    ``publish`` ((name, hidden) a staged image takes once every other step is done)."""
    resolved_members = resolved_members or {}
    step = Step(key=(wanted["entry"], wanted["version"]), wanted=wanted, image=image)
    want_members = _wanted_members(wanted, resolved_members)
    if image is not None and image.get("status") == "queued" and wanted["source"]["kind"] == "file" and (
            image.get("size") or image.get("checksum")):
        # Traces of a failed upload: Glance refuses more data for this image; a new one replaces it.
        step.recreate = True
        step.actions.append(_action("delete", image.get("name"), image["id"], wanted,
                                    "a failed upload left the image unable to take data; a new image "
                                    "replaces it"))
        image = None
    if image is None:
        image_id = catalogue_image_id(scope, managed_tag, wanted["entry"], wanted["version"])
        step.create = True
        step.data = wanted["source"]
        step.protect = bool(wanted["protected"])
        step.add_members = list(want_members or [])
        step.actions.append(_action("create", wanted["name"], image_id, wanted,
                                    "version %s of entry %s is declared and has no image"
                                    % (wanted["version"], wanted["entry"])))
        kind, reason = _data_action(wanted)
        step.actions.append(_action(kind, wanted["name"], image_id, wanted, reason))
        if step.add_members:
            step.actions.append(_action("share", wanted["name"], image_id, wanted,
                                        "members declared", add=step.add_members, remove=[]))
        fields = dict(wanted["fields"])
        tags = wanted["tags"] if wanted["tags"] is not None else [managed_tag]
        properties = dict(wanted["properties"])
        properties.update(record_properties(plan_owned({}, *owned_view(wanted), managed_tag=managed_tag).record))
        body = create_body(image_id, wanted["name"], fields, properties, tags)
        after = predicted_new_image(body, has_data=True)
        after["protected"] = bool(wanted["protected"])
        if wanted["name"] in held_names:
            # Another image holds the name until this one has verified data: staged, published last.
            body = staged_body(body, wanted["name"], wanted["version"])
            step.publish = (wanted["name"], fields.get("os_hidden", False))
        step.body = body
        step.after = after
        step.after_members = predicted_members([], step.add_members, []) if want_members is not None else None
        return step

    if image.get("status") in BUSY:
        # Another run (or a concurrent task) is putting data into it: wait for it, then compare.
        step.wait = True
    elif image.get("status") == "queued":
        step.data = wanted["source"]
        kind, reason = _data_action(wanted)
        step.actions.append(_action(kind, image.get("name"), image["id"], wanted, reason + " (the image has no "
                                    "data yet)"))
    else:
        _check_content(wanted, image, digest)

    fields = dict(wanted["fields"])
    if wanted["protected"] is not None:
        fields["protected"] = wanted["protected"]
    for field in ("disk_format", "container_format"):
        if field in fields and image.get(field) != fields[field] and image.get("status") != "queued":
            raise InputError("%s: %s is %s in Glance and %s in the entry; Glance does not change the format of "
                             "an image with data: declare a new version."
                             % (wanted_where(wanted), field, image.get(field), fields[field]))
    owned = plan_owned(image, *owned_view(wanted), managed_tag=managed_tag, on_drift=on_drift)
    step.drift = owned.drift
    fields = {k: v for k, v in fields.items() if k not in OWNED_FIELD_DEFAULTS}
    fields.update(owned.fields)
    properties = {k: v for k, v in wanted["properties"].items() if k.startswith(PROPERTY_PREFIX)}
    properties.update(owned.properties)
    ops = build_patch(image, name=wanted["name"], fields=fields, properties=properties, tags=owned.tags)
    ops += [{"op": "remove", "path": "/" + escape_pointer(key)} for key in owned.remove]
    ops += record_ops(image, owned.record)
    step.ops = ops
    if STAGED_FOR in image:
        # Staged by an interrupted run: it takes its name last, like a new staged image.
        step.publish = (wanted["name"], fields.get("os_hidden", False))
        step.ops = [op for op in ops if op["path"] not in ("/name", "/os_hidden")]
        ops = ops + [{"op": "remove", "path": "/" + STAGED_FOR}]
    if owned.drift:
        step.actions.append(_action("drift", wanted["name"], image["id"], wanted, _drift_reason(owned.drift, on_drift),
                                    changes=owned.drift))
    drift_paths = {"/" + escape_pointer(d["key"].split(".", 1)[-1]) for d in owned.drift if d["fixed"]}
    tag_drift = {d["key"][len("tags."):] for d in owned.drift if d["fixed"] and d["key"].startswith("tags.")}
    if tag_drift and owned.tags is not None and set(owned.tags) ^ set(image.get("tags") or []) == tag_drift:
        drift_paths.add("/tags")
    for kind, reason in _classify(ops, wanted, owned, drift_paths):
        step.actions.append(_action(kind, wanted["name"], image["id"], wanted, reason,
                                    changes=[op["path"][1:] for op in ops]))
    if image.get("status") == "deactivated":
        step.reactivate = True
        step.actions.append(_action("reactivate", wanted["name"], image["id"], wanted,
                                    "version %s is kept, so it must be usable" % wanted["version"]))
    after = apply_patch(image, ops)
    if step.reactivate:
        after["status"] = "active"
    step.after = after
    step.after_members = None
    if want_members is not None:
        current = members or []
        add, remove = plan_members(current, want_members, "present", purge=True)
        step.add_members, step.remove_members = add, remove
        step.members_before = sorted(m["member_id"] for m in current)
        if add or remove:
            step.actions.append(_action("share", wanted["name"], image["id"], wanted,
                                        "members differ from the entry", add=add, remove=remove))
        step.after_members = predicted_members(current, add, remove)
    return step


def prune_reason(image, entries_by_name):
    entry = entries_by_name.get(image.get(PROP_ENTRY))
    version = image.get(PROP_VERSION)
    if entry is None:
        return "entry %s is no longer declared" % image.get(PROP_ENTRY)
    declared = [v["version"] for v in entry["versions"]]
    if version not in declared:
        return "version %s is no longer declared" % version
    return "superseded: beyond keep_versions (%d) of entry %s" % (entry["keep_versions"], entry["name"])


def plan_retired(image, entries_by_name, prune, duplicate=False):
    """Steps for a managed image the catalogue no longer wants."""
    wanted = {"entry": image.get(PROP_ENTRY), "version": image.get(PROP_VERSION)}
    reason = "a second image for version %s of entry %s" % (wanted["version"], wanted["entry"]) if duplicate \
        else prune_reason(image, entries_by_name)
    step = RetiredStep(wanted=wanted, image=image, candidate={
        "image": image.get("name"), "id": image["id"], "entry": wanted["entry"], "version": wanted["version"],
        "reason": reason})
    entry = entries_by_name.get(wanted["entry"])
    if entry is not None and image.get("name") == entry["name"]:
        # The plain name belongs to the newest version, whatever the prune policy.
        step.ops.append({"op": "replace", "path": "/name", "value": versioned_name(entry["name"], wanted["version"])})
        step.actions.append(_action("rename", step.ops[0]["value"], image["id"], wanted,
                                    "the plain name %s belongs to the newest version" % entry["name"]))
    if prune == "hide" and not image.get("os_hidden"):
        step.ops.append({"op": "replace", "path": "/os_hidden", "value": True})
        step.actions.append(_action("hide", image.get("name"), image["id"], wanted, reason))
    elif prune == "deactivate" and image.get("status") == "active":
        step.deactivate = True
        step.actions.append(_action("deactivate", image.get("name"), image["id"], wanted, reason))
    elif prune == "delete":
        if image.get("protected"):
            step.blocked = dict(step.candidate, reason="protected: not deleted (%s); unprotect it to let "
                                "prune delete it" % reason)
        else:
            step.delete = True
            step.ops = []
            step.actions = [_action("delete", image.get("name"), image["id"], wanted, reason)]
    after = None if step.delete else apply_patch(image, step.ops)
    if after is not None and step.deactivate:
        after["status"] = "deactivated"
    step.after = after
    return step


def catalogue_names(entries):
    """Every name the catalogue's images may hold: each entry's plain name and the rotation name
    ``X (v)`` of each declared version (the names a namesake listing asks Glance for)."""
    names = {entry["name"] for entry in entries}
    names |= {versioned_name(e["name"], v["version"]) for e in entries for v in e["versions"]}
    return names


def plan_catalogue(entries, listed, managed_tag, prune, digest, members=None, resolved_members=None, scope=None,
                   on_drift="fix"):
    """The whole plan. ``listed``: the project's managed images and its namesakes (images holding a
    name of ``catalogue_names``; nothing else is needed); ``members``: {image id: members} for
    images whose entry declares members; ``digest(filename, algorithm)``: the local file's digest.

    Returns (steps, retired, unmanaged): steps for desired images, steps for retired images, and the
    images without the managed tag (or catalogue properties) that use a name of the catalogue.
    """
    desired = desired_images(entries, managed_tag)
    by_key, extra, unmanaged = index_images(listed, managed_tag)
    entries_by_name = {entry["name"]: entry for entry in entries}

    def order(item):
        # Catalogue order; within an entry the newest version first, so that its data comes first.
        return item[1]["index"], not item[1]["newest"], item[0][1]

    members = members or {}
    held_names = {image.get("name") for image in listed}
    steps = [plan_image(wanted, by_key.get(key), digest, members.get((by_key.get(key) or {}).get("id")),
                        resolved_members, scope, managed_tag, held_names, on_drift)
             for key, wanted in sorted(desired.items(), key=order)]
    drifted = [step for step in steps if step.drift]
    if on_drift == "fail" and drifted:
        raise InputError("on_drift is fail and %d image(s) were changed by hand; nothing was written. %s. Put the "
                         "values back, declare them in the catalogue, or run with on_drift: fix to overwrite them."
                         % (len(drifted), "; ".join(
                             "%s (%s): %s" % (step.image.get("name"), step.image["id"], _drift_reason(step.drift, "fail"))
                             for step in drifted)))
    retired = [plan_retired(image, entries_by_name, prune) for key, image in sorted(by_key.items())
               if key not in desired]
    retired += [plan_retired(image, entries_by_name, prune, duplicate=True) for image in extra]
    names = catalogue_names(entries)
    clashes = [image for image in unmanaged if image.get("name") in names]
    return steps, retired, clashes


def plan_items(steps, retired):
    return [action for step in list(steps) + list(retired) for action in step.actions]


def is_write(action):
    """False for drift that on_drift: report only reports; every other action writes."""
    return action["action"] != "drift" or any(change["fixed"] for change in action["changes"])


def image_diff(step):
    """One per-image diff for diff mode (only images that change)."""
    before = managed_view(step.image) if step.image else {}
    after = managed_view(step.after) if step.after else {}
    if step.after_members is not None:
        after["members"] = sorted(m["member_id"] for m in step.after_members)
        if step.image is not None:
            before["members"] = step.members_before or []
    name = (step.after or step.image or {}).get("name")
    return {"before_header": "%s (before)" % name, "after_header": "%s (after)" % name,
            "before": before, "after": after}
