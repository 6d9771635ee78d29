#!/usr/bin/env python3
"""pfc.PixelflyLinear against PyTorch's own paths, in one run (issue 13).

For the layers of `pfc bench --sweep` at T tokens, forward and training-step
(forward + backward w.r.t. the input and every parameter) times of

  nn.Linear                  the dense baseline (torch addmm -> its BLAS sgemm)
  x @ Wt                     dense, the weight stored pre-transposed [in, out]
  PixelflyLinear             pfc's compiled kernels (torch.ops.pfc.linear)
  masked-dense reference     y = x @ (g*(mask*W_B) + (1-g)*U V^T)^T + bias, the
                             dense weight rebuilt from the parameters each call
  BSR + low-rank             torch.sparse_bsr weight on the same blocks plus
                             (1-g)*(x V) U^T + bias (forward only where torch
                             has no CPU backward)

as medians over interleaved rounds, with speed-ups against the fastest dense
contender of the same run; then PixelflyLinear against `pfc bench` driving
the same kernels from C++ (fwd+bwd at the largest T, per-call overhead at
T = 1), and a Fashion-MNIST MLP training step (specs/fashion-mnist-*.yaml)
for a dense, a PixelflyLinear and a masked-dense net, beside
`pfc bench --train`. Progress goes to stderr, the tables to stdout (last).

    .venv/bin/python bench/python/bench_torch.py            # ~70 s on 2 idle cores
    .venv/bin/python bench/python/bench_torch.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]

try:
    import torch
    import torch.nn.functional as F
    from torch import Tensor, nn
except ImportError as error:  # pragma: no cover - environment
    sys.exit(f"bench_torch: cannot import torch ({error}); run it with the "
             f"venv's python: {REPO}/.venv/bin/python")


try:
    import pfc
except ImportError as error:  # pragma: no cover - environment
    sys.exit(f"bench_torch: cannot import pfc ({error}); build and install it "
             f"into the venv with python/install.sh")

# torch's BSR tensors warn that they are beta on first use.
warnings.filterwarnings("ignore", message=".*[Ss]parse.*")

# -- the layers: `pfc bench --sweep`'s (bench/Sweep.cpp, fullConfig) -------

#: Sweep.cpp's wholeChecks: b = 32, S = 16 with two factors, rank 32, bias,
#: i.e. specs/layers/mlp_fc1.yaml and mlp_fc2.yaml.
WHOLE_LAYERS = (("mlp_fc1", 768, 3072), ("mlp_fc2", 3072, 768))
#: Sweep.cpp's block-sparse rows: rank 0, no bias; (in, out) shapes.
SWEEP_SHAPES = ((1024, 1024), (2048, 2048), (4096, 4096), (768, 3072), (3072, 768))
SWEEP_BLOCKS = (16, 32, 64)
SWEEP_DENSITIES = (0.05, 0.10, 0.20, 0.30)


@dataclass
class LayerDef:
    name: str
    text: str       # a `pfc: 1` layer spec
    kind: str       # "whole" (low-rank term, bias) or "sparse" (rank 0, no bias)


def pad_to(features: int, block: int) -> int:
    return (features + block - 1) // block * block


def whole_layers() -> List[LayerDef]:
    """The sweep's whole-layer checks, read from their spec files and checked
    against Sweep.cpp's definition (the definition wins if they drift)."""
    layers = []
    for name, fin, fout in WHOLE_LAYERS:
        sweep_text = pfc.spec_text(fin, fout, 32, 16, factors=2, rank=32,
                                   bias=True, name=name)
        path = REPO / "specs" / "layers" / f"{name}.yaml"
        text = sweep_text
        try:
            file_text = path.read_text()
            got, want = pfc.Spec(file_text, str(path)).info, pfc.Spec(sweep_text).info
            keys = ("in_features", "out_features", "block", "butterfly", "rank",
                    "bias", "gamma_mode")
            if all(got[k] == want[k] for k in keys):
                text = file_text
            else:
                progress(f"warning: {path} differs from Sweep.cpp's {name}; "
                         "using Sweep.cpp's definition")
        except (OSError, ValueError) as error:
            progress(f"warning: {path}: {error}; using Sweep.cpp's definition")
        layers.append(LayerDef(name, text, "whole"))
    return layers


def sweep_patterns(fin: int, fout: int, block: int) -> List[Tuple[int, int, float]]:
    """Sweep.cpp's choosePatterns: the (S, factors) nearest each target
    density in ratio, S a power of two ≤ min(padded)/b dividing both padded
    dimensions, strides {2, ..., 2^m}; a density chosen twice kept once (under
    the nearer target), ties to the smaller S; sorted by block count."""
    pout, pin = pad_to(fout, block), pad_to(fin, block)
    candidates = []  # (size, factors, density, nnz)
    size = 2
    while size <= min(pout, pin) // block:
        factors = 1
        while (1 << factors) <= size:
            if pout % size == 0 and pin % size == 0:
                info = pfc.Spec(pfc.spec_text(fin, fout, block, size, factors=factors,
                                              rank=0, bias=False)).info
                candidates.append((size, factors, info["density"], info["nnz_blocks"]))
            factors += 1
        size *= 2

    def distance(c, target):
        return abs(math.log(c[2] / target))

    chosen: List[list] = []  # [candidate, target]
    for target in SWEEP_DENSITIES:
        best = None
        for c in candidates:
            if best is None or distance(c, target) < distance(best, target):
                best = c
        if best is None:
            continue
        same = next((ch for ch in chosen if ch[0][3] == best[3]), None)
        if same is None:
            chosen.append([best, target])
        elif distance(same[0], target) < distance(same[0], same[1]):
            same[1] = target
    chosen.sort(key=lambda ch: ch[0][3])
    return [(c[0], c[1], c[2]) for c, _ in chosen]


def sparse_layers(blocks: Sequence[int]) -> List[LayerDef]:
    layers = []
    for fin, fout in SWEEP_SHAPES:
        for block in blocks:
            for size, factors, _ in sweep_patterns(fin, fout, block):
                # Sweep.cpp's makeSpec name.
                name = f"sweep_{fin}_{fout}_b{block}_s{size}_m{factors}_r0"
                layers.append(LayerDef(name, pfc.spec_text(
                    fin, fout, block, size, factors=factors, rank=0, bias=False,
                    name=name), "sparse"))
    return layers


# -- the contenders ---------------------------------------------------------


def block_index(spec: dict) -> Tuple[Tensor, Tensor]:
    rows = torch.tensor([r for r, _ in spec["blocks"]], dtype=torch.long)
    cols = torch.tensor([c for _, c in spec["blocks"]], dtype=torch.long)
    return rows, cols


def dense_from_blocks(blocks: Tensor, spec: dict) -> Tensor:
    """B as a dense [out, in] tensor (zeros off the pattern)."""
    b, R, C = spec["block"], spec["block_rows"], spec["block_cols"]
    rows, cols = block_index(spec)
    grid = blocks.new_zeros(R, C, b, b)
    grid[rows, cols] = blocks
    dense = grid.permute(0, 2, 1, 3).reshape(R * b, C * b)
    return dense[:spec["out_features"], :spec["in_features"]]


def blocks_from_dense(dense: Tensor, spec: dict) -> Tensor:
    """The pattern's blocks of a dense [out, in] tensor, in BSR order."""
    b, R, C = spec["block"], spec["block_rows"], spec["block_cols"]
    padded = dense.new_zeros(R * b, C * b)
    padded[:dense.shape[0], :dense.shape[1]] = dense
    rows, cols = block_index(spec)
    return padded.reshape(R, b, C, b).permute(0, 2, 1, 3)[rows, cols]


class MaskedDenseReference(nn.Module):
    """The reference code's way: a dense W_B masked to the pattern and the
    low-rank term, the dense weight rebuilt from them on every call."""

    def __init__(self, layer: "pfc.PixelflyLinear"):
        super().__init__()
        spec = layer.spec
        if spec["gamma_mode"] == "gate":
            raise ValueError("the masked-dense reference has no per-token gate")
        with torch.no_grad():
            self.weight = nn.Parameter(dense_from_blocks(layer.blocks, spec).clone())
            mask = dense_from_blocks(torch.ones_like(layer.blocks), spec)
        self.register_buffer("mask", mask)
        self.U = nn.Parameter(layer.U.detach().clone()) if layer.U is not None else None
        self.V = nn.Parameter(layer.V.detach().clone()) if layer.V is not None else None
        gamma = layer.gamma.detach().clone()
        if spec["gamma_mode"] == "scalar":
            self.gamma = nn.Parameter(gamma)
        else:
            self.register_buffer("gamma", gamma)
        self.bias = (nn.Parameter(layer.bias.detach().clone())
                     if layer.bias is not None else None)

    def forward(self, x: Tensor) -> Tensor:
        weight = self.gamma * (self.mask * self.weight)
        if self.U is not None:
            weight = weight + (1 - self.gamma) * (self.U @ self.V.T)
        return F.linear(x, weight, self.bias)


class BsrLowRank(nn.Module):
    """PyTorch's block-sparse path: the layer's blocks as a torch.sparse_bsr
    weight (indices from to_sparse_bsr, values the blocks parameter itself),
    plus the low-rank term and bias in dense ops."""

    def __init__(self, layer: "pfc.PixelflyLinear"):
        super().__init__()
        spec = layer.spec
        b = spec["block"]
        if (spec["padded_in"], spec["padded_out"]) != (spec["in_features"],
                                                       spec["out_features"]):
            raise ValueError(f"features not a multiple of b = {b}")
        with torch.no_grad():
            bsr = dense_from_blocks(torch.ones_like(layer.blocks), spec).to_sparse_bsr((b, b))
        if bsr.values().shape[0] != spec["nnz_blocks"]:
            raise ValueError("to_sparse_bsr found another block pattern")
        self.crow, self.col = bsr.crow_indices(), bsr.col_indices()
        self.size = (spec["out_features"], spec["in_features"])
        self.blocks = nn.Parameter(layer.blocks.detach().clone())
        self.U = nn.Parameter(layer.U.detach().clone()) if layer.U is not None else None
        self.V = nn.Parameter(layer.V.detach().clone()) if layer.V is not None else None
        self.gamma = nn.Parameter(layer.gamma.detach().clone())
        self.bias = (nn.Parameter(layer.bias.detach().clone())
                     if layer.bias is not None else None)

    def forward(self, x: Tensor) -> Tensor:
        w = torch.sparse_bsr_tensor(self.crow, self.col, self.blocks, self.size)
        # W @ xᵀ (BSR @ strided): on the CPU far faster at many tokens than
        # F.linear(x, W), which takes a strided @ BSC path.
        y = self.gamma * (w @ x.mT).mT
        if self.U is not None:
            y = y + (1 - self.gamma) * ((x @ self.V) @ self.U.T)
        if self.bias is not None:
            y = y + self.bias
        return y


class PreTransposed(nn.Module):
    """Dense, with the weight stored as Wᵀ [in, out]: x @ Wt (+ b, fused)."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.wt = nn.Parameter(linear.weight.detach().T.contiguous())
        self.bias = (nn.Parameter(linear.bias.detach().clone())
                     if linear.bias is not None else None)

    def forward(self, x: Tensor) -> Tensor:
        if self.bias is None:
            return x @ self.wt
        return torch.addmm(self.bias, x, self.wt)


DENSE, PIXELFLY, REFERENCE, BSR = "nn.Linear", "PixelflyLinear", "masked-dense ref", "BSR + low-rank"
PRE_T = "x @ Wt (pre-transposed)"
CONTENDERS = (DENSE, PRE_T, PIXELFLY, REFERENCE, BSR)
DENSE_NAMES = (DENSE, PRE_T)


@dataclass
class Stats:
    median: float  # seconds per call
    best: float
    calls: int     # per round
    rounds: int


# -- timing -----------------------------------------------------------------


def progress(message: str) -> None:
    print(f"bench_torch: {message}", file=sys.stderr, flush=True)


def calibrate(run: Callable[[int], None], round_seconds: float, warmup: int) -> int:
    """Calls per round: enough for about round_seconds (at least one)."""
    for _ in range(warmup):
        run(1)
    n = 1
    while True:
        start = time.perf_counter()
        run(n)
        elapsed = time.perf_counter() - start
        if elapsed >= round_seconds / 4 or n >= 1 << 16:
            return max(1, min(1 << 16, int(round(n * round_seconds / max(elapsed, 1e-9)))))
        n *= 4


def interleaved(items: Sequence[Tuple[str, Callable[[int], None]]], rounds: int,
                round_seconds: float, warmup: int) -> Dict[str, Stats]:
    """Median and best per-call times over `rounds` rounds; in each round
    every item runs its calls once, the starting item rotating."""
    counts = [calibrate(run, round_seconds, warmup) for _, run in items]
    samples: Dict[str, List[float]] = {key: [] for key, _ in items}
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            for i in range(len(items)):
                j = (i + r) % len(items)
                key, run = items[j]
                start = time.perf_counter()
                run(counts[j])
                samples[key].append((time.perf_counter() - start) / counts[j])
    finally:
        gc.enable()
    return {key: Stats(statistics.median(s), min(s), counts[k], rounds)
            for k, (key, s) in enumerate(samples.items())}


def forward_runner(module: nn.Module, x: Tensor) -> Callable[[int], None]:
    def run(n: int) -> None:
        with torch.no_grad():
            for _ in range(n):
                module(x)
    return run


def train_runner(module: nn.Module, x: Tensor, dy: Tensor) -> Callable[[int], None]:
    """Forward and backward w.r.t. x and every parameter (grads set to None
    first, as zero_grad does)."""
    xg = x.clone().requires_grad_(True)
    params = [p for p in module.parameters() if p.requires_grad]

    def run(n: int) -> None:
        for _ in range(n):
            xg.grad = None
            for p in params:
                p.grad = None
            module(xg).backward(dy)
    return run


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:160]


# -- one layer --------------------------------------------------------------


@dataclass
class LayerResult:
    layer: LayerDef
    spec: dict
    times: Dict[int, Dict[Tuple[str, str], Stats]] = field(default_factory=dict)
    unavailable: Dict[str, str] = field(default_factory=dict)  # contender: why
    train_unavailable: Dict[str, str] = field(default_factory=dict)
    check: str = ""  # outputs and gradients against PixelflyLinear
    cpp: Dict[int, dict] = field(default_factory=dict)  # T: pfc bench --json
    cpp_error: str = ""


def relative_error(got: Tensor, want: Tensor) -> float:
    return float((got - want).norm() / max(float(want.norm()), 1e-30))


def check_layer(pf, ref, bsr, tokens: int) -> str:
    """PixelflyLinear against the masked-dense reference (output, dx, dB) and
    the BSR path (output): relative errors, normwise."""
    x = torch.randn(tokens, pf.in_features, requires_grad=True)
    dy = torch.randn(tokens, pf.out_features)
    y = pf(x)
    y.backward(dy)
    x2 = x.detach().clone().requires_grad_(True)
    y2 = ref(x2)
    y2.backward(dy)
    errors = {"y": relative_error(y2.detach(), y.detach()),
              "dx": relative_error(x2.grad, x.grad),
              "dB": relative_error(blocks_from_dense(ref.weight.grad, pf.spec), pf.blocks.grad)}
    if bsr is not None:
        with torch.no_grad():
            errors["y(BSR)"] = relative_error(bsr(x.detach()), y.detach())
    for p in list(pf.parameters()) + list(ref.parameters()):
        p.grad = None
    worst = max(errors.values())
    status = "ok" if worst <= 1e-4 else "MISMATCH"
    return f"{status} (" + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()) + ")"


def run_layer(layer: LayerDef, tokens: Sequence[int], args, index: str) -> LayerResult:
    torch.manual_seed(0)
    pf = pfc.PixelflyLinear.from_spec(layer.text, seed=0)
    spec = pf.spec
    result = LayerResult(layer, spec)
    linear = nn.Linear(pf.in_features, pf.out_features, bias=spec["bias"])
    modules: Dict[str, nn.Module] = {DENSE: linear, PRE_T: PreTransposed(linear),
                                     PIXELFLY: pf}
    try:
        modules[REFERENCE] = MaskedDenseReference(pf)
    except ValueError as error:
        result.unavailable[REFERENCE] = str(error)
    try:
        modules[BSR] = BsrLowRank(pf)
    except (ValueError, RuntimeError) as error:
        result.unavailable[BSR] = first_line(error)
    # Training through torch's BSR: tried once, timed only if it runs.
    if BSR in modules:
        try:
            train_runner(modules[BSR], torch.randn(2, pf.in_features),
                         torch.randn(2, pf.out_features))(1)
        except (RuntimeError, NotImplementedError) as error:
            result.train_unavailable[BSR] = first_line(error)
    if REFERENCE in modules:
        result.check = check_layer(pf, modules[REFERENCE], modules.get(BSR),
                                   min(16, max(tokens)))
        if not result.check.startswith("ok"):
            progress(f"warning: {layer.name}: {result.check}")

    for t in tokens:
        start = time.perf_counter()
        x = torch.randn(t, pf.in_features)
        dy = torch.randn(t, pf.out_features)
        items = []
        for name, module in modules.items():
            items.append(((name, "fwd"), forward_runner(module, x)))
            if name not in result.train_unavailable:
                items.append(((name, "train"), train_runner(module, x, dy)))
        result.times[t] = interleaved(items, args.rounds, args.round_seconds, args.warmup)
        progress(f"[{index}] {layer.name} T={t}: {len(items)} timings x "
                 f"{args.rounds} rounds, {time.perf_counter() - start:.1f} s")
    return result


# -- pfc bench (C++) --------------------------------------------------------


def find_pfc(option: Optional[str]) -> Tuple[Optional[str], str]:
    """The pfc tool: --pfc, $PFC_TOOL, build/bin/pfc, or why there is none."""
    candidate = option or os.environ.get("PFC_TOOL") or str(REPO / "build" / "bin" / "pfc")
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate, ""
    found = shutil.which(candidate) if os.sep not in candidate else None
    if found:
        return found, ""
    return None, f"pfc tool not found at {candidate} (build it, or give --pfc)"


def run_pfc(tool: str, arguments: List[str], timeout: float) -> Tuple[Optional[dict], str]:
    """Runs `pfc ARGS --json`; (its JSON, "") or (None, why not)."""
    command = [tool] + arguments + ["--json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"`{' '.join(command)}` ran over {timeout:.0f} s"
    except OSError as error:
        return None, f"cannot run {tool}: {error}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return None, f"pfc exited {done.returncode}: {last[:160]}"
    try:
        return json.loads(done.stdout), ""
    except json.JSONDecodeError as error:
        return None, f"cannot parse pfc's JSON: {error}"


def run_cpp(results: List[LayerResult], tool: Optional[str], why: str,
            tokens: Sequence[int], threads: int, workdir: str) -> None:
    """pfc bench on each layer at the largest T (and at T = 1)."""
    wanted = sorted({max(tokens)} | ({1} & set(tokens)))
    for result in results:
        if tool is None:
            result.cpp_error = why
            continue
        path = os.path.join(workdir, f"{result.layer.name}.yaml")
        with open(path, "w") as f:
            f.write(pfc.Spec(result.layer.text, result.layer.name).canonical)
        for t in wanted:
            # torch's OpenMP workers spin a little after their last call.
            time.sleep(0.3)
            start = time.perf_counter()
            data, error = run_pfc(tool, ["bench", path, "--tokens", str(t),
                                         "--threads", str(threads)], timeout=600)
            if data is None:
                result.cpp_error = error
                progress(f"pfc bench {result.layer.name} T={t}: {error}")
                break
            result.cpp[t] = data
            progress(f"pfc bench {result.layer.name} T={t}: "
                     f"{time.perf_counter() - start:.1f} s")


# -- Fashion-MNIST MLP training step ----------------------------------------

#: specs/fashion-mnist-*.yaml as `pfc check --json` gives them, for when the
#: pfc tool is missing.
FALLBACK_NETS = {
    "dense": [("dense", 784, 1024, None), ("relu",), ("dense", 1024, 1024, None),
              ("relu",), ("dense", 1024, 10, None)],
    "pixelfly": [("pixelfly", 784, 1024, (32, 16, [2], 32)), ("relu",),
                 ("pixelfly", 1024, 1024, (32, 16, [2, 4], 32)), ("relu",),
                 ("dense", 1024, 10, None)],
}
FALLBACK_TRAIN = {"batch": 256, "optimizer": {"kind": "adamw", "lr": 1e-3,
                                              "betas": [0.9, 0.999], "eps": 1e-8,
                                              "weight_decay": 1e-4}}


def net_modules(net: dict, reference: bool) -> nn.Sequential:
    """The net spec's modules: dense -> nn.Linear, relu -> nn.ReLU, pixelfly
    -> PixelflyLinear (or its masked-dense reference)."""
    layers = []
    for m in net["modules"]:
        if m["kind"] == "relu":
            layers.append(nn.ReLU())
        elif m["kind"] == "dense":
            layers.append(nn.Linear(m["in_features"], m["out_features"],
                                    bias=m.get("bias", True)))
        elif m["kind"] == "pixelfly":
            s = m["layer"]
            bf = s["butterfly"]
            text = pfc.spec_text(s["in_features"], s["out_features"], s["block"],
                                 bf["size"], strides=bf["strides"], shuffle=bf["shuffle"],
                                 global_features=bf["global"], rank=s["lowrank"]["rank"],
                                 gamma=s["gamma"]["mode"], gamma_init=s["gamma"]["init"],
                                 bias=s["bias"], name=s.get("name", "pixelfly"))
            layer = pfc.PixelflyLinear.from_spec(text)
            layers.append(MaskedDenseReference(layer) if reference else layer)
        else:
            raise ValueError(f"module kind {m['kind']!r} is not benchmarked here")
    return nn.Sequential(*layers)


def load_net(tool: Optional[str], path: Path, key: str) -> Tuple[dict, str]:
    if tool is not None:
        data, error = run_pfc(tool, ["check", str(path)], timeout=60)
        if data is not None and data.get("kind") == "net":
            return data["net"], ""
        why = error or "not a net spec"
    else:
        why = "no pfc tool"
    modules = []
    for entry in FALLBACK_NETS[key]:
        if entry[0] == "relu":
            modules.append({"kind": "relu"})
            continue
        kind, fin, fout, layer = entry
        m = {"kind": kind, "in_features": fin, "out_features": fout, "bias": True}
        if layer:
            b, size, strides, rank = layer
            m["layer"] = {"in_features": fin, "out_features": fout, "block": b,
                          "butterfly": {"size": size, "strides": strides,
                                        "shuffle": False, "global": 0},
                          "lowrank": {"rank": rank}, "bias": True,
                          "gamma": {"mode": "scalar", "init": 0.5}}
        modules.append(m)
    return ({"name": f"fashion-mnist-{key}", "modules": modules, "train": FALLBACK_TRAIN},
            f"{path.name}: {why}; used the spec as of this script")


@dataclass
class NetResult:
    name: str
    params: int
    step: Stats


def run_training(args, tool: Optional[str], threads: int):
    """One AdamW step per call on a fixed synthetic batch, interleaved."""
    notes = []
    dense_spec, note = load_net(tool, REPO / "specs" / "fashion-mnist-dense.yaml", "dense")
    notes += [note] if note else []
    fly_spec, note = load_net(tool, REPO / "specs" / "fashion-mnist-pixelfly.yaml", "pixelfly")
    notes += [note] if note else []
    torch.manual_seed(1)
    nets = {"dense nn.Linear": net_modules(dense_spec, False),
            "PixelflyLinear": net_modules(fly_spec, False),
            "masked-dense ref": net_modules(fly_spec, True)}
    train = dense_spec["train"]
    o = train["optimizer"]
    batch = args.net_batch or train["batch"]
    features = dense_spec["modules"][0]["in_features"]
    classes = dense_spec["modules"][-1]["out_features"]
    x = torch.randn(batch, features)
    labels = torch.randint(0, classes, (batch,))
    items = []
    for name, net in nets.items():
        opt = torch.optim.AdamW(net.parameters(), lr=o["lr"], betas=tuple(o["betas"]),
                                eps=o["eps"], weight_decay=o["weight_decay"])

        def run(n, net=net, opt=opt):
            for _ in range(n):
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(net(x), labels).backward()
                opt.step()
        items.append((name, run))
    start = time.perf_counter()
    times = interleaved(items, args.rounds, args.round_seconds, 1 if args.quick else 3)
    progress(f"Fashion-MNIST steps: {len(items)} nets x {args.rounds} rounds, "
             f"{time.perf_counter() - start:.1f} s")
    results = [NetResult(name, sum(p.numel() for p in net.parameters()), times[name])
               for name, net in nets.items()]
    cpp, cpp_error = None, "skipped (--no-cpp)" if args.no_cpp else ""
    if tool is None and not args.no_cpp:
        cpp_error = "no pfc tool"
    elif not args.no_cpp:
        time.sleep(0.3)
        start = time.perf_counter()
        cmd = ["bench", "--train", str(REPO / "specs" / "fashion-mnist-dense.yaml"),
               str(REPO / "specs" / "fashion-mnist-pixelfly.yaml"), "--threads", str(threads)]
        if args.quick:
            cmd.append("--quick")
        cpp, cpp_error = run_pfc(tool, cmd, timeout=300)
        progress(f"pfc bench --train: {time.perf_counter() - start:.1f} s"
                 + (f" ({cpp_error})" if cpp_error else ""))
    return results, batch, cpp, cpp_error, notes


# -- the report -------------------------------------------------------------


class Table:
    def __init__(self, headers: Sequence[str], right: Sequence[bool]):
        self.headers, self.right, self.rows = list(headers), list(right), []

    def add(self, *cells) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self, markdown: bool) -> str:
        if markdown:
            lines = ["| " + " | ".join(self.headers) + " |",
                     "|" + "|".join("---:" if r else ":---" for r in self.right) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            return "\n".join(lines)
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]

        def line(cells):
            return "  ".join(c.rjust(w) if r else c.ljust(w)
                             for c, w, r in zip(cells, widths, self.right)).rstrip()
        return "\n".join([line(self.headers), line(["-" * w for w in widths])]
                         + [line(r) for r in self.rows])


def ms(seconds: float) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    value = seconds * 1e3
    return f"{value:.4f}" if value < 0.1 else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def dense_kernel() -> str:
    """What nn.Linear runs on for f32 CPU: torch addmm -> its BLAS's sgemm
    (oneDNN serves f32 matmul only when its fp32 precision is lowered)."""
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", config)
    isa = re.search(r"CPU capability usage: (\w+)", config)
    name = blas.group(1) if blas else "unknown BLAS"
    if name == "mkl" and mkl:
        name = f"MKL {mkl.group(1)}"
    precision = getattr(getattr(torch.backends.mkldnn, "matmul", None), "fp32_precision", "n/a")
    return (f"nn.Linear = addmm -> {name} sgemm (BLAS_INFO={blas.group(1) if blas else '?'}, "
            f"ATen ISA {isa.group(1) if isa else '?'}; oneDNN available: "
            f"{torch.backends.mkldnn.is_available()}, fp32 matmul precision {precision})")


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def header(threads: int, load_before: float) -> str:
    # Other processes on few cores stall every contender's threads.
    load = f"load avg {load_before:.2f} before, {load_average():.2f} after"
    return (f"bench_torch: torch {torch.__version__}, {threads} thread"
            f"{'s' if threads != 1 else ''}, CPU {cpu_model()} ({os.cpu_count()} "
            f"logical cores; {load}), dense kernel: {dense_kernel()}; pfc's kernels on "
            f"{threads_runtime()}")


def threads_runtime() -> str:
    library = pfc.use_torch_threads(None)
    return f"torch's OpenMP threads ({library})" if library else "pfc's own thread pool"


def speedup(base: Optional[float], t: Optional[float]) -> str:
    if base is None or t is None:
        return "n/a"
    return f"{base / t:.2f}"


def layer_table(results: List[LayerResult]) -> Tuple[Table, List[str]]:
    table = Table(["layer", "T", "contender", "fwd ms", "fwd x", "fwd+bwd ms", "fwd+bwd x"],
                  [False, True, False, True, True, True, True])
    notes = []
    for result in results:
        s = result.spec
        for t, times in result.times.items():
            base = {}
            for mode in ("fwd", "train"):
                dense = [(times[(n, mode)].median, n) for n in DENSE_NAMES if (n, mode) in times]
                base[mode] = min(dense) if dense else (None, "n/a")
            for name in CONTENDERS:
                if name in result.unavailable:
                    table.add(result.layer.name, t, name, "n/a", "n/a", "n/a", "n/a")
                    continue
                cells = []
                for mode in ("fwd", "train"):
                    stats = times.get((name, mode))
                    if stats is None:
                        cells += ["n/a", "n/a"]
                        continue
                    mark = " *" if name == base[mode][1] else ""
                    cells += [ms(stats.median) + mark, speedup(base[mode][0], stats.median)]
                table.add(result.layer.name, t, name, *cells)
        bf = s["butterfly"]
        notes.append(f"{result.layer.name}: {s['in_features']}->{s['out_features']}, "
                     f"b={s['block']}, S={bf['size']} k={','.join(map(str, bf['strides']))}, "
                     f"density {s['density']:.4f} ({s['nnz_blocks']} blocks), rank {s['rank']}, "
                     f"bias {str(s['bias']).lower()}; check vs PixelflyLinear: {result.check or 'n/a'}")
        for name, why in result.unavailable.items():
            notes.append(f"{result.layer.name}: {name} n/a: {why}")
    whys = {why for r in results for why in r.train_unavailable.values()}
    for why in sorted(whys):
        notes.append(f"{BSR} fwd+bwd n/a: torch has no CPU backward w.r.t. the input "
                     f"for a BSR weight ({why})")
    return table, notes


def cpp_tables(results: List[LayerResult], tokens: Sequence[int]) -> Tuple[Table, Table, List[str]]:
    big = max(tokens)
    ratio = Table(["layer", "T", "PixelflyLinear fwd+bwd ms (median/best)",
                   "pfc bench fwd+bwd ms (best)", "Py/C++", "target <= 1.10",
                   "pfc bench dense fwd+bwd ms"], [False, True, True, True, True, False, True])
    overhead = Table(["layer", "T", "PixelflyLinear fwd us", "pfc bench fwd us",
                      "overhead fwd us", "PixelflyLinear fwd+bwd us", "pfc bench fwd+bwd us",
                      "overhead fwd+bwd us"], [False, True, True, True, True, True, True, True])
    notes = []
    for result in results:
        name = result.layer.name
        mine = result.times.get(big, {})
        fb = mine.get((PIXELFLY, "train"))
        cpp = result.cpp.get(big)
        if cpp is None:
            ratio.add(name, big, f"{ms(fb.median)}/{ms(fb.best)}" if fb else "n/a",
                      "n/a", "n/a", "n/a", "n/a")
        else:
            c = (cpp["whole_ms"] + cpp["backward_ms"]) * 1e-3
            r = fb.best / c
            ratio.add(name, big, f"{ms(fb.median)}/{ms(fb.best)}", ms(c), f"{r:.3f}",
                      "met" if r <= 1.10 else "missed",
                      ms((cpp["dense_ms"] + cpp["dense_backward_ms"]) * 1e-3))
        if 1 in result.times:
            one = result.times[1]
            f1, t1 = one.get((PIXELFLY, "fwd")), one.get((PIXELFLY, "train"))
            c1 = result.cpp.get(1)
            if c1 is None:
                overhead.add(name, 1, f"{f1.best * 1e6:.1f}", "n/a", "n/a",
                             f"{t1.best * 1e6:.1f}", "n/a", "n/a")
            else:
                cf = c1["whole_ms"] * 1e-3
                cb = (c1["whole_ms"] + c1["backward_ms"]) * 1e-3
                overhead.add(name, 1, f"{f1.best * 1e6:.1f}", f"{cf * 1e6:.1f}",
                             f"{(f1.best - cf) * 1e6:.1f}", f"{t1.best * 1e6:.1f}",
                             f"{cb * 1e6:.1f}", f"{(t1.best - cb) * 1e6:.1f}")
    errors: Dict[str, List[str]] = {}
    for result in results:
        if result.cpp_error:
            errors.setdefault(result.cpp_error, []).append(result.layer.name)
    for error, names in errors.items():
        which = "every layer" if len(names) == len(results) > 1 else ", ".join(names)
        notes.append(f"pfc bench n/a ({which}): {error}")
    return ratio, overhead, notes


def net_table(nets: List[NetResult], batch: int, cpp: Optional[dict]) -> Table:
    table = Table(["net", "params", "batch", "step ms (median)", "best ms",
                   "speed-up vs dense"], [False, True, True, True, True, True])
    base = nets[0].step.median
    for n in nets:
        table.add(f"torch: {n.name}", n.params, batch, ms(n.step.median), ms(n.step.best),
                  speedup(base, n.step.median))
    if cpp:
        cbase = cpp["nets"][0]["step_ms"]
        for n in cpp["nets"]:
            table.add(f"pfc bench --train: {n['name']}", n["params"], n["batch"],
                      f"{n['step_ms']:.3f}" if n["step_ms"] < 10 else f"{n['step_ms']:.1f}",
                      "-", f"{cbase / n['step_ms']:.2f}")
    return table


# -- main -------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Tables go to stdout (last), progress to stderr. See bench/python/README.md.")
    p.add_argument("--threads", type=int, default=0,
                   help="torch.set_num_threads, also pfc bench --threads (default: "
                        "torch.get_num_threads())")
    p.add_argument("--tokens", default="1,16,2048",
                   help="comma-separated token counts T (default 1,16,2048)")
    p.add_argument("--layers", choices=("whole", "sparse", "all"), default="whole",
                   help="the sweep's whole-layer checks (mlp_fc1/fc2: low-rank term and "
                        "bias; default), its block-sparse rows (rank 0, no bias: every "
                        "shape, b and density; long), or both")
    p.add_argument("--blocks", default=",".join(map(str, SWEEP_BLOCKS)),
                   help="with --layers sparse/all: the block sizes of the sweep to run")
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    p.add_argument("--round-seconds", type=float, default=0.05,
                   help="calls per round fill about this long per contender (default 0.05)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up calls per contender")
    p.add_argument("--net-batch", type=int, default=0,
                   help="Fashion-MNIST batch (default: the spec's, 256)")
    p.add_argument("--pfc", help="the pfc tool (default $PFC_TOOL, else build/bin/pfc)")
    p.add_argument("--no-cpp", action="store_true", help="skip the pfc bench comparisons")
    p.add_argument("--no-train", action="store_true", help="skip the Fashion-MNIST steps")
    p.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: mlp_fc1 at T=16, 3 short rounds, --net-batch 32")
    args = p.parse_args(argv)
    if args.quick:
        args.tokens = "16"
        args.layers = "quick"
        args.rounds, args.round_seconds, args.warmup = 3, 0.005, 1
        args.net_batch = args.net_batch or 32
    try:
        args.token_list = [int(t) for t in args.tokens.split(",") if t.strip()]
        args.block_list = [int(b) for b in args.blocks.split(",") if b.strip()]
    except ValueError:
        p.error("--tokens and --blocks take comma-separated integers")
    if not args.token_list or min(args.token_list) < 1:
        p.error("--tokens needs positive token counts")
    if args.rounds < 1 or args.round_seconds <= 0:
        p.error("--rounds and --round-seconds must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    tool, why = (None, "skipped (--no-cpp)") if args.no_cpp else find_pfc(args.pfc)
    if tool is None and not args.no_cpp:
        progress(f"warning: {why}; the C++ columns say n/a")
    began, load_before = time.perf_counter(), load_average()

    if args.layers == "quick":
        layers = whole_layers()[:1]
    else:
        layers = (whole_layers() if args.layers in ("whole", "all") else []) + \
                 (sparse_layers(args.block_list) if args.layers in ("sparse", "all") else [])
    progress(f"{len(layers)} layer(s) at T = {args.token_list}, {threads} threads")
    results = []
    for i, layer in enumerate(layers):
        results.append(run_layer(layer, args.token_list, args, f"{i + 1}/{len(layers)}"))
    with tempfile.TemporaryDirectory(prefix="bench_torch.") as workdir:
        if not args.no_cpp:
            run_cpp(results, tool, why, args.token_list, threads, workdir)
        else:
            for r in results:
                r.cpp_error = why
    train = None if args.no_train else run_training(args, tool, threads)

    md = args.markdown
    out = [header(threads, load_before)]

    def section(caption: str, table: Table, notes: Sequence[str] = ()) -> None:
        # Markdown needs blank lines around a table; notes become a list.
        out.append("")
        out.append(f"**{caption}**" if md else caption)
        out.extend(["", table.render(md)] if md else [table.render(md)])
        if notes:
            out.extend(([""] if md else []) + [f"{'-' if md else '  -'} {n}" for n in notes])

    table, notes = layer_table(results)
    section(f"Layers of `pfc bench --sweep` (bench/Sweep.cpp): median ms per call over "
            f"{args.rounds} interleaved rounds; x = speed-up over the fastest dense "
            f"contender of the same (layer, T, pass), marked *; fwd under torch.no_grad, "
            f"fwd+bwd = forward + backward w.r.t. the input and all parameters", table, notes)
    if results and args.no_cpp:
        out.extend(["", "PixelflyLinear against `pfc bench`: skipped (--no-cpp)"])
    elif results:
        ratio, overhead, notes = cpp_tables(results, args.token_list)
        section(f"PixelflyLinear against `pfc bench` on the same spec and kernels "
                f"({threads} threads, its own process): fwd+bwd at T={max(args.token_list)}, "
                "best over rounds vs pfc bench's best of 5 batches (whole_ms + backward_ms)",
                ratio, [] if 1 in args.token_list else notes)
        if 1 in args.token_list:
            section("Python/dispatch overhead per call at T=1: PixelflyLinear time (best over "
                    "rounds) minus pfc bench's kernel time (best of 5 batches)", overhead, notes)
    if train is not None:
        nets, batch, cpp, cpp_error, notes = train
        if cpp_error:
            notes.append(f"pfc bench --train n/a: {cpp_error}")
        elif cpp:
            notes.append(f"pfc bench --train: its own nets ({cpp['dense_library']}, "
                         f"pfc kernels), batch {cpp['nets'][0]['batch']}, {cpp['timing']}")
        section(f"Fashion-MNIST MLP 784->1024->1024->10 training step (forward, "
                f"cross-entropy, backward, AdamW step; synthetic batch of {batch}), "
                f"median over {args.rounds} interleaved rounds", net_table(nets, batch, cpp),
                notes)
    out.append("")
    out.append(f"total {time.perf_counter() - began:.0f} s")
    print("\n".join(out), flush=True)
    bad = [r.layer.name for r in results if r.check and not r.check.startswith("ok")]
    if bad:
        progress(f"error: outputs or gradients differ from the masked-dense reference "
                 f"for {', '.join(bad)} (see the notes)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
