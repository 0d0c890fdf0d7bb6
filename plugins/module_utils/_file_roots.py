# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: which local files a catalogue may name (its file roots).

A catalogue file in git is data that a merge request can change; if its entries could name any
path, a merge request could make the controller upload /etc/shadow or a private key as an image.
So a filename of an entry that has a base directory (the catalogue file's directory) must stay
inside it: a relative name is resolved against it, symbolic links included, and may not leave it;
an absolute name, a ``~`` name or a ``..`` escape is refused unless it lies inside one of the
allowed roots the playbook lists. Pure path logic: no file is opened.
"""

from __future__ import annotations

import os

from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_catalogue_file(filename, base_dir=None, allowed_roots=None, where="filename"):
    """The path to read for an entry's ``filename``; InputError (naming ``where``) when it may not be read.

    ``base_dir``: the catalogue's directory, or None for entries written in the playbook itself (they
    are not restricted unless ``allowed_roots`` is given). ``allowed_roots``: directories that names
    outside ``base_dir`` (absolute, ``~``, ``..``) may point into.
    """
    name = str(filename)
    roots = [os.path.realpath(os.path.expanduser(str(root))) for root in allowed_roots or []]
    expanded = os.path.expanduser(name)
    if base_dir is None:
        path = os.path.abspath(expanded)
        if not roots:
            return path
        base = None
    else:
        base = os.path.realpath(os.path.expanduser(str(base_dir)))
        path = os.path.normpath(os.path.join(base, expanded))  # an absolute name replaces base
    real = os.path.realpath(path)
    if base is not None and _inside(real, base):
        return path
    for root in roots:
        if _inside(real, root):
            return path
    if base is None:
        raise InputError("%s: %s is outside the allowed_file_roots (%s). List its directory there, or move the "
                         "file." % (where, name, ", ".join(roots)))
    if os.path.isabs(expanded):
        why = "is an absolute path"
    elif ".." in expanded.split(os.sep):
        why = "climbs out of it with '..'"
    else:
        why = "leads out of it through a symbolic link"
    raise InputError("%s: %s %s; the catalogue's directory is %s. A catalogue may name only files inside its "
                     "own directory (a GitOps safety rule: a change to a catalogue must not make the controller "
                     "upload any file it can read); list the file's directory in allowed_file_roots to allow "
                     "it." % (where, name, why, base))
