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

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url

from ansible_collections.imagecat.glance.plugins.module_utils import _catalogue_file
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import natural_key
from ansible_collections.imagecat.glance.plugins.module_utils._connection import MissingLibraryError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._upstream import (
    SCHEMES,
    UpstreamError,
    is_known,
    newest_build,
    validate_upstream,
)

# A checksum file is small; anything larger is not one (and is not read whole into memory).
MAX_CHECKSUM_FILE = 4 * 1024 * 1024


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


def http_fetch(timeout, validate_certs):
    """fetch(method, url) -> (status, headers, text) for newest_build, refusing non-http redirects."""
    def fetch(method, url):
        try:
            response = open_url(url, method=method, timeout=timeout, validate_certs=validate_certs,
                                follow_redirects="safe")
        except HTTPError as error:
            if 300 <= error.code < 400:
                # open_url follows http and https redirects itself; this one went elsewhere.
                raise UpstreamError("%s redirects to %s; only http and https are followed."
                                    % (url, error.headers.get("Location")))
            return error.code, error.headers, ""
        except (URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise UpstreamError("%s %s failed: %s." % (method, url, reason))
        with response:
            final = response.geturl()
            if urlsplit(final).scheme not in SCHEMES:
                raise UpstreamError("%s redirects to %s; only http and https are followed." % (url, final))
            text = ""
            if method == "GET":
                body = response.read(MAX_CHECKSUM_FILE + 1)
                if len(body) > MAX_CHECKSUM_FILE:
                    raise UpstreamError("%s is larger than %d bytes; that is no checksum file."
                                        % (url, MAX_CHECKSUM_FILE))
                text = body.decode("utf-8", "replace")
            return response.status, response.headers, text
    return fetch


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
