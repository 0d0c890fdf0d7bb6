"""Lay out a loopback mirror of one small raw image in every compression, with good and broken sources.

  make_mirror.py MIRROR   prints JSON: {"sha512": data digest, "sha256": {file: digest of the file}}

current/  disk.raw (+ .xz .gz .bz2 .zst), SHA256SUMS (GNU lines), CHECKSUM (BSD lines, PGP clearsigned)
broken/   cut.raw.xz (truncated), bad.raw.gz (corrupt), disk.raw.lz4 (lz4 magic), wrong.raw.xz (listed
          with another digest), ftp.raw.xz (redirects to file://), SHA256SUMS listing them all; 3 MiB of
          data each, so they fail after the first chunks were uploaded
local/    disk.raw.bz2 (for a local compressed filename)
The image: 192 KiB of random bytes, then 320 KiB of zeros, as raw disks look (Glance detects raw).
"""

import bz2
import gzip
import hashlib
import json
import lzma
import os
import sys

import zstandard

COMPRESS = {".xz": lzma.compress, ".gz": gzip.compress, ".bz2": bz2.compress,
            ".zst": lambda data: zstandard.ZstdCompressor(write_checksum=True).compress(data)}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return hashlib.sha256(data).hexdigest()


def main(mirror):
    data = os.urandom(192 * 1024) + b"\0" * (320 * 1024)
    sums = {"disk.raw": write(os.path.join(mirror, "current", "disk.raw"), data)}
    for suffix, compress in sorted(COMPRESS.items()):
        sums["disk.raw" + suffix] = write(os.path.join(mirror, "current", "disk.raw" + suffix), compress(data))
    with open(os.path.join(mirror, "current", "SHA256SUMS"), "w") as out:
        out.writelines("%s  %s\n" % (digest, name) for name, digest in sorted(sums.items()))
    with open(os.path.join(mirror, "current", "CHECKSUM"), "w") as out:
        out.write("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n")
        out.writelines("SHA256 (%s) = %s\n" % (name, digest) for name, digest in sorted(sums.items()))
        out.write("-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEEdGVzdCBub3QgY2hlY2tlZA==\n=tEsT\n"
                  "-----END PGP SIGNATURE-----\n")
    # The broken sources decompress to more than one upload chunk (1 MiB) before they fail, so the failure
    # comes while the upload is under way.
    big = os.urandom(2 * 1024 * 1024) + b"\0" * (1024 * 1024)
    packed = lzma.compress(big)
    corrupt = bytearray(gzip.compress(big))
    corrupt[len(corrupt) * 3 // 4:len(corrupt) * 3 // 4 + 64] = b"\xff" * 64
    broken = {"cut.raw.xz": packed[:len(packed) * 3 // 4], "bad.raw.gz": bytes(corrupt),
              "disk.raw.lz4": b"\x04\x22\x4d\x18" + data[:4096], "wrong.raw.xz": packed}
    listed = {name: write(os.path.join(mirror, "broken", name), body) for name, body in broken.items()}
    listed["wrong.raw.xz"] = "0" * 64
    listed["ftp.raw.xz"] = "1" * 64
    with open(os.path.join(mirror, "broken", "ftp.raw.xz.redirect"), "w") as out:
        out.write("file:///etc/passwd\n")
    with open(os.path.join(mirror, "broken", "SHA256SUMS"), "w") as out:
        out.writelines("%s  %s\n" % (digest, name) for name, digest in sorted(listed.items()))
    sums["local/disk.raw.bz2"] = write(os.path.join(mirror, "..", "local", "disk.raw.bz2"), bz2.compress(data))
    print(json.dumps({"sha512": hashlib.sha512(data).hexdigest(), "sha256": sums}))


if __name__ == "__main__":
    main(sys.argv[1])
