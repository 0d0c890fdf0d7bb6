# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The from_osism filter: OSISM openstack-image-manager image files as catalogue entries."""

from __future__ import annotations

import datetime

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.imagecat.glance.plugins.module_utils._image_plan import DIGEST_ALGORITHMS

display = Display()

# Keys of an image of openstack-image-manager that have no place in a catalogue entry, and why.
UNMAPPED_IMAGE_KEYS = {
    'password': 'a secret, never stored as an image property',
    'shortname': 'used only by openstack-image-manager\'s mirror and update scripts',
    'latest_url': 'used only by openstack-image-manager\'s update scripts',
    'latest_checksum_url': 'used only by openstack-image-manager\'s update scripts',
    'keep': 'the catalogue keeps what keep_versions and prune say',
}
UNMAPPED_VERSION_KEYS = {
    'hidden': 'the catalogue hides every version but the newest itself',
    'id': 'the catalogue derives image ids itself',
    'checksum_url': 'the catalogue does not fetch checksums; give checksum',
    'checksums_url': 'the catalogue does not fetch checksums; give checksum',
    'source': 'not an image property in the catalogue',
}
KNOWN_IMAGE_KEYS = ('name', 'enable', 'format', 'login', 'meta', 'min_disk', 'min_ram', 'multi', 'status', 'separator',
                    'tags', 'versions', 'visibility') + tuple(UNMAPPED_IMAGE_KEYS)
KNOWN_VERSION_KEYS = ('version', 'url', 'mirror_url', 'checksum', 'build_date', 'meta', 'os_version',
                      'image_description', 'visibility') + tuple(UNMAPPED_VERSION_KEYS)


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _properties(meta, where, warnings):
    properties = {}
    for key, value in (meta or {}).items():
        if value is None:
            warnings.append('%s: meta %s is empty (null) and is left out.' % (where, key))
            continue
        properties[str(key)] = _text(value)
    return properties


def _version(image, version, where, warnings):
    """One version of an image of openstack-image-manager as a version of a catalogue entry."""
    name = _text(version.get('version', '')).strip()
    where = '%s version %s' % (where, name or '?')
    if not name:
        raise AnsibleFilterError('from_osism: %s: a version needs a version string.' % where)
    if name == 'latest':
        warnings.append('%s: "latest" follows a moving upstream file, and a catalogue version never changes its '
                        'data; it is left out (declare dated versions instead).' % where)
        return None
    for key in sorted(set(version) - set(KNOWN_VERSION_KEYS), key=str):
        warnings.append('%s: unknown key %s is left out.' % (where, key))
    for key in sorted(set(version) & set(UNMAPPED_VERSION_KEYS)):
        warnings.append('%s: %s does not map (%s).' % (where, key, UNMAPPED_VERSION_KEYS[key]))
    if version.get('visibility') not in (None, image.get('visibility')):
        warnings.append('%s: visibility %s differs from the image\'s; a catalogue entry has one visibility for all '
                        'its versions (%s).' % (where, version['visibility'], image.get('visibility')))

    result = {'version': name}
    url = version.get('mirror_url') or version.get('url')
    if not url:
        raise AnsibleFilterError('from_osism: %s: a version needs url (or mirror_url).' % where)
    if url.startswith('file:'):
        result['filename'] = url[len('file://'):] if url.startswith('file://') else url[len('file:'):]
    else:
        result['uri'] = url

    checksum = version.get('checksum')
    if checksum:
        algorithm = str(checksum).partition(':')[0].lower()
        if algorithm in DIGEST_ALGORITHMS:
            result['checksum'] = str(checksum)
        else:
            warnings.append('%s: checksum %s is left out: the catalogue checks %s.'
                            % (where, algorithm, ', '.join(sorted(DIGEST_ALGORITHMS))))

    # The properties openstack-image-manager sets per version, the same way.
    properties = {'internal_version': name}
    if version.get('url'):
        properties['image_source'] = version['url']
    if version.get('build_date') is not None:
        properties['image_build_date'] = _text(version['build_date'])[:10]
    if version.get('os_version') is not None:
        properties['os_version'] = _text(version['os_version'])
    elif not image.get('multi', True):
        properties['os_version'] = name
    if version.get('image_description') is not None:
        properties['image_description'] = _text(version['image_description'])
    properties.update(_properties(version.get('meta'), where, warnings))
    result['properties'] = properties
    return result


def from_osism(data, include_disabled=False):
    """Catalogue entries (imagecat.glance.catalogue's images) from an image file of openstack-image-manager."""
    images = data.get('images') if isinstance(data, dict) else data
    if not isinstance(images, list):
        raise AnsibleFilterError('from_osism: expects the content of an openstack-image-manager image file (a mapping '
                                 'with an images list, as from_yaml reads it) or that list; got %s.'
                                 % type(data).__name__)
    entries, warnings = [], []
    for index, image in enumerate(images):
        if not isinstance(image, dict) or not image.get('name'):
            raise AnsibleFilterError('from_osism: images[%d] must be a mapping with a name.' % index)
        where = 'images[%d] (%s)' % (index, image['name'])
        if not image.get('enable', True) and not include_disabled:
            continue
        for key in sorted(set(image) - set(KNOWN_IMAGE_KEYS), key=str):
            warnings.append('%s: unknown key %s is left out.' % (where, key))
        for key in sorted(set(image) & set(UNMAPPED_IMAGE_KEYS)):
            warnings.append('%s: %s does not map (%s).' % (where, key, UNMAPPED_IMAGE_KEYS[key]))
        if image.get('status', 'active') != 'active':
            warnings.append('%s: status %s does not map: the catalogue keeps its images active; deactivate them with '
                            'imagecat.glance.image or prune: deactivate.' % (where, image['status']))
        multi = image.get('multi', True)
        separator = image.get('separator', ' ')
        if multi and separator != ' ':
            warnings.append('%s: separator %r does not map: the catalogue names older versions "<name> (<version>)".'
                            % (where, separator))

        fields = {'disk_format': image.get('format'), 'container_format': 'bare'}
        for key in ('visibility', 'min_disk', 'min_ram'):
            if image.get(key) is not None:
                fields[key] = image[key]
        meta = image.get('meta') or {}
        properties = {'image_description': image['name'], 'image_name': image['name']}
        properties.update(_properties(meta, where, warnings))
        if image.get('login'):
            properties['image_original_user'] = _text(image['login'])
        tags = [str(tag) for tag in image.get('tags') or []]
        if meta.get('os_distro') and 'os:%s' % meta['os_distro'] not in tags:
            tags.append('os:%s' % meta['os_distro'])
        fields['tags'] = tags

        versions = [v for v in (_version(image, version, where, warnings) for version in image.get('versions') or [])
                    if v is not None]
        if not versions:
            warnings.append('%s: no version left to declare; the image is left out.' % where)
            continue
        if multi:
            entry = dict(name=image['name'], properties=properties, version_order='natural', versions=versions,
                         **fields)
            entries.append(entry)
        else:
            # Every version is an image of its own, named "<name><separator><version>".
            for version in versions:
                name = '%s%s%s' % (image['name'], separator, version['version'])
                entries.append(dict(name=name, properties=dict(properties), versions=[version],
                                    **fields))
    for warning in warnings:
        display.warning('imagecat.glance.from_osism: ' + warning)
    return entries


class FilterModule(object):
    def filters(self):
        return {'from_osism': from_osism}
