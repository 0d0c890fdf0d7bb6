# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: catalogue files edited in place, keeping what people wrote.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow style; the
indentation of block sequences is read from the file itself, so a version appended to an
entry is the only difference in the written file.
"""

from __future__ import annotations

import copy
import io
import os
import re
import tempfile

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString
    HAS_RUAMEL = True
    RUAMEL_ERROR = None
except ImportError as error:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_RUAMEL = False
    RUAMEL_ERROR = error
    YAMLError = ValueError

from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError

_SEQUENCE_ITEM = re.compile(r"^( *)- ", re.MULTILINE)
_KEY = re.compile(r"^( *)[^\s#-][^:\n]*:", re.MULTILINE)


def _yaml(text):
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines (URLs, descriptions)
    item = _SEQUENCE_ITEM.search(text)
    offset = len(item.group(1)) if item else 2
    if item:
        # The offset is the dash's indent relative to its parent key's indent.
        parents = [len(m.group(1)) for m in _KEY.finditer(text[:item.start()])]
        offset -= parents[-1] if parents else 0
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _move_trailing_comment(previous, new, new_key):
    """Blank lines and comments after the old last version belong after the new one.

    ruamel.yaml keeps what follows a mapping's last value as a comment of that value; left
    there, a blank line between two entries would end up between the old and the new version.
    """
    if not isinstance(previous, CommentedMap) or not previous:
        return
    last_key = list(previous.keys())[-1]
    value = previous[last_key]
    if isinstance(value, (CommentedMap, list)) and value:
        # The comment then hangs on the last item of the nested collection.
        return _move_trailing_comment(value[-1] if isinstance(value, list) else value, new, new_key)
    slots = previous.ca.items.get(last_key)
    if not slots or len(slots) < 3 or slots[2] is None:
        return
    comment = slots[2]
    # An end-of-line comment on the old last line stays there; only what follows it moves.
    own_line, newline, rest = comment.value.partition("\n")
    if not rest:
        return
    moved = copy.copy(comment)
    # The token starts with the end of the line its value is on: the new version's line now.
    moved.value = "\n" + rest
    comment.value = own_line + newline
    if not own_line.strip():
        slots[2] = None
    new.ca.items[new_key] = [None, None, moved, None]


class CatalogueFile:
    """One catalogue file (a mapping with an ``images`` list), loaded for round-trip editing."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, encoding="utf-8") as handle:
                self.text = handle.read()
        except OSError as error:
            raise InputError("path: cannot read the catalogue file %s: %s." % (path, error.strerror))
        self._yaml = _yaml(self.text)
        try:
            self.data = self._yaml.load(self.text)
        except YAMLError as error:
            raise InputError("path: %s is not valid YAML: %s" % (path, str(error).replace("\n", " ")))
        if not isinstance(self.data, dict) or not isinstance(self.data.get("images"), list):
            raise InputError("path: %s is not a catalogue file; it needs a top-level 'images' list." % path)

    @property
    def images(self):
        return self.data["images"]

    def append_version(self, entry, build):
        """Add {version, uri, checksum} as the entry's newest version; with a ``transfer`` in the build (from
        the upstream block), {version, url, checksum, transfer}."""
        versions = entry.get("versions")
        if versions is None:
            versions = entry["versions"] = []
        version = CommentedMap()
        version["version"] = DoubleQuotedScalarString(build["version"])
        version["url" if build.get("transfer") else "uri"] = build["uri"]
        version["checksum"] = build["checksum"]
        last = "checksum"
        if build.get("transfer"):
            version["transfer"] = build["transfer"]
            last = "transfer"
        if versions:
            _move_trailing_comment(versions[-1], version, last)
        versions.append(version)

    def render(self):
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    def write(self, text):
        """Replace the file atomically (a temporary file beside it, then rename), keeping its mode."""
        directory = os.path.dirname(os.path.abspath(self.path))
        mode = os.stat(self.path).st_mode & 0o7777
        handle, temp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(self.path))
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temp, mode)
            os.replace(temp, self.path)
        except OSError as error:
            if os.path.exists(temp):
                os.unlink(temp)
            raise InputError("path: cannot write %s: %s." % (self.path, error.strerror))
