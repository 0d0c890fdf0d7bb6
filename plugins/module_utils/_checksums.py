# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: checksum files as distributions publish them, parsed.

Pure functions, no I/O. Two line formats exist in the wild:

- GNU coreutils (``sha256sum`` and friends, Ubuntu's SHA256SUMS, Debian's SHA512SUMS):
  ``<hex><space><space or *><name>``; a line starting with a backslash has a name with
  ``\\\\`` and ``\\n`` escapes.
- BSD / ``--tag`` (Fedora, CentOS Stream, Rocky and AlmaLinux CHECKSUM files):
  ``<ALGO> (<name>) = <hex>``.

Files are often PGP clearsigned: the armour header, its ``Hash:`` lines and the
signature block are skipped, and dash-escaped lines (``- -...``) are un-escaped. The
signature itself is not checked here; the digests are what the image is verified with.
"""

from __future__ import annotations

import fnmatch
import re

# Hex length -> algorithm, for GNU lines, whose format does not name the algorithm.
ALGORITHM_BY_LENGTH = {32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
# Names in BSD lines (and in checksum file names such as SHA256SUMS) -> hashlib names.
ALGORITHM_NAMES = {"MD5": "md5", "SHA1": "sha1", "SHA224": "sha224", "SHA256": "sha256", "SHA384": "sha384",
                   "SHA512": "sha512", "SHA2-224": "sha224", "SHA2-256": "sha256", "SHA2-384": "sha384",
                   "SHA2-512": "sha512"}
# Strongest first: the one picked when a file lists a name under several algorithms.
PREFERENCE = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")

_BSD_LINE = re.compile(r"^(?P<algo>[A-Za-z0-9-]+) ?\((?P<name>.+)\) ?= ?(?P<hex>[0-9A-Fa-f]+)$")
_GNU_LINE = re.compile(r"^(?P<hex>[0-9A-Fa-f]+) (?P<mode>[ *])(?P<name>.+)$")
_FILE_ALGO = re.compile(r"(SHA2?-?(?:1|224|256|384|512)|MD5)", re.IGNORECASE)

PGP_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
PGP_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"


class ChecksumFileError(ValueError):
    """A checksum file that cannot be read as one, or that does not list a file."""


def algorithm_hint(file_name):
    """'SHA256SUMS' -> 'sha256'; None when the name does not say."""
    match = _FILE_ALGO.search(file_name or "")
    if not match:
        return None
    return ALGORITHM_NAMES.get(match.group(1).upper().replace("SHA-", "SHA"))


def signed_text(text):
    """The lines a clearsigned message signs (un-escaped), or all lines when it is not signed."""
    lines = text.splitlines()
    if not any(line.strip() == PGP_SIGNED for line in lines):
        return lines
    out, state = [], "before"
    for line in lines:
        stripped = line.rstrip("\r")
        if state == "before":
            if stripped.strip() == PGP_SIGNED:
                state = "headers"
        elif state == "headers":
            # Armour headers (Hash: SHA256) end with the first empty line.
            if not stripped.strip():
                state = "body"
        elif state == "body":
            if stripped.strip() == PGP_SIGNATURE:
                state = "after"
            else:
                out.append(stripped[2:] if stripped.startswith("- ") else stripped)
    if state in ("before", "headers"):
        raise ChecksumFileError("the file starts a PGP signed message but has no signed text")
    return out


def _gnu_name(name, escaped):
    if not escaped:
        return name
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), name)


def parse(text, file_name=None):
    """[(name, algorithm, hex)] of every digest line; comments and blank lines are skipped.

    ``file_name`` (for example SHA512SUMS) decides the algorithm of GNU lines whose hex
    length fits several; otherwise the length decides.
    """
    hint = algorithm_hint(file_name)
    entries = []
    for number, raw in enumerate(signed_text(text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        bsd = _BSD_LINE.match(line)
        if bsd:
            algo = ALGORITHM_NAMES.get(bsd.group("algo").upper())
            if algo is None:
                raise ChecksumFileError("line %d names the unknown algorithm %s" % (number, bsd.group("algo")))
            digest = bsd.group("hex").lower()
            if ALGORITHM_BY_LENGTH.get(len(digest)) != algo:
                raise ChecksumFileError("line %d: a %s digest cannot have %d hex digits" % (number, algo, len(digest)))
            entries.append((bsd.group("name"), algo, digest))
            continue
        escaped = line.startswith("\\")
        gnu = _GNU_LINE.match(line[1:] if escaped else line)
        if gnu:
            digest = gnu.group("hex").lower()
            by_length = ALGORITHM_BY_LENGTH.get(len(digest))
            algo = hint if hint and ALGORITHM_BY_LENGTH.get(len(digest)) == hint else by_length
            if algo is None:
                raise ChecksumFileError("line %d: %d hex digits is no known digest length" % (number, len(digest)))
            entries.append((_gnu_name(gnu.group("name"), escaped), algo, digest))
            continue
        raise ChecksumFileError("line %d is neither '<hex>  <name>' nor '<ALGO> (<name>) = <hex>': %s"
                                % (number, line[:80]))
    if not entries:
        raise ChecksumFileError("it lists no digest")
    return entries


def _basename(name):
    # GNU lines may carry a relative path (./images/x.qcow2); compare the last part.
    return name.rsplit("/", 1)[-1]


def names(entries):
    """The file names a parsed checksum file lists, in file order, each once."""
    seen = []
    for name, dummy, dummy2 in entries:
        base = _basename(name)
        if base not in seen:
            seen.append(base)
    return seen


def matching(entries, pattern):
    """The listed file names that match a shell-style pattern (fnmatch), in file order."""
    return [name for name in names(entries) if fnmatch.fnmatchcase(name, pattern)]


def digest_for(entries, file_name, allowed=PREFERENCE):
    """(algorithm, hex) of ``file_name``: the strongest listed algorithm among ``allowed``.

    Raises ChecksumFileError when the file is not listed, or listed twice with different
    digests of one algorithm.
    """
    found = {}
    for name, algo, digest in entries:
        if _basename(name) != file_name:
            continue
        if found.get(algo, digest) != digest:
            raise ChecksumFileError("it lists %s twice with different %s digests" % (file_name, algo))
        found[algo] = digest
    if not found:
        raise ChecksumFileError("it does not list %s" % file_name)
    for algo in PREFERENCE:
        if algo in found and algo in allowed:
            return algo, found[algo]
    raise ChecksumFileError("it lists %s only with %s, and the catalogue accepts %s"
                            % (file_name, ", ".join(sorted(found)), ", ".join(allowed)))
