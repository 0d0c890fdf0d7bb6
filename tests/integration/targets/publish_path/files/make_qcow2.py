"""Write a minimal qcow2 file (header only, 64 KiB): with --backing, one that names a backing file."""
import struct
import sys

path, backing = sys.argv[1], "--backing" in sys.argv
header = struct.pack(">4sIQIIQ", b"QFI\xfb", 2, 512 if backing else 0, 8 if backing else 0, 16, 1 << 20)
data = bytearray(65536)
data[:len(header)] = header
if backing:
    data[512:520] = b"/etc/foo"
with open(path, "wb") as handle:
    handle.write(bytes(data))
