"""Small f32 array tools for the CLI tests, standard library only.

  arrays.py random FILE.npy T N [SEED]   a random [T, N] f32 .npy in [-1, 1)
  arrays.py npy-f64 FILE.npy T N         the same shape as f64 (a wrong dtype)
  arrays.py raw-params PARAMS DIR        each tensor of a safetensors file as
                                         DIR/<name>.bin (raw little-endian f32)
  arrays.py npy-to-raw FILE.npy OUT.bin  an .npy's data as raw f32
  arrays.py compare A.npy B.bin TOL      fails unless B matches A's data within
                                         TOL (normwise relative); prints A's shape
  arrays.py grads MODE PARAMS MASK.json X.npy DY.npy DIR TOL
                                         recomputes y, dx and the gradients of
                                         sum(y * dy) in double from the
                                         parameters and `pfc mask --json`'s
                                         blocks (MODE: scalar, gate or fixed)
                                         and fails unless `pfc run
                                         --grad-output`'s DIR/y.npy, dx.npy and
                                         grads.safetensors match within TOL;
                                         prints each tensor's name and shape
  arrays.py grads-raw MODE PARAMS MASK.json X.npy DY.npy DIR TOL
                                         the same for DIR/y.bin, dx.bin and
                                         <tensor>.bin (raw f32, as the runtime
                                         C API's test program writes them)
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


def read_safetensors(path):
    """{name: (shape, values)} of an F32 safetensors file."""
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", "%s is %s" % (name, info["dtype"])
        begin, end = info["data_offsets"]
        body = data[8 + length + begin:8 + length + end]
        tensors[name] = (info["shape"], struct.unpack("<%df" % (len(body) // 4), body))
    return tensors


def layer_backward(mode, params, mask, x, dy, tokens, n_in, n_out):
    """y, dx and the gradients of sum(y * dy) (by parameter name) in double,
    the plain way: each nonzero weight of each block once, per token. Also,
    per scalar gradient, the sum of its terms' sizes: a sum of terms of
    either sign is only as accurate as they are large."""
    b, positions = mask["block"], mask["blocks"]
    value = lambda name: params[name][1] if name in params else ()
    blocks, u, v, bias = value("blocks"), value("U"), value("V"), value("bias")
    gate_weight = value("gate.weight")
    rank = params["U"][0][1] if "U" in params else 0
    xs = [x[t * n_in:(t + 1) * n_in] for t in range(tokens)]
    dys = [dy[t * n_out:(t + 1) * n_out] for t in range(tokens)]
    gammas = []
    for t in range(tokens):
        if mode == "gate":
            logit = value("gate.bias")[0] + sum(a * w for a, w in zip(xs[t], gate_weight))
            gammas.append(1.0 - 1.0 / (1.0 + math.exp(-logit)))
        else:
            gammas.append(value("gamma")[0])

    # The block-sparse term: s = x·Bᵀ, dx = γ·dy·B, dB = γ·dyᵀ·x on the pattern.
    sparse = [[0.0] * n_out for _ in range(tokens)]
    dx = [[0.0] * n_in for _ in range(tokens)]
    d_blocks, padding = [0.0] * len(blocks), [True] * len(blocks)
    for index, (block_row, block_col) in enumerate(positions):
        for i in range(b):
            row = block_row * b + i
            if row >= n_out:
                continue
            for j in range(b):
                col = block_col * b + j
                if col >= n_in:
                    continue
                at = (index * b + i) * b + j
                padding[at] = False
                weight, total = blocks[at], 0.0
                for t in range(tokens):
                    sparse[t][row] += xs[t][col] * weight
                    scaled = gammas[t] * dys[t][row]
                    total += scaled * xs[t][col]
                    dx[t][col] += scaled * weight
                d_blocks[at] = total

    # The low-rank term: a = x·V, l = a·Uᵀ, e = (1−γ)·dy·U.
    low = [[0.0] * n_out for _ in range(tokens)]
    d_u, d_v = [0.0] * len(u), [0.0] * len(v)
    for t in range(tokens):
        a = [sum(xs[t][k] * v[k * rank + j] for k in range(n_in)) for j in range(rank)]
        e = [0.0] * rank
        for o in range(n_out):
            low[t][o] = sum(a[j] * u[o * rank + j] for j in range(rank))
            scaled = (1.0 - gammas[t]) * dys[t][o]
            for j in range(rank):
                d_u[o * rank + j] += scaled * a[j]
                e[j] += scaled * u[o * rank + j]
        for k in range(n_in):
            for j in range(rank):
                d_v[k * rank + j] += xs[t][k] * e[j]
                dx[t][k] += e[j] * v[k * rank + j]

    y = []
    for t in range(tokens):
        for o in range(n_out):
            y.append(gammas[t] * sparse[t][o] + (1.0 - gammas[t]) * low[t][o]
                     + (bias[o] if bias else 0.0))
    grads = {"blocks": (d_blocks, None), "U": (d_u, None), "V": (d_v, None)}
    if bias:
        grads["bias"] = ([sum(dys[t][o] for t in range(tokens)) for o in range(n_out)], None)
    d_gamma, d_gate_bias, gamma_scale, gate_scale = 0.0, 0.0, 0.0, 0.0
    d_gate_weight = [0.0] * len(gate_weight)
    for t in range(tokens):
        terms = [dys[t][o] * (sparse[t][o] - low[t][o]) for o in range(n_out)]
        d_gamma += sum(terms)
        gamma_scale += sum(abs(term) for term in terms)
        if mode == "gate":
            slope = gammas[t] * (1.0 - gammas[t])
            d_logit = -sum(terms) * slope
            d_gate_bias += d_logit
            gate_scale += sum(abs(term) for term in terms) * slope
            for k in range(n_in):
                d_gate_weight[k] += d_logit * xs[t][k]
                dx[t][k] += d_logit * gate_weight[k]
    if mode == "gate":
        grads["gate.weight"] = (d_gate_weight, None)
        grads["gate.bias"] = ([d_gate_bias], gate_scale)
    elif mode == "scalar":
        grads["gamma"] = ([d_gamma], gamma_scale)
    else:
        grads["gamma"] = ([0.0], 0.0)
    return y, [value for row in dx for value in row], grads, padding


def relative_error(got, want, scale=None):
    assert len(got) == len(want), "%d values, expected %d" % (len(got), len(want))
    diff = math.sqrt(sum((g - w) ** 2 for g, w in zip(got, want)))
    norm = math.sqrt(sum(w * w for w in want))
    if scale is not None:
        norm = max(norm, scale)
    return diff / norm if norm else diff


def read_raw(path, shape):
    data = open(path, "rb").read()
    return shape, list(struct.unpack("<%df" % (len(data) // 4), data))


def check_grads(mode, params_path, mask_path, x_path, dy_path, out_dir, tol, raw=False):
    params = read_safetensors(params_path)
    mask = json.load(open(mask_path))
    (tokens, n_in), x = read_npy(x_path)
    (_, n_out), dy = read_npy(dy_path)
    y, dx, grads, padding = layer_backward(mode, params, mask, x, dy, tokens, n_in, n_out)
    for name, want, shape in (("y", y, [tokens, n_out]), ("dx", dx, [tokens, n_in])):
        if raw:
            shape, got = read_raw("%s/%s.bin" % (out_dir, name), shape)
            name += ".bin"
        else:
            name += ".npy"
            shape, got = read_npy("%s/%s" % (out_dir, name))
        error = relative_error(got, want)
        assert error <= tol, "%s: relative error %g" % (name, error)
        print("%s %s matches" % (name, list(shape)))
    if raw:
        got = {name: read_raw("%s/%s.bin" % (out_dir, name), params[name][0]) for name in params}
    else:
        got = read_safetensors(out_dir + "/grads.safetensors")
    assert sorted(got) == sorted(params), "tensors %s, expected %s" % (sorted(got), sorted(params))
    for name in sorted(params):
        shape, values = got[name]
        assert shape == params[name][0], "%s: shape %s" % (name, shape)
        want, scale = grads[name]
        error = relative_error(values, want, scale)
        assert error <= tol, "%s: relative error %g" % (name, error)
        if name == "gamma" and mode == "fixed":
            assert values[0] == 0.0, "gamma: %g in fixed mode" % values[0]
        if name == "blocks":
            assert all(g == 0.0 for g, p in zip(values, padding) if p), "blocks: padding not 0"
        print("%s %s matches" % (name, list(shape)))


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
    elif command == "grads":
        check_grads(*args[:6], float(args[6]))
    elif command == "grads-raw":
        check_grads(*args[:6], float(args[6]), raw=True)
    else:
        sys.exit("unknown command " + command)


main(*sys.argv[1:])
