"""Attention arrays for the CLI tests, standard library only.

  attention.py random FILE.npy B H T D SEED   a random [B, H, T, D] f32 .npy,
                                              values in [-1, 1)
  attention.py npy-f64 FILE.npy B H T D       the same shape as f64 (a wrong
                                              dtype)
  attention.py softmax Q K V TAU CAUSAL DIR TOL [DOUT]
      recomputes softmax attention O = softmax(TAU·Q·Kᵀ)·V in double (CAUSAL
      1: token i attends to tokens j <= i) and fails unless DIR/o.npy matches
      within TOL (normwise relative); with DOUT, also the gradients of
      sum(O * DOUT), DIR/dq.npy, dk.npy and dv.npy. Prints each file's name
      and shape. (Pixelfly attention whose support is every score and with
      no random features is softmax attention, up to its ε = 1e-6 in the
      denominator.)
  attention.py same A.npy B.npy TOL           fails unless B's data matches
                                              A's (same shape) within TOL;
                                              prints the shape
  attention.py finite FILE.npy...             fails unless every value is
                                              finite; prints each shape
"""
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
    assert data[:6] == b"\x93NUMPY", "%s: not an .npy file" % path
    (length,) = struct.unpack("<H", data[8:10])
    header = eval(data[10:10 + length].decode("latin1"))  # a Python literal
    assert header["descr"] == "<f4" and not header["fortran_order"], path
    count = math.prod(header["shape"])
    body = data[10 + length:]
    assert len(body) == 4 * count, path
    return list(header["shape"]), struct.unpack("<%df" % count, body)


def relative_error(got, want):
    assert len(got) == len(want), "%d values, expected %d" % (len(got), len(want))
    diff = math.sqrt(sum((g - w) ** 2 for g, w in zip(got, want)))
    norm = math.sqrt(sum(w * w for w in want))
    return diff / norm if norm else diff


def softmax_head(q, k, v, dout, tau, causal):
    """O and, with dout, dQ, dK, dV for one head; lists of rows."""
    t, d = len(q), len(q[0])
    probs = []
    for i in range(t):
        keys = range(i + 1) if causal else range(t)
        scores = [tau * sum(a * b for a, b in zip(q[i], k[j])) for j in keys]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        probs.append([w / total for w in weights] + [0.0] * (t - len(weights)))
    o = [[sum(probs[i][j] * v[j][c] for j in range(t)) for c in range(d)]
         for i in range(t)]
    if dout is None:
        return o, None, None, None
    dq = [[0.0] * d for _ in range(t)]
    dk = [[0.0] * d for _ in range(t)]
    dv = [[0.0] * d for _ in range(t)]
    for i in range(t):
        dp = [sum(dout[i][c] * v[j][c] for c in range(d)) for j in range(t)]
        inner = sum(p * g for p, g in zip(probs[i], dp))
        for j in range(t):
            ds = probs[i][j] * (dp[j] - inner) * tau
            for c in range(d):
                dq[i][c] += ds * k[j][c]
                dk[j][c] += ds * q[i][c]
                dv[j][c] += probs[i][j] * dout[i][c]
    return o, dq, dk, dv


def heads_of(shape, values):
    """[B·H] heads of [T] rows of [D] values."""
    b, h, t, d = shape
    return [[list(values[((n * t) + i) * d:((n * t) + i + 1) * d]) for i in range(t)]
            for n in range(b * h)]


def flatten(heads):
    return [x for head in heads for row in head for x in row]


def check_softmax(q_path, k_path, v_path, tau, causal, out_dir, tol, dout_path=None):
    shape, q = read_npy(q_path)
    qs, ks, vs = heads_of(shape, q), heads_of(*read_npy(k_path)), heads_of(*read_npy(v_path))
    douts = heads_of(*read_npy(dout_path)) if dout_path else [None] * len(qs)
    results = [softmax_head(*args, tau, causal) for args in zip(qs, ks, vs, douts)]
    names = ["o", "dq", "dk", "dv"] if dout_path else ["o"]
    for index, name in enumerate(names):
        got_shape, got = read_npy("%s/%s.npy" % (out_dir, name))
        assert got_shape == shape, "%s.npy: shape %s, expected %s" % (name, got_shape, shape)
        error = relative_error(got, flatten([r[index] for r in results]))
        assert error <= tol, "%s.npy: relative error %g" % (name, error)
        print("%s.npy %s matches" % (name, shape))


def main(command, *args):
    if command in ("random", "npy-f64"):
        path, shape = args[0], [int(a) for a in args[1:5]]
        rng = random.Random(int(args[5]) if len(args) > 5 else 0)
        values = [rng.uniform(-1.0, 1.0) for _ in range(math.prod(shape))]
        if command == "random":
            write_npy(path, shape, values)
        else:
            write_npy(path, shape, values, "<f8", "d")
    elif command == "softmax":
        q, k, v, tau, causal, out_dir, tol = args[:7]
        check_softmax(q, k, v, float(tau), causal == "1", out_dir, float(tol),
                      args[7] if len(args) > 7 else None)
    elif command == "same":
        (shape, want), (got_shape, got) = read_npy(args[0]), read_npy(args[1])
        assert shape == got_shape, "shape %s, expected %s" % (got_shape, shape)
        error = relative_error(got, want)
        assert error <= float(args[2]), "relative error %g" % error
        print("shape %s matches" % shape)
    elif command == "finite":
        for path in args:
            shape, values = read_npy(path)
            assert all(math.isfinite(x) for x in values), "%s: not finite" % path
            print("%s finite" % shape)
    else:
        sys.exit("unknown command " + command)


main(*sys.argv[1:])
