# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the catalogue_update module's run, from files to the versions it adds.

Every file is read and every upstream asked before the first file is written, so a failure
in one entry leaves all files as they were.
"""

from __future__ import annotations

import glob
import os

from ansible_collections.imagecat.glance.plugins.module_utils import _catalogue_file
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import natural_key
from ansible_collections.imagecat.glance.plugins.module_utils._connection import MissingLibraryError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._transfer import http_fetch
from ansible_collections.imagecat.glance.plugins.module_utils._upstream import (
    is_known,
    newest_build,
    validate_upstream,
)


def catalogue_paths(paths):
    """The files named, directories expanded to their *.yml / *.yaml files (sorted)."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            found.extend(sorted(glob.glob(os.path.join(path, "*.yml")) + glob.glob(os.path.join(path, "*.yaml"))))
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise InputError("path: %s does not exist; give catalogue files or directories holding them." % path)
    if not found:
        raise InputError("path: %s holds no *.yml or *.yaml file." % ", ".join(paths))
    return found


def update_catalogues(params, check_mode):
    """(changed, updates, current, diffs) over the catalogue files of ``params``."""
    if not _catalogue_file.HAS_RUAMEL:
        raise MissingLibraryError("ruamel.yaml", _catalogue_file.RUAMEL_ERROR)
    fetch = http_fetch(params["timeout"], params["validate_certs"])
    wanted = set(params["entries"] or [])
    files, updates, current, seen = [], [], [], set()
    for path in catalogue_paths(params["path"]):
        catalogue = _catalogue_file.CatalogueFile(path)
        added = False
        for index, entry in enumerate(catalogue.images):
            if not isinstance(entry, dict) or "upstream" not in entry:
                continue
            name = str(entry.get("name"))
            if wanted and name not in wanted:
                continue
            seen.add(name)
            where = "%s: images[%d] (%s)" % (path, index, name)
            build = newest_build(validate_upstream(entry["upstream"], where), where, fetch, natural_key)
            if is_known(build, entry.get("versions")):
                current.append(name)
                continue
            catalogue.append_version(entry, build)
            updates.append(dict(build, path=path, entry=name))
            added = True
        if added:
            files.append(catalogue)
    missing = sorted(wanted - seen)
    if missing:
        raise InputError("entries: no entry with an upstream block is named %s in %s."
                         % (", ".join(missing), ", ".join(params["path"])))
    diffs = []
    for catalogue in files:
        after = catalogue.render()
        diffs.append(dict(before=catalogue.text, after=after, before_header=catalogue.path,
                          after_header=catalogue.path))
        if not check_mode:
            catalogue.write(after)
    return bool(updates), updates, current, diffs
