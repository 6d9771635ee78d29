"""Fails if a safetensors file in a directory holds a NaN or an infinity."""
import json
import math
import os
import struct
import sys

for name in sorted(os.listdir(sys.argv[1])):
    if not name.endswith(".safetensors"):
        continue
    data = open(os.path.join(sys.argv[1], name), "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    body = data[8 + length:]
    for tensor, info in header.items():
        begin, end = info["data_offsets"]
        values = struct.unpack("<%df" % ((end - begin) // 4), body[begin:end])
        if not all(math.isfinite(v) for v in values):
            sys.exit("%s: %s is not finite" % (name, tensor))
