# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: a catalogue entry's upstream, and the newest build it publishes.

An entry's ``upstream`` block names a distribution's checksum file (``checksum_url``) and the
image in it (``file``, or a shell ``pattern`` when the name carries the build). The newest
build is the listed file with the highest version; its version comes from the file's
``Last-Modified`` date or from a regex over its URL. ``validate_upstream`` is pure and also
used by the catalogue; ``newest_build`` does the HTTP requests through a ``fetch`` callable,
so the logic is tested without a server.
"""

from __future__ import annotations

import email.utils
import json
import posixpath
import re

from ansible.module_utils.six.moves.urllib.parse import urljoin, urlsplit

from ansible_collections.imagecat.glance.plugins.module_utils import _checksums
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError

UPSTREAM_KEYS = ("checksum_url", "file", "pattern", "url", "version_from", "version_regex", "version_format", "transfer")
# A version's transfer (see _catalogue.TRANSFERS): set, new versions are written with url and transfer.
TRANSFERS = ("web-download", "controller")
VERSION_FROM = ("last_modified", "regex")
SCHEMES = ("http", "https")
# What the catalogue accepts in a version's checksum (see _image_plan.DIGEST_ALGORITHMS).
CATALOGUE_ALGORITHMS = ("sha512", "sha256", "md5")


class UpstreamError(GlanceError):
    """Upstream did not answer as the entry says it would (the message names entry and URL)."""


def _http_url(value, key, where):
    text = str(value or "").strip()
    if urlsplit(text).scheme not in SCHEMES or not urlsplit(text).netloc:
        raise InputError("%s: upstream.%s must be an http or https URL; got %s." % (where, key, json.dumps(value)))
    return text


def validate_upstream(value, where):
    """An entry's upstream block -> its normalised form; InputError naming the entry and the key."""
    if not isinstance(value, dict):
        raise InputError("%s: upstream must be a mapping with checksum_url and file or pattern." % where)
    unknown = sorted(str(key) for key in value if key not in UPSTREAM_KEYS)
    if unknown:
        raise InputError("%s: upstream: unknown key %s; the keys of upstream are: %s."
                         % (where, ", ".join("'%s'" % k for k in unknown), ", ".join(UPSTREAM_KEYS)))
    spec = {"checksum_url": _http_url(value.get("checksum_url"), "checksum_url", where)}
    given = [key for key in ("file", "pattern") if value.get(key)]
    if len(given) != 1:
        raise InputError("%s: upstream needs exactly one of file (the image's name in the checksum file) or "
                         "pattern (a shell pattern such as 'Fedora-Cloud-Base-Generic-*.x86_64.qcow2')." % where)
    spec["file"] = str(value["file"]) if value.get("file") else None
    spec["pattern"] = str(value["pattern"]) if value.get("pattern") else None
    # By default the images sit next to their checksum file.
    spec["url"] = _http_url(value.get("url") or urljoin(spec["checksum_url"], "."), "url", where)
    if not spec["url"].endswith("/"):
        spec["url"] += "/"
    spec["version_from"] = value.get("version_from", "last_modified")
    if spec["version_from"] not in VERSION_FROM:
        raise InputError("%s: upstream.version_from must be one of %s; got %s."
                         % (where, ", ".join(VERSION_FROM), json.dumps(spec["version_from"])))
    spec["version_format"] = str(value.get("version_format") or "%Y%m%d")
    spec["transfer"] = value.get("transfer")
    if spec["transfer"] is not None and spec["transfer"] not in TRANSFERS:
        raise InputError("%s: upstream.transfer must be one of %s; got %s."
                         % (where, ", ".join(TRANSFERS), json.dumps(spec["transfer"])))
    spec["version_regex"] = None
    if spec["version_from"] == "regex":
        if not value.get("version_regex"):
            raise InputError("%s: upstream.version_regex is needed with version_from: regex; for example "
                             "'-(\\d{8})-' picks a date out of the file's URL." % where)
        try:
            spec["version_regex"] = re.compile(str(value["version_regex"]))
        except re.error as error:
            raise InputError("%s: upstream.version_regex is not a valid regular expression: %s." % (where, error))
        if spec["version_regex"].groups < 1:
            raise InputError("%s: upstream.version_regex needs a group around the version, as in '-(\\d{8})-'."
                             % where)
    return spec


def version_from_url(spec, url):
    match = spec["version_regex"].search(url)
    if not match:
        return None
    return match.group("version") if "version" in spec["version_regex"].groupindex else match.group(1)


def version_from_date(spec, last_modified):
    try:
        moment = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.strftime(spec["version_format"]) if moment else None


def newest_build(spec, where, fetch, natural_key):
    """The newest build upstream lists: {"file", "uri", "version", "checksum"}.

    ``fetch(method, url)`` returns (status, headers, text); ``natural_key`` orders versions.
    Raises UpstreamError with the entry and the URL in the message.
    """
    def ask(method, url):
        try:
            return fetch(method, url)
        except GlanceError as error:  # UpstreamError, or the TransferError of a bad redirect
            raise UpstreamError("%s: %s" % (where, error.message))

    status, dummy, text = ask("GET", spec["checksum_url"])
    if status != 200:
        raise UpstreamError("%s: upstream.checksum_url %s answers HTTP %s." % (where, spec["checksum_url"], status))
    file_name = posixpath.basename(urlsplit(spec["checksum_url"]).path)
    try:
        entries = _checksums.parse(text, file_name)
    except _checksums.ChecksumFileError as error:
        raise UpstreamError("%s: upstream.checksum_url %s is not a checksum file: %s."
                            % (where, spec["checksum_url"], error))
    if spec["file"]:
        candidates = [spec["file"]]
    else:
        candidates = _checksums.matching(entries, spec["pattern"])
        if not candidates:
            raise UpstreamError("%s: upstream.checksum_url %s lists no file matching upstream.pattern '%s'; it lists "
                                "%s." % (where, spec["checksum_url"], spec["pattern"],
                                         ", ".join(_checksums.names(entries)[:10])))
    builds = []
    for name in candidates:
        try:
            algo, digest = _checksums.digest_for(entries, name, CATALOGUE_ALGORITHMS)
        except _checksums.ChecksumFileError as error:
            raise UpstreamError("%s: upstream.checksum_url %s: %s." % (where, spec["checksum_url"], error))
        uri = urljoin(spec["url"], name)
        if spec["version_from"] == "regex":
            version = version_from_url(spec, uri)
            if version is None:
                raise UpstreamError("%s: upstream.version_regex does not match the image URL %s." % (where, uri))
        else:
            status, headers, dummy = ask("HEAD", uri)
            if status != 200:
                raise UpstreamError("%s: the image %s (listed in %s) answers HTTP %s."
                                    % (where, uri, spec["checksum_url"], status))
            last_modified = headers.get("Last-Modified")
            version = version_from_date(spec, last_modified)
            if version is None:
                raise UpstreamError("%s: the image %s has no usable Last-Modified header (%s); name versions with "
                                    "upstream.version_from: regex instead." % (where, uri, last_modified))
        build = {"file": name, "uri": uri, "version": version, "checksum": "%s:%s" % (algo, digest)}
        if spec["transfer"]:
            build["transfer"] = spec["transfer"]
        builds.append(build)
    return max(builds, key=lambda build: natural_key(build["version"]))


def is_known(build, versions):
    """True when the entry already has this build: the same version, or the same checksum."""
    for version in versions or []:
        if not isinstance(version, dict):
            continue
        if str(version.get("version")) == build["version"]:
            return True
        if str(version.get("checksum") or "").lower() == build["checksum"]:
            return True
    return False
