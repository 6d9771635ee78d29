"""Writes inputs whose bytes an error message must not print raw.

Usage: hostile-bytes.py DIR. Writes DIR/key.yaml (a key with NUL, ESC and
an invalid UTF-8 byte), DIR/tag.yaml (a `!!str` tag on a number), and
DIR/key.npy (an .npy header with such a key).
"""
import os
import struct
import sys

out = sys.argv[1]
layer = (b"pfc: 1\nlayer:\n  name: x\n  in_features: 64\n  out_features: 64\n"
         b"  block: 16\n  butterfly: {size: 4, factors: 1}\n")
with open(os.path.join(out, "key.yaml"), "wb") as f:
    f.write(layer + b"  \"bad\\0key\\e\xff\xfe\": 1\n")
with open(os.path.join(out, "tag.yaml"), "wb") as f:
    f.write(layer.replace(b"in_features: 64", b"in_features: !!str 64"))
header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'a\x00\x1b\xff': 1, }"
header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
with open(os.path.join(out, "key.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header +
            struct.pack("<f", 1.0))
