# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: images
short_description: Images of one or more OpenStack Image services (Glance) as an inventory
version_added: 0.1.0
description:
  - Makes one inventory host per image of one or more clouds, for jobs that group, template over or
    report on whole image catalogues. The hosts are images, not machines to connect to.
  - The host variables are the image's fields in Glance's own shape (custom properties included),
    each prefixed with O(vars_prefix), plus the name of the cloud as C(<vars_prefix>cloud). Characters
    that cannot be in a variable name (a custom property such as C(com.example:team)) become C(_)
    (C(glance_com_example_team)).
  - "Default groups: C(cloud_<cloud>), C(visibility_<visibility>), C(status_<status>),
    C(disk_format_<disk_format>) and C(tag_<tag>) for each tag, with characters that are not valid in
    group names replaced by C(_)."
  - Every page of each cloud's listing is fetched, O(page_size) images per request (1000 by default) where the
    cloud allows it.
    Several clouds are listed in parallel.
  - The configuration file's name must end in C(glance_images.yml) or C(glance_images.yaml).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  plugin:
    description: The name of this plugin; it marks the configuration file as this plugin's.
    type: str
    required: true
    choices: [imagecat.glance.images]
  clouds:
    description:
      - Names of clouds in C(clouds.yaml) whose images to list. Every other connection option applies
        to each of them.
      - When unset, one cloud is listed, chosen by O(cloud), else C(OS_CLOUD), else the C(OS_*)
        variables or O(endpoint), as for the modules; its name in the inventory is then O(cloud),
        else C(OS_CLOUD), else V(default).
      - Takes precedence over O(cloud).
    type: list
    elements: str
  filters:
    description:
      - Glance list filters applied to every cloud, the same keys and checks as
        O(imagecat.glance.image_info#module:filters), for example C(status), C(visibility), C(tag),
        C(owner), C(os_hidden), C(created_at).
    type: dict
    default: {}
  properties:
    description:
      - Custom property filters, exact match, as O(imagecat.glance.image_info#module:properties).
    type: dict
    default: {}
  hostname:
    description:
      - How an image's host name is made. V(name) is the image's name (its id when it has none);
        V(id) is its id.
      - Anything else is a Jinja2 expression, as in O(compose), over the image's host variables,
        for example C(glance_name ~ '-' ~ glance_id[:8]). An empty result falls back to the id.
      - "Host names are made unique: when several images would get the same host name (the same name
        in one cloud, or in several clouds), each of them gets its cloud appended (C(ubuntu-24.04@demo))
        and, when that is still not unique, its id as well (C(ubuntu-24.04@demo@<id>)). A host name
        therefore depends only on the images with the same name, never on the order of the listing."
    type: str
    default: name
  fields:
    description:
      - The image fields that become host variables, named as Glance names them (C(name), C(os_distro),
        C(com.example:team)), each then prefixed with O(vars_prefix). C(cloud) stands for the name of the
        cloud (C(<vars_prefix>cloud)).
      - When unset, every field of every image becomes a host variable, and so does C(<vars_prefix>cloud).
      - O(compose), O(groups), O(keyed_groups) and an O(hostname) expression still see every field of the
        image, so a field can be used there without being a host variable.
      - Each host variable costs C(ansible-inventory) time for every host; see the notes for figures.
      - A name that is neither a Glance image field nor a property of any listed image is an error.
        An image that lacks a chosen field gets no variable for it.
    type: list
    elements: str
  page_size:
    description:
      - Images asked for per listing request; every page is followed. The server caps it at its
        C(api_limit_max) (Glance) or its own maximum (Compute's images proxy).
    type: int
    default: 1000
    version_added: 0.2.0
  vars_prefix:
    description:
      - Prefix of every host variable made from an image field, and of C(<vars_prefix>cloud).
      - A custom property named C(cloud) is shadowed by the cloud's name.
    type: str
    default: glance_
  fail_on_errors:
    description:
      - V(true) fails the whole inventory when any cloud cannot be reached or refuses the credentials
        (or is not defined).
      - V(false) warns, naming the cloud, and goes on with the other clouds. Such a partial result is
        not written to the cache.
    type: bool
    default: true
extends_documentation_fragment:
  - imagecat.glance.legacy_api
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
  - imagecat.glance.connection
  - imagecat.glance.connection.PLUGINS
notes:
  - With O(cache=true), what is cached is each cloud's image listing, keyed by the configuration file's
    path and by its source; O(fields), O(compose), O(groups), O(keyed_groups) and O(hostname) are applied
    afresh on every run. The source is who lists which images where, that is O(clouds) (or O(cloud)), O(filters),
    O(properties), O(api), O(compute_endpoint), and for each cloud the identity as resolved from C(clouds.yaml), C(secure.yaml),
    C(OS_*) and the options (auth URL, user or application credential, project and domains, auth type,
    region, interface, endpoint). The credential (password, secret, token) counts only through a salted
    PBKDF2 digest and is never written in clear; another credential, even for the same user, misses the
    cache. So two identities that share a cache directory never see each other's images.
  - A cache hit sends no request; it still reads the cloud configuration (no network) to know who asks.
    Use a persistent cache plugin such as C(ansible.builtin.jsonfile) to share it between runs;
    C(--flush-cache) refreshes it.
  - "Under ansible-core 2.19 and later, C(ansible-inventory --list) prints every string from this plugin
    (image names, properties) as C({\"__ansible_unsafe\": \"...\"}), because they come from an outside
    source and are not trusted as templates; C(--export) prints them the same way. For plain values use
    C(ansible-inventory --list --yaml) or C(--host <name>), or read C(hostvars) in a playbook; see the
    collection's guide to the image lookup and the images inventory."
  - "Each host variable costs C(ansible-inventory --list) 15 to 30 ms of CPU per 1,000 hosts (a static
    inventory of the same hosts 24 to 30 ms, this plugin 14 to 16 ms; C(make bench-inventory), 5,000 images,
    ansible-core 2.19). With about 25 variables per image that is most of the time of a large listing, so
    O(fields) with only the fields a job needs is the main lever."
  - The connection options may also come from extra variables (C(-e ansible_glance_cloud=...)),
    C(ANSIBLE_GLANCE_*) environment variables or the C([imagecat_glance]) section of C(ansible.cfg).
seealso:
  - plugin: imagecat.glance.image
    plugin_type: lookup
  - module: imagecat.glance.image_info
"""

EXAMPLES = r"""
---
# demo.glance_images.yml: every image of two clouds
plugin: imagecat.glance.images
clouds: [demo, alt]

---
# prod.glance_images.yml: active images only, host names qualified by cloud, extra groups
plugin: imagecat.glance.images
clouds: [region-a, region-b]
filters:
  status: active
hostname: glance_name ~ '@' ~ glance_cloud
compose:
  # Custom properties are host variables too.
  distro: glance_os_distro | default('unknown')
  size_mib: (glance_size | default(0, true) / 1048576) | round(1)
groups:
  stale: glance_created_at < '2025-01-01'
  large: (glance_size | default(0, true)) > 10 * 1024 ** 3
keyed_groups:
  - key: glance_os_distro | default('none')
    prefix: distro
  - key: glance_owner
    prefix: project

---
# large.glance_images.yml: only four host variables per image; compose and groups still see every field
plugin: imagecat.glance.images
clouds: [region-a, region-b]
fields: [name, os_distro, size, cloud]
strict: true
compose:
  team: glance_com_example_team | default('nobody')
groups:
  stale: glance_created_at < '2025-01-01'

---
# cached.glance_images.yml: listing kept for an hour in JSON files; one unreachable cloud only warns
plugin: imagecat.glance.images
clouds: [demo, alt, lab]
fail_on_errors: false
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-glance-images
cache_timeout: 3600
"""

import keyword
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.imagecat.glance.plugins.module_utils._connection import (
    MissingLibraryError,
    cloud_identity,
    config_loader,
)
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import BASE_FIELDS
from ansible_collections.imagecat.glance.plugins.module_utils._legacy import open_reader
from ansible_collections.imagecat.glance.plugins.plugin_utils._plugin_options import (
    connect_plugin,
    connection_adapter,
    fingerprint,
    list_query,
    missing_library_message,
    redact,
    secret_values,
)

display = Display()

CONFIG_SUFFIXES = ("glance_images.yml", "glance_images.yaml")
CACHE_FORMAT = 2
MAX_PARALLEL_CLOUDS = 4


_NOT_IN_VARIABLE_NAMES = re.compile(r"[^A-Za-z0-9_]")
# Python's keywords and Jinja's literals cannot be variable names either.
_RESERVED_NAMES = frozenset(keyword.kwlist) | {"true", "false", "none"}


def variable_name(prefix, key):
    """An Ansible variable name for an image field: ASCII letters, digits and _ only."""
    name = _NOT_IN_VARIABLE_NAMES.sub("_", prefix + str(key))
    if not name or name[0].isdigit() or name in _RESERVED_NAMES:
        name = "_" + name
    return name


class VariableNames(dict):
    """image field -> variable name, each name made once (a catalogue has few distinct fields)."""

    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix

    def __missing__(self, key):
        name = self[key] = variable_name(self.prefix, key)
        return name


def unique_host_names(candidates):
    """Host names for (base name, cloud, image id) candidates, unique and independent of order.

    A name several images share is qualified with the cloud; one still shared
    (several images of that name in one cloud) with the cloud and the id.
    """
    def clashing(names):
        counts = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        return {name for name, count in counts.items() if count > 1}

    names = [base for base, dummy_cloud, dummy_id in candidates]
    shared = clashing(names)
    names = ["%s@%s" % (base, cloud) if base in shared else base for base, cloud, dummy_id in candidates]
    shared = clashing(names)
    return ["%s@%s@%s" % (base, cloud, image_id) if name in shared else name
            for name, (base, cloud, image_id) in zip(names, candidates)]


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "imagecat.glance.images"

    def verify_file(self, path):
        """Only files named *glance_images.yml / *glance_images.yaml are this plugin's."""
        return super().verify_file(path) and path.endswith(CONFIG_SUFFIXES)

    # -- options -------------------------------------------------------------
    def _names(self, option, what):
        """The option's list of names without repeats, in order; None when unset."""
        values = self.get_option(option)
        if values is None:
            return None
        names = []
        for value in values:
            if not isinstance(value, str) or not value:
                raise AnsibleParserError("%s: option %s: %s are non-empty strings, got %r." % (self.NAME, option, what, value))
            if value not in names:
                names.append(value)
        return names

    def _clouds(self):
        """[(name in the inventory, value for the cloud option)]; the value None keeps the options as set."""
        clouds = self._names("clouds", "cloud names")
        if clouds:
            return [(cloud, cloud) for cloud in clouds]
        label = self.get_option("cloud") or os.environ.get("OS_CLOUD") or "default"
        return [(label, None)]

    def _fields(self):
        """The image fields chosen as host variables (a list without repeats), or None for all of them."""
        return self._names("fields", "image field names")

    def _check_fields(self, fields, catalogue):
        """Every chosen field is a Glance image field or a property of at least one listed image.

        Without any listed image there is nothing to choose from, and nothing is checked.
        """
        if not fields or not any(listing["images"] for listing in catalogue):
            return
        known = set(BASE_FIELDS) | {"cloud"}
        for listing in catalogue:
            for image in listing["images"]:
                known.update(image)
        unknown = [field for field in fields if field not in known]
        if unknown:
            raise AnsibleParserError(
                "%s: option fields: unknown image field%s %s: neither a Glance image field nor a property of any "
                "listed image. Name fields as Glance does, without vars_prefix (name, not glance_name). "
                "Known here: %s." % (self.NAME, "s" if len(unknown) > 1 else "",
                                     ", ".join(repr(field) for field in unknown), ", ".join(sorted(known))))

    def _source(self, clouds, query):
        """What a cached listing depends on: who lists which images where; no secret in clear.

        (fingerprint, {cloud label: error message}) for the clouds whose configuration cannot be read.
        """
        identities, errors = {}, {}
        self._import_config_loader()
        for label, cloud in clouds:
            try:
                identities[label] = cloud_identity(connection_adapter(self, cloud))
            except MissingLibraryError as error:
                raise AnsibleParserError(missing_library_message(self, error.library, error.error))
            except GlanceError as error:
                errors[label] = self._cloud_message(error, cloud)
        return fingerprint([label for label, dummy in clouds], identities, query, self.get_option("endpoint"),
                           self.get_option("region_name"), self.get_option("interface"), self.get_option("api"),
                           self.get_option("compute_endpoint")), errors

    # -- fetching ------------------------------------------------------------
    @staticmethod
    def _import_config_loader():
        """openstacksdk's loader imported now, once, before threads use it; an endpoint alone needs none."""
        try:
            config_loader()
        except MissingLibraryError:
            pass  # cloud_identity() or connect() say so, for the clouds that need it

    @staticmethod
    def _cloud_message(error, cloud):
        message = error.message
        if cloud is not None:
            # connect() names the modules' option; here the name came from clouds.
            message = message.replace("(option cloud)", "(option clouds)")
        return message

    def _list_images(self, connection, query):
        """Every image of one cloud that the query matches, in Glance's v2 shape: the only listing call."""
        find = open_reader(connection, self.get_option("api"), self.get_option("compute_endpoint"), query)
        return find(None, query, self.get_option("page_size"))

    def _list_cloud(self, cloud, query):
        """(images, None) or (None, error message) for one cloud."""
        try:
            return self._list_images(connect_plugin(self, cloud), query), None
        except GlanceError as error:
            return None, self._cloud_message(error, cloud)

    def _fetch(self, clouds, query, errors=None):
        """[{cloud, images}] for every cloud that answered, and whether every cloud did.

        ``errors`` holds the clouds already known to fail (their configuration could not be read).
        """
        errors = dict(errors or {})
        secrets = secret_values(self)

        def failed(label, error):
            message = "%s: cloud '%s': %s" % (self.NAME, label, redact(error, secrets))
            if self.get_option("fail_on_errors"):
                raise AnsibleParserError(message + " (set fail_on_errors: false to go on with the other clouds)")
            display.warning(message + " Its images are left out of the inventory.")

        for label, dummy in clouds:
            if label in errors and self.get_option("fail_on_errors"):
                failed(label, errors[label])  # before any request
        todo = [(label, cloud) for label, cloud in clouds if label not in errors]
        if len(todo) > 1:
            # Import openstacksdk's loader once, before the threads authenticate in parallel.
            self._import_config_loader()
        outcomes = {}
        if todo:
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CLOUDS, len(todo))) as pool:
                for (label, dummy), outcome in zip(todo, pool.map(lambda entry: self._list_cloud(entry[1], query), todo)):
                    outcomes[label] = outcome
        catalogue, complete = [], True
        for label, dummy in clouds:
            images, error = outcomes.get(label, (None, errors.get(label)))
            if error is None:
                catalogue.append({"cloud": label, "images": images})
                continue
            complete = False
            failed(label, error)
        return catalogue, complete

    # -- populating ----------------------------------------------------------
    def _base_host_name(self, hostname, image, variables, cloud):
        """The host name the hostname option gives one image, before names are made unique."""
        if hostname == "name":
            value = image.get("name")
        elif hostname == "id":
            value = image.get("id")
        else:
            try:
                value = self._compose(hostname, variables)
            except Exception as error:
                raise AnsibleParserError("%s: option hostname: cannot make the host name of image %s in cloud "
                                         "'%s' from %r: %s" % (self.NAME, image.get("id"), cloud, hostname, error))
        if value is None or value == "":
            value = image.get("id")
        return str(value)

    def _constructed(self, option, apply, *args):
        """Run one of the constructed mixins; its strict error names the option."""
        try:
            apply(*args)
        except AnsibleError as error:
            raise AnsibleParserError("%s: option %s: %s" % (self.NAME, option, error.message))

    def _populate(self, catalogue, fields):
        names = VariableNames(self.get_option("vars_prefix") or "")
        cloud_var = names["cloud"]
        strict = self.get_option("strict")
        compose = self.get_option("compose") or None
        groups = self.get_option("groups") or None
        keyed_groups = self.get_option("keyed_groups") or None
        hostname = self.get_option("hostname")
        # Only these features read variables beyond the chosen ones.
        needs_all = bool(compose or groups or keyed_groups) or hostname not in ("name", "id")

        # (cloud, image, the host's variables, every field as a variable), in listing order.
        entries = []
        for listing in catalogue:
            cloud = listing["cloud"]
            for image in listing["images"]:
                every = None
                if fields is None or needs_all:
                    every = {names[key]: value for key, value in image.items()}
                    every[cloud_var] = cloud
                if fields is None:
                    hostvars = every
                else:
                    hostvars = {names[key]: cloud if key == "cloud" else image[key]
                                for key in fields if key in image or key == "cloud"}
                entries.append((cloud, image, hostvars, every if needs_all else None))

        bases = [(self._base_host_name(hostname, image, every, cloud), cloud, image.get("id"))
                 for cloud, image, dummy, every in entries]
        host_names = unique_host_names(bases)
        for (base, dummy_cloud, dummy_id), name in zip(bases, host_names):
            if name != base:
                display.vvv("%s: host name %r is shared by several images; using %r" % (self.NAME, base, name))

        inventory = self.inventory
        add_host, set_variable, add_child = inventory.add_host, inventory.set_variable, inventory.add_child
        group_names = {}  # raw default group name -> its sanitised name, added to the inventory once

        def group_of(raw):
            name = group_names.get(raw)
            if name is None:
                name = group_names[raw] = inventory.add_group(self._sanitize_group_name(raw))
            return name

        for name, (cloud, image, hostvars, every) in zip(host_names, entries):
            add_host(name)
            for key, value in hostvars.items():
                set_variable(name, key, value)
            add_child(group_of("cloud_" + cloud), name)
            for field in ("visibility", "status", "disk_format"):
                value = image.get(field)
                if value:
                    add_child(group_of("%s_%s" % (field, value)), name)
            for tag in image.get("tags") or ():
                if tag:
                    add_child(group_of("tag_" + tag), name)
            if every is None:
                continue
            # The constructed features see every field of the image (not only the chosen ones), the
            # host's own variables and what compose adds: handed over explicitly, fetched from no host.
            if compose:
                self._constructed("compose", self._set_composite_vars, compose, every, name, strict)
            if groups or keyed_groups:
                every.update(inventory.get_host(name).vars)
            if groups:
                self._constructed("groups", self._add_host_to_composed_groups, groups, every, name, strict, False)
            if keyed_groups:
                self._constructed("keyed_groups", self._add_host_to_keyed_groups, keyed_groups, every, name,
                                  strict, False)

    # -- entry point ---------------------------------------------------------
    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)

        clouds = self._clouds()
        fields = self._fields()
        if self.get_option("page_size") < 1:
            raise AnsibleParserError("%s: option page_size must be 1 or more." % self.NAME)
        try:
            query = list_query(self.get_option("filters"), self.get_option("properties"), self.get_option("api"))
        except AnsibleError as error:
            raise AnsibleParserError("%s: %s" % (self.NAME, error.message))

        catalogue, errors = None, {}
        caching = self.get_option("cache")
        if caching:
            # One entry per configuration file and source: who lists which images where.
            source, errors = self._source(clouds, query)
            cache_key = "%s_%s" % (self.get_cache_key(path), source)
            if cache and not errors:
                cached = self._cache.get(cache_key)
                if isinstance(cached, dict) and cached.get("format") == CACHE_FORMAT and cached.get("source") == source:
                    catalogue = cached["clouds"]

        if catalogue is None:
            catalogue, complete = self._fetch(clouds, query, errors)
            # A hit is never written back; a partial listing is never written at all.
            if caching and complete:
                self._cache[cache_key] = {"format": CACHE_FORMAT, "source": source, "clouds": catalogue}

        self._check_fields(fields, catalogue)
        self._populate(catalogue, fields)
