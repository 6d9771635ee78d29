"""Prints a safetensors file's metadata and tensors, one line each.

Usage: safetensors-summary.py FILE. Standard library only (no numpy): checks
the layout on its own (8-byte length, JSON header, data offsets that tile the
data section) and prints, per tensor, its dtype, shape, how many values are
exactly zero and the largest magnitude.
"""
import json
import math
import struct
import sys

data = open(sys.argv[1], "rb").read()
(length,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + length].decode("utf-8"))
body = data[8 + length:]
assert (8 + length) % 8 == 0, "data not 8-byte aligned"

for key, value in sorted(header.pop("__metadata__", {}).items()):
    if key != "pfc.spec":
        print("metadata %s=%s" % (key, value))

end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    begin, stop = info["data_offsets"]
    assert begin == end, "tensors not packed"
    end = stop
    count = math.prod(info["shape"])
    assert stop - begin == 4 * count, "size does not match the shape"
    values = struct.unpack("<%df" % count, body[begin:stop])
    print("tensor %s %s %s zeros=%d maxabs=%.6f" % (
        name, info["dtype"], info["shape"],
        sum(1 for v in values if v == 0.0),
        max((abs(v) for v in values), default=0.0)))
assert end == len(body), "bytes after the last tensor"
