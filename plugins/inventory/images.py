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
  - Every page of each cloud's listing is fetched, 1000 images per request where the cloud allows it.
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
    path; O(compose), O(groups), O(keyed_groups) and O(hostname) are applied afresh on every run. A cached
    listing is used only while O(clouds) (or O(cloud)), O(filters), O(properties), O(endpoint),
    O(region_name) and O(interface) are unchanged. Use a persistent cache plugin such as
    C(ansible.builtin.jsonfile) to share it between runs; C(--flush-cache) refreshes it.
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
from threading import Lock

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._legacy import open_reader
from ansible_collections.imagecat.glance.plugins.plugin_utils._plugin_options import (
    connect_plugin,
    fingerprint,
    list_query,
    redact,
    secret_values,
)

display = Display()

CONFIG_SUFFIXES = ("glance_images.yml", "glance_images.yaml")
CACHE_FORMAT = 1
MAX_PARALLEL_CLOUDS = 4
# openstacksdk's config loader is imported and run under this lock: its import
# briefly swaps a stand-in into sys.modules, which must not race between threads.
_CONNECT_LOCK = Lock()


_NOT_IN_VARIABLE_NAMES = re.compile(r"[^A-Za-z0-9_]")
# Python's keywords and Jinja's literals cannot be variable names either.
_RESERVED_NAMES = frozenset(keyword.kwlist) | {"true", "false", "none"}


def variable_name(prefix, key):
    """An Ansible variable name for an image field: ASCII letters, digits and _ only."""
    name = _NOT_IN_VARIABLE_NAMES.sub("_", prefix + str(key))
    if not name or name[0].isdigit() or name in _RESERVED_NAMES:
        name = "_" + name
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
    def _clouds(self):
        """[(name in the inventory, value for the cloud option)]; the value None keeps the options as set."""
        clouds = self.get_option("clouds")
        if clouds:
            seen = []
            for cloud in clouds:
                if not isinstance(cloud, str) or not cloud:
                    raise AnsibleParserError("%s: option clouds: cloud names are non-empty strings, got %r."
                                             % (self.NAME, cloud))
                if cloud not in seen:
                    seen.append(cloud)
            return [(cloud, cloud) for cloud in seen]
        label = self.get_option("cloud") or os.environ.get("OS_CLOUD") or "default"
        return [(label, None)]

    def _source_fingerprint(self, clouds, query):
        """What a cached listing depends on: the images asked for and where from (no secrets)."""
        return fingerprint([label for label, dummy in clouds], query,
                           self.get_option("endpoint"), self.get_option("region_name"),
                           self.get_option("interface"))

    # -- fetching ------------------------------------------------------------
    def _list_cloud(self, label, cloud, query):
        """(images, None) or (None, error message) for one cloud."""
        try:
            with _CONNECT_LOCK:
                connection = connect_plugin(self, cloud)
            find = open_reader(connection, self.get_option("api"), self.get_option("compute_endpoint"), query)
            return find(None, query), None
        except GlanceError as error:
            message = error.message
            if cloud is not None:
                # connect() names the modules' option; here the name came from clouds.
                message = message.replace("(option cloud)", "(option clouds)")
            return None, message

    def _fetch(self, clouds, query):
        """[{cloud, images}] for every cloud that answered, and whether every cloud did."""
        workers = max(1, min(MAX_PARALLEL_CLOUDS, len(clouds)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda entry: self._list_cloud(entry[0], entry[1], query), clouds))
        secrets = secret_values(self)
        catalogue, complete = [], True
        for (label, dummy), (images, error) in zip(clouds, outcomes):
            if error is None:
                catalogue.append({"cloud": label, "images": images})
                continue
            complete = False
            message = "%s: cloud '%s': %s" % (self.NAME, label, redact(error, secrets))
            if self.get_option("fail_on_errors"):
                raise AnsibleParserError(message + " (set fail_on_errors: false to go on with the other clouds)")
            display.warning(message + " Its images are left out of the inventory.")
        return catalogue, complete

    # -- populating ----------------------------------------------------------
    def _base_host_name(self, hostname, image, hostvars, cloud):
        """The host name the hostname option gives one image, before names are made unique."""
        if hostname == "name":
            value = image.get("name")
        elif hostname == "id":
            value = image.get("id")
        else:
            try:
                value = self._compose(hostname, hostvars)
            except Exception as error:
                raise AnsibleParserError("%s: option hostname: cannot make the host name of image %s in cloud "
                                         "'%s' from %r: %s" % (self.NAME, image.get("id"), cloud, hostname, error))
        if value is None or value == "":
            value = image.get("id")
        return str(value)

    def _add_default_groups(self, host, image, cloud):
        groups = ["cloud_%s" % cloud]
        for field in ("visibility", "status", "disk_format"):
            if image.get(field):
                groups.append("%s_%s" % (field, image[field]))
        groups.extend("tag_%s" % tag for tag in image.get("tags") or [] if tag)
        for group in groups:
            group = self.inventory.add_group(self._sanitize_group_name(group))
            self.inventory.add_child(group, host)

    def _populate(self, catalogue):
        prefix = self.get_option("vars_prefix") or ""
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")

        names_of = {}  # image field -> variable name; a catalogue has few distinct fields
        cloud_var = variable_name(prefix, "cloud")
        entries = []
        for listing in catalogue:
            cloud = listing["cloud"]
            for image in listing["images"]:
                hostvars = {}
                for key, value in image.items():
                    name = names_of.get(key)
                    if name is None:
                        name = names_of[key] = variable_name(prefix, key)
                    hostvars[name] = value
                hostvars[cloud_var] = cloud
                entries.append((cloud, image, hostvars))
        hostname = self.get_option("hostname")
        bases = [(self._base_host_name(hostname, image, hostvars, cloud), cloud, image.get("id"))
                 for cloud, image, hostvars in entries]
        names = unique_host_names(bases)
        for (base, dummy_cloud, dummy_id), name in zip(bases, names):
            if name != base:
                display.vvv("%s: host name %r is shared by several images; using %r" % (self.NAME, base, name))

        for name, (cloud, image, hostvars) in zip(names, entries):
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
            self._add_default_groups(name, image, cloud)
            # Constructed features see the image's variables plus what compose adds.
            self._set_composite_vars(compose, hostvars, name, strict=strict)
            self._add_host_to_composed_groups(groups, {}, name, strict=strict)
            self._add_host_to_keyed_groups(keyed_groups, {}, name, strict=strict)

    # -- entry point ---------------------------------------------------------
    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)

        clouds = self._clouds()
        try:
            query = list_query(self.get_option("filters"), self.get_option("properties"), self.get_option("api"))
        except AnsibleError as error:
            raise AnsibleParserError("%s: %s" % (self.NAME, error.message))
        source = self._source_fingerprint(clouds, query)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        catalogue = None
        if use_cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                update_cache = True
            else:
                if isinstance(cached, dict) and cached.get("format") == CACHE_FORMAT and cached.get("source") == source:
                    catalogue = cached["clouds"]
                else:
                    # Listed with other clouds or filters: not this configuration's images.
                    update_cache = True

        if catalogue is None:
            catalogue, complete = self._fetch(clouds, query)
            # A hit is never written back; a partial listing is never written at all.
            if update_cache and complete:
                self._cache[cache_key] = {"format": CACHE_FORMAT, "source": source, "clouds": catalogue}

        self._populate(catalogue)
