# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: image
short_description: Images of the OpenStack Image service (Glance) as facts
version_added: 0.1.0
description:
  - Returns the images named by the terms (names or ids), or, with no term, every image that matches
    O(filters) and O(properties), in Glance's own field shape (custom properties at the top level).
  - With O(query), returns the result of a JMESPath expression over that list instead, for example
    the id of the newest image.
  - One authenticated session per lookup call, however many terms; every page of a listing is followed.
  - Runs on the Ansible controller, which needs the Python libraries of the collection's requirements
    there (keystoneauth1, openstacksdk for O(cloud), jmespath for O(query)).
author:
  - imagecat.glance maintainers (@imagecat)
options:
  _terms:
    description:
      - Image names or ids. An id (UUID) is looked up by id first and, when no image has it, as a name.
      - Several images may share a name; all of them are returned.
      - Every term is narrowed by O(filters) and O(properties) as well.
      - With no term, every image that matches O(filters) and O(properties) is returned.
    type: list
    elements: str
    required: false
  filters:
    description:
      - Glance list filters, with the same keys and checks as O(imagecat.glance.image_info#module:filters)
        (C(name), C(id), C(status), C(visibility), C(member_status), C(owner), C(tag), C(size_min),
        C(size_max), C(protected), C(os_hidden), C(disk_format), C(container_format), C(checksum),
        C(os_hash_value), C(created_at), C(updated_at), C(sort), C(sort_key), C(sort_dir)).
      - Hidden images (C(os_hidden)) are listed only with C(os_hidden=true), and other projects'
        community images only with C(visibility=community) or C(all), as in Glance.
    type: dict
    default: {}
  properties:
    description:
      - Custom property filters, exact match, for example C(os_distro=ubuntu), as
        O(imagecat.glance.image_info#module:properties).
    type: dict
    default: {}
  query:
    description:
      - A L(JMESPath, https://jmespath.org/) expression applied to the list of images found; the lookup
        returns its result instead of the images.
      - A result that is a list is returned as the lookup's list; any other result (a string, a number,
        a dictionary, null) as a list of one element, so that C(lookup()) gives the value itself.
      - Checked before any request is sent. Needs the Python library jmespath on the controller.
    type: str
  page_size:
    description:
      - Images asked for per request; every page is followed. The server caps it at its C(api_limit_max).
    type: int
    default: 1000
    version_added: 0.2.0
  on_missing:
    description:
      - What to do when a term matches no image.
      - V(error) fails the lookup, naming every missing term; V(warn) warns and goes on with the
        other terms; V(skip) goes on silently.
      - Does not apply to a lookup without terms, which returns an empty list when nothing matches.
    type: str
    choices: [error, warn, skip]
    default: error
extends_documentation_fragment:
  - imagecat.glance.legacy_api
  - imagecat.glance.connection
  - imagecat.glance.connection.PLUGINS
notes:
  - An image that matches several terms is returned once, where it is first found.
  - Like other lookups, connection options may come from the lookup's keywords, from variables
    (C(ansible_glance_cloud), ...), from C(ANSIBLE_GLANCE_*) environment variables of the controller, or
    from the C([imagecat_glance]) section of C(ansible.cfg). A task's C(environment) keyword does not reach
    lookups; C(OS_CLOUD), C(OS_CLIENT_CONFIG_FILE) and the other C(OS_*) variables are read from the
    controller's environment.
seealso:
  - module: imagecat.glance.image_info
  - plugin: imagecat.glance.images
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: The id of the newest active Ubuntu image
  ansible.builtin.debug:
    msg: >-
      {{ lookup('imagecat.glance.image', cloud='mycloud',
                filters={'status': 'active'}, properties={'os_distro': 'ubuntu'},
                query='sort_by(@, &created_at)[-1].id') }}

- name: The same, sorted by Glance, newest first
  ansible.builtin.set_fact:
    ubuntu_id: >-
      {{ lookup('imagecat.glance.image', cloud='mycloud', properties={'os_distro': 'ubuntu'},
                filters={'status': 'active', 'sort': 'created_at:desc'}, query='[0].id') }}

- name: The id of an image by name
  ansible.builtin.debug:
    msg: "{{ lookup('imagecat.glance.image', 'ubuntu-24.04', cloud='mycloud', query='[0].id') }}"

- name: The names of all public images, as a list
  ansible.builtin.debug:
    msg: "{{ query('imagecat.glance.image', cloud='mycloud', filters={'visibility': 'public'}, query='[].name') }}"

- name: Whole images, connection options from variables; images that do not exist are skipped with a warning
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.disk_format }}, {{ item.size }} bytes"
  loop: "{{ query('imagecat.glance.image', 'ubuntu-24.04', 'debian-13', on_missing='warn') }}"
  vars:
    ansible_glance_cloud: mycloud

- name: Images tagged 'golden' in a standalone Glance without Keystone
  ansible.builtin.debug:
    msg: >-
      {{ query('imagecat.glance.image', endpoint='http://glance.example.com:9292',
               token=glance_token, filters={'tag': ['golden']}) }}
"""

RETURN = r"""
_raw:
  description:
    - Without O(query), the images in Glance's own field shape, custom properties at the top level
      (the fields are described in the return values of M(imagecat.glance.image_info)).
    - With O(query), the expression's result (a list as it is, anything else as a list of one element).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._legacy import open_reader
from ansible_collections.imagecat.glance.plugins.plugin_utils._plugin_options import (
    apply_jmespath,
    compile_jmespath,
    connect_plugin,
    list_query,
    option_variables,
    redact,
    secret_values,
)

display = Display()

NAME = "imagecat.glance.image lookup"


def _image_terms(terms):
    names = []
    for term in terms or []:
        if not isinstance(term, (str, int)) or isinstance(term, bool):
            raise AnsibleError("terms are image names or ids, got a %s: %r" % (type(term).__name__, term))
        names.append(str(term))
    return names


def collect_images(find, terms, query, page_size=1000):
    """(images, missing terms): every match of every term, each image once, in order.

    ``find`` is the reader the api option chose (_legacy.open_reader), called like _images.find_images.
    """
    if not terms:
        return find(None, query, page_size), []
    images, seen, missing = [], set(), []
    for term in terms:
        found = find(term, query, page_size)
        if not found:
            missing.append(term)
        for image in found:
            if image.get("id") not in seen:
                seen.add(image.get("id"))
                images.append(image)
    return images, missing


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=option_variables(self, variables, self._templar), direct=kwargs)
        # Every input check comes before the first request.
        names = _image_terms(terms)
        query = list_query(self.get_option("filters"), self.get_option("properties"), self.get_option("api"))
        expression = compile_jmespath(self.get_option("query"))
        on_missing = self.get_option("on_missing")
        if self.get_option("page_size") < 1:
            raise AnsibleError("option page_size must be 1 or more.")

        secrets = secret_values(self)
        try:
            find = open_reader(connect_plugin(self), self.get_option("api"), self.get_option("compute_endpoint"),
                               query)
            images, missing = collect_images(find, names, query, self.get_option("page_size"))
        except GlanceError as error:
            raise AnsibleError(redact(error.message, secrets))

        if missing:
            message = "no image matches %s%s" % (", ".join(repr(term) for term in missing),
                                                 " with the filters and properties given" if query else "")
            if on_missing == "error":
                # Ansible prefixes the lookup's name to errors, not to warnings.
                raise AnsibleError(message + " (on_missing=error; on_missing=warn or skip goes on without it).")
            if on_missing == "warn":
                display.warning("%s: %s." % (NAME, message))

        if expression is None:
            return images
        result = apply_jmespath(expression, images)
        return result if isinstance(result, list) else [result]
