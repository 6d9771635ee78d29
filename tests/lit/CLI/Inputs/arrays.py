"""Small f32 array tools for the CLI tests, standard library only.

  arrays.py random FILE.npy T N [SEED]   a random [T, N] f32 .npy in [-1, 1)
  arrays.py npy-f64 FILE.npy T N         the same shape as f64 (a wrong dtype)
  arrays.py raw-params PARAMS DIR        each tensor of a safetensors file as
                                         DIR/<name>.bin (raw little-endian f32)
  arrays.py npy-to-raw FILE.npy OUT.bin  an .npy's data as raw f32
  arrays.py compare A.npy B.bin TOL      fails unless B matches A's data within
                                         TOL (normwise relative); prints A's shape
"""
import json
import math
import random
import struct
import sys


def write_npy(path, shape, values, descr="<f4", fmt="f"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d, " % d for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def read_npy(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY"
    (length,) = struct.unpack("<H", data[8:10])
    header = eval(data[10:10 + length].decode("latin1"))  # a Python literal
    assert header["descr"] == "<f4" and not header["fortran_order"]
    count = math.prod(header["shape"])
    body = data[10 + length:]
    assert len(body) == 4 * count
    return header["shape"], struct.unpack("<%df" % count, body)


def main(command, *args):
    if command in ("random", "npy-f64"):
        path, t, n = args[0], int(args[1]), int(args[2])
        rng = random.Random(int(args[3]) if len(args) > 3 else None)
        values = [rng.uniform(-1.0, 1.0) for _ in range(t * n)]
        if command == "random":
            write_npy(path, (t, n), values)
        else:
            write_npy(path, (t, n), values, "<f8", "d")
    elif command == "raw-params":
        data = open(args[0], "rb").read()
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + length])
        header.pop("__metadata__", None)
        for name, info in header.items():
            begin, end = info["data_offsets"]
            with open("%s/%s.bin" % (args[1], name), "wb") as f:
                f.write(data[8 + length + begin:8 + length + end])
    elif command == "npy-to-raw":
        shape, values = read_npy(args[0])
        with open(args[1], "wb") as f:
            f.write(struct.pack("<%df" % len(values), *values))
    elif command == "compare":
        shape, want = read_npy(args[0])
        raw = open(args[1], "rb").read()
        got = struct.unpack("<%df" % (len(raw) // 4), raw)
        assert len(got) == len(want), "%d values, expected %d" % (len(got), len(want))
        diff = math.sqrt(sum((g - w) ** 2 for g, w in zip(got, want)))
        norm = math.sqrt(sum(w * w for w in want))
        error = diff / norm
        assert error <= float(args[2]), "relative error %g" % error
        print("shape %s matches" % list(shape))
    else:
        sys.exit("unknown command " + command)


main(*sys.argv[1:])
