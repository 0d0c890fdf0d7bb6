#!/usr/bin/env bash
# Publishes a build on the test mirror, the way distributions lay them out:
#   publish.sh MIRROR debian DATE   debian/latest/debian-13-generic-amd64.raw + SHA512SUMS (GNU style),
#                                   Last-Modified DATE (the file's mtime)
#   publish.sh MIRROR fedora BUILD  fedora/images/Fedora-Cloud-Base-Generic-BUILD.x86_64.raw, listed with the
#                                   builds before it in a PGP-clearsigned CHECKSUM file (BSD style, sha256)
# Image data: 64 KiB of random bytes (Glance detects them as raw).
set -euo pipefail
mirror=$1 kind=$2 build=$3
case "$kind" in
debian)
    dir="$mirror/debian/latest"
    mkdir -p "$dir"
    head -c 65536 /dev/urandom > "$dir/debian-13-generic-amd64.raw"
    printf 'not an image\n' > "$dir/debian-13-generic-amd64.json"
    (cd "$dir" && sha512sum debian-13-generic-amd64.json debian-13-generic-amd64.raw > SHA512SUMS)
    touch -d "$build" "$dir/debian-13-generic-amd64.raw"
    ;;
fedora)
    dir="$mirror/fedora/images"
    mkdir -p "$dir"
    head -c 65536 /dev/urandom > "$dir/Fedora-Cloud-Base-Generic-$build.x86_64.raw"
    {
        printf -- '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n'
        for file in "$dir"/Fedora-Cloud-Base-Generic-*.x86_64.raw; do
            name=$(basename "$file")
            printf '# %s: %d bytes\n' "$name" "$(stat -c %s "$file")"
            printf 'SHA256 (%s) = %s\n' "$name" "$(sha256sum "$file" | cut -d' ' -f1)"
        done
        printf -- '-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEEdGVzdCBzaWduYXR1cmUgbm90IGNoZWNrZWQ=\n=tEsT\n'
        printf -- '-----END PGP SIGNATURE-----\n'
    } > "$dir/Fedora-Cloud-41-x86_64-CHECKSUM"
    ;;
*)
    echo "publish.sh: unknown kind $kind" >&2
    exit 2
    ;;
esac
