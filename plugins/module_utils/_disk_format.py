# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: a local file's disk format, read from its header, against disk_format.

The header is read by oslo.utils' ``imageutils.format_inspector``, the inspector Glance itself runs
on uploads of ``bare`` images, and judged by Glance's rule: the detected format must be the
declared one, except that ``raw`` data passes for a format Glance cannot inspect (ami, ...) and
declared ``raw`` accepts anything. So a file Glance would refuse with 415 is refused before any
write, with both formats named.
"""

from __future__ import annotations

from ansible_collections.imagecat.glance.plugins.module_utils._connection import MissingLibraryError
from ansible_collections.imagecat.glance.plugins.module_utils._decompress import DecompressingReader
from ansible_collections.imagecat.glance.plugins.module_utils._errors import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import file_compression


def load_format_inspector():
    """oslo.utils' inspector, imported when a file is first checked (a run that uploads nothing, the
    common unchanged case, does not pay for the import)."""
    try:
        from oslo_utils.imageutils import format_inspector
    except ImportError as exc:
        raise MissingLibraryError("oslo.utils", exc)
    return format_inspector


def detected_format(filename, chunk_size=65536):
    """The format the file's header shows ('raw' when none matches), read as Glance reads it."""
    format_inspector = load_format_inspector()
    with open(filename, "rb") as handle:
        # A compressed file is uploaded decompressed: its content's header is what Glance inspects.
        source = DecompressingReader(handle) if file_compression(filename) else handle
        wrapper = format_inspector.InspectWrapper(source)
        try:
            # Read until every inspector has decided (a few chunks for any real image).
            while wrapper.formats is None and wrapper.read(chunk_size):
                pass
        finally:
            wrapper.close()
        names = sorted(str(match) for match in wrapper.formats or [])
    if names == ["gpt", "iso"]:
        # A bootable ISO may carry a GPT boot loader in front: Glance takes it as iso.
        return "iso"
    return "+".join(names) or "raw"


def check_disk_format(filename, disk_format, container_format, where="filename"):
    """InputError when Glance would refuse ``filename`` as ``disk_format`` (no request is sent)."""
    if not disk_format or container_format not in (None, "bare") or disk_format == "raw":
        return
    found = detected_format(filename)
    if found == disk_format:
        return
    if found == "raw" and disk_format not in load_format_inspector().ALL_FORMATS:
        return
    raise InputError("%s: the header of %s says disk format %s, but disk_format is %s; Glance would refuse the "
                     "data. Set disk_format to the file's format, or convert the file." % (
                         where, filename, found, disk_format))
