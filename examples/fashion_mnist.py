#!/usr/bin/env python3
"""Trains specs/fashion-mnist-pixelfly.yaml's MLP on Fashion-MNIST in plain PyTorch.

The hidden layers are ``pfc.PixelflyLinear`` (pfc's compiled CPU kernels), the
head an ``nn.Linear``; ``--dense`` trains the dense twin (nn.Linear everywhere,
specs/fashion-mnist-dense.yaml). Everything else is what ``pfc train`` does for
the same spec, so that the two can be compared run for run:

- data: Debian's dataset-fashion-mnist files ($PFC_FASHION_MNIST_DIR, else
  /usr/share/datasets/fashion-mnist), pixels scaled by 1/255, nothing else;
- initialisation and batch order: drawn from the spec's seed exactly as pfc
  draws them (splitmix64 streams), so both start from the same weights and
  visit the same batches;
- AdamW (torch.optim.AdamW) with weight decay on weights (dense weights,
  Pixelfly blocks, U, V, gate weights) and none on biases, γ or gate biases;
  γ clamped to [0, 1] after each step, as pfc keeps it;
- the learning rate set before every step: linear warm-up, then cosine;
- mean softmax cross-entropy; the test set scored after every epoch.

    .venv/bin/python examples/fashion_mnist.py --threads 1 --out runs/torch-pixelfly
    .venv/bin/python examples/fashion_mnist.py --dense --epochs 5
    .venv/bin/python examples/fashion_mnist.py --spec specs/fashion-mnist-pixelfly.yaml

See examples/README.md for the measured numbers next to pfc train's.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch
from torch import nn

import pfc

ROOT = Path(__file__).resolve().parent.parent

# specs/fashion-mnist-pixelfly.yaml, as `pfc check --json` resolves it (its
# "net" object): the net trained when neither --spec nor a pfc binary to read
# one with is at hand. Keep the two in step.
PIXELFLY_NET = {
    "name": "fashion-mnist-pixelfly",
    "data": {"kind": "fashion-mnist", "features": 784, "classes": 10},
    "modules": [
        {"kind": "pixelfly", "in_features": 784, "out_features": 1024,
         "layer": {"name": "fc1", "in_features": 784, "out_features": 1024,
                   "block": 32,
                   "butterfly": {"size": 16, "strides": [2], "shuffle": False,
                                 "global": 0},
                   "lowrank": {"rank": 32},
                   "gamma": {"mode": "scalar", "init": 0.5},
                   "bias": True, "dtype": "f32"}},
        {"kind": "relu", "in_features": 1024, "out_features": 1024},
        {"kind": "pixelfly", "in_features": 1024, "out_features": 1024,
         "layer": {"name": "fc2", "in_features": 1024, "out_features": 1024,
                   "block": 32,
                   "butterfly": {"size": 16, "strides": [2, 4], "shuffle": False,
                                 "global": 0},
                   "lowrank": {"rank": 32},
                   "gamma": {"mode": "scalar", "init": 0.5},
                   "bias": True, "dtype": "f32"}},
        {"kind": "relu", "in_features": 1024, "out_features": 1024},
        {"kind": "dense", "name": "fc3", "in_features": 1024, "out_features": 10,
         "bias": True},
    ],
    "loss": "softmax_cross_entropy",
    "train": {"epochs": 20, "batch": 256, "seed": 1,
              "optimizer": {"kind": "adamw", "lr": 1e-3, "betas": [0.9, 0.999],
                            "eps": 1e-8, "weight_decay": 1e-4},
              "schedule": {"kind": "cosine", "warmup_epochs": 0.5,
                           "final_fraction": 0.0}},
}

DATA_PACKAGE = "dataset-fashion-mnist"
METRICS_HEADER = ("epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,"
                  "seconds,examples_per_second,lr")


def fail(message: str) -> NoReturn:
    sys.exit(f"fashion_mnist.py: error: {message}")


# -- the net spec -------------------------------------------------------------

def find_pfc_tool() -> str | None:
    """The pfc CLI: $PFC_TOOL, build/bin/pfc of this checkout, or pfc on PATH."""
    for candidate in (os.environ.get("PFC_TOOL"), str(ROOT / "build/bin/pfc"),
                      shutil.which("pfc")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def read_net_spec(path: str, tool: str | None) -> dict:
    """A net spec with its defaults filled in, read by pfc's own parser
    (`pfc check --json`): the spec language has no other reader."""
    if tool is None:
        fail(f"reading {path} needs the pfc CLI (build it, or set $PFC_TOOL); "
             "without --spec the built-in copy of "
             "specs/fashion-mnist-pixelfly.yaml is trained")
    done = subprocess.run([tool, "check", "--json", path], capture_output=True,
                          text=True)
    if done.returncode != 0:
        fail(done.stderr.strip() or f"{tool} check {path} failed")
    checked = json.loads(done.stdout)
    if checked.get("kind") != "net":
        fail(f"{path} is a {checked.get('kind')} spec (expected a net spec, "
             "with 'net:' and 'train:')")
    return checked["net"]


def dense_twin(net: dict) -> dict:
    """The net with every Pixelfly layer replaced by a dense one of its shape."""
    twin = copy.deepcopy(net)
    twin["name"] = net["name"].replace("pixelfly", "dense")
    for module in twin["modules"]:
        if module["kind"] == "pixelfly":
            layer = module.pop("layer")
            module.update(kind="dense", name=layer["name"], bias=layer["bias"])
    return twin


# -- pfc's seeded draws ---------------------------------------------------------
#
# pfc draws initial weights and the shuffle from splitmix64 streams
# (runtime/train/Random.h). Mirroring them gives the same initial net and the
# same batches as `pfc train` with the same seed.

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
SHUFFLE_STREAM = 0x73687566666C65  # "shuffle"


def splitmix64(seed: int, count: int) -> np.ndarray:
    """The first `count` outputs of splitmix64 from state `seed` (uint64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed & MASK64) + np.arange(1, count + 1, dtype=np.uint64) \
            * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def stream_seed(seed: int, stream: int) -> int:
    """pfc's streamSeed: the seed of stream `stream` of `seed`."""
    mixed = int(splitmix64(stream, 1)[0])
    return int(splitmix64((seed & MASK64) ^ mixed, 1)[0])


def uniform_symmetric(seed: int, count: int, bound: float) -> np.ndarray:
    """SplitMix64(seed).symmetric(bound), `count` times, as float32."""
    unit = (splitmix64(seed, count) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return ((2.0 * unit - 1.0) * bound).astype(np.float32)


def shuffled_order(count: int, seed: int, epoch: int) -> torch.Tensor:
    """pfc's shuffledOrder: a Fisher-Yates shuffle of [0, count) for epoch
    `epoch` (from 0), its draws bounded by Lemire's multiply-and-shift."""
    draws = splitmix64(stream_seed(stream_seed(seed, SHUFFLE_STREAM), epoch),
                       max(0, count - 1))
    order = list(range(count))
    for k, draw in enumerate(draws.tolist()):
        i = count - 1 - k
        j = (draw * (i + 1)) >> 64
        order[i], order[j] = order[j], order[i]
    return torch.tensor(order, dtype=torch.long)


# -- the model ----------------------------------------------------------------

def dense_layer(spec: dict, seed: int) -> nn.Linear:
    """nn.Linear with pfc's draws of PyTorch's default initialisation:
    weight and bias uniform in ±1/√in, from streams 1 and 2 of `seed`."""
    inf, outf = spec["in_features"], spec["out_features"]
    linear = nn.Linear(inf, outf, bias=spec["bias"])
    bound = 1.0 / math.sqrt(inf)
    with torch.no_grad():
        weight = uniform_symmetric(stream_seed(seed, 1), outf * inf, bound)
        linear.weight.copy_(torch.from_numpy(weight.reshape(outf, inf)))
        if linear.bias is not None:
            linear.bias.copy_(torch.from_numpy(
                uniform_symmetric(stream_seed(seed, 2), outf, bound)))
    return linear


def pixelfly_layer(layer: dict, seed: int) -> pfc.PixelflyLinear:
    butterfly = layer["butterfly"]
    return pfc.PixelflyLinear(
        layer["in_features"], layer["out_features"], block=layer["block"],
        butterfly_size=butterfly["size"], strides=butterfly["strides"],
        shuffle=butterfly["shuffle"], global_features=butterfly["global"],
        rank=layer["lowrank"]["rank"], gamma=layer["gamma"]["mode"],
        gamma_init=layer["gamma"]["init"], bias=layer["bias"], seed=seed,
        name=layer["name"])


def build_model(net: dict, seed: int) -> nn.Sequential:
    """The net's modules in order, linear ones under their spec names (fc1,
    ...), so that state_dict() has pfc train's model.safetensors names. Each
    module's parameters come from stream i + 1 of the seed, i its index."""
    stages = OrderedDict()
    linear = 0  # activations are named after the layer they follow: relu1, ...
    for i, module in enumerate(net["modules"]):
        module_seed = stream_seed(seed, i + 1)
        kind = module["kind"]
        linear += kind in ("pixelfly", "dense")
        if kind == "pixelfly":
            stages[module["layer"]["name"]] = pixelfly_layer(module["layer"],
                                                             module_seed)
        elif kind == "dense":
            stages[module["name"]] = dense_layer(module, module_seed)
        elif kind == "relu":
            stages[f"relu{linear}"] = nn.ReLU()
        elif kind == "gelu":
            stages[f"gelu{linear}"] = nn.GELU()  # exact, x·Φ(x), as pfc's
        else:
            fail(f"unknown module kind '{kind}'")
    return nn.Sequential(stages)


def param_groups(model: nn.Module, weight_decay: float) -> list:
    """pfc decays weights (dense weights, blocks, U, V, gate weights), not
    biases, γ or the gate's bias."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        (no_decay if leaf in ("bias", "gamma") else decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model: nn.Module, spec: dict) -> torch.optim.Optimizer:
    groups = param_groups(model, spec["weight_decay"])
    if spec["kind"] == "adamw":
        return torch.optim.AdamW(groups, lr=spec["lr"], betas=tuple(spec["betas"]),
                                 eps=spec["eps"])
    if spec["kind"] == "sgd":  # PyTorch's SGD, dampening 0, as pfc's
        return torch.optim.SGD(groups, lr=spec["lr"], momentum=spec["momentum"])
    fail(f"unknown optimizer '{spec['kind']}'")


def learning_rate(train: dict, step: int, steps_per_epoch: int, epochs: int) -> float:
    """pfc's learningRate: step `step` (from 0) of `epochs` epochs."""
    schedule, lr = train["schedule"], train["optimizer"]["lr"]
    total = max(1, epochs * steps_per_epoch)
    warmup = math.floor(schedule["warmup_epochs"] * steps_per_epoch + 0.5)
    if step < warmup:
        return lr * (step + 1) / warmup
    if schedule["kind"] == "cosine":
        done = min(1.0, (step - warmup) / max(1, total - warmup))
        f = schedule["final_fraction"]
        return lr * (f + (1.0 - f) * 0.5 * (1.0 + math.cos(math.pi * done)))
    if schedule["kind"] == "step":
        epoch = step // max(1, steps_per_epoch)
        return lr * schedule["factor"] ** math.floor(epoch / schedule["every_epochs"]
                                                     + 1e-9)
    return lr


# -- the data -------------------------------------------------------------------

def read_idx(path: Path, dims: int) -> np.ndarray:
    """An IDX file of unsigned bytes (plain or gzip) with `dims` dimensions."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    header = 4 + 4 * dims
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    if magic != 0x0800 | dims:
        fail(f"{path}: not an IDX file of unsigned bytes with {dims} dimensions "
             f"(magic {magic!r}, expected {0x0800 | dims:#010x})")
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    if len(raw) != header + math.prod(shape):
        fail(f"{path}: {len(raw) - header} bytes of data "
             f"(expected {math.prod(shape)}, {' x '.join(map(str, shape))})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_split(directory: Path, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
    images = read_idx(directory / f"{prefix}-images-idx3-ubyte.gz", 3)
    labels = read_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", 1)
    if len(labels) != len(images):
        fail(f"{directory}: {len(labels)} {prefix} labels for {len(images)} images")
    # As pfc's loadIdx: each pixel / 255 in float32, no other normalisation.
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def load_fashion_mnist(directory: Path):
    files = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    missing = [name for name in files if not (directory / name).is_file()]
    if missing:
        fail(f"Fashion-MNIST is not in {directory} (no {', '.join(missing)}): "
             f"install the Debian package {DATA_PACKAGE} "
             f"(apt-get install {DATA_PACKAGE}), or point --data or "
             "$PFC_FASHION_MNIST_DIR at a directory with its four .gz files")
    return load_split(directory, "train"), load_split(directory, "t10k")


# -- training ---------------------------------------------------------------------

class Progress:
    """A bar redrawn in place when stderr is a terminal; a line per epoch."""

    def __init__(self, epochs: int):
        self.epochs, self.terminal, self.last = epochs, sys.stderr.isatty(), 0.0

    def step(self, epoch, step, steps, loss, rate):
        now = time.monotonic()
        if not self.terminal or (step != steps and now - self.last < 0.1):
            return
        self.last = now
        filled = 30 * step // steps
        sys.stderr.write(f"\repoch {epoch}/{self.epochs} [{'#' * filled}"
                         f"{'.' * (30 - filled)}] {step}/{steps}  loss {loss:.4f}  "
                         f"{rate:.0f} examples/s ")
        sys.stderr.flush()

    def epoch(self, m: dict):
        if self.terminal:
            sys.stderr.write("\r\x1b[K")
        print(f"epoch {m['epoch']}/{self.epochs}: train loss {m['train_loss']:.4f} "
              f"accuracy {100 * m['train_accuracy']:.2f}%, test loss "
              f"{m['test_loss']:.4f} accuracy {100 * m['test_accuracy']:.2f}%, "
              f"{m['seconds']:.1f} s, {m['examples_per_second']:.0f} examples/s, "
              f"lr {m['lr']:.3g}", file=sys.stderr, flush=True)


def evaluate(model, x, y, batch):
    """Mean loss and accuracy over (x, y), in batches, in order."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for first in range(0, len(x), batch):
            logits = model(x[first:first + batch])
            target = y[first:first + batch]
            loss_sum += nn.functional.cross_entropy(logits, target,
                                                    reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    count = max(1, len(x))
    return loss_sum / count, correct / count


def write_atomically(path: Path, text: str) -> None:
    """A temporary file renamed over `path`: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def write_metrics(out: Path, summary: dict, history: list) -> None:
    rows = [METRICS_HEADER] + [
        f"{m['epoch']},{m['step']},{m['train_loss']:.6f},{m['train_accuracy']:.6f},"
        f"{m['test_loss']:.6f},{m['test_accuracy']:.6f},{m['seconds']:.3f},"
        f"{m['examples_per_second']:.1f},{m['lr']:.6g}" for m in history]
    write_atomically(out / "metrics.csv", "\n".join(rows) + "\n")
    write_atomically(out / "metrics.json",
                     json.dumps({**summary, "history": history}, indent=2) + "\n")


def train(args) -> dict:
    if args.spec:
        net = read_net_spec(args.spec, find_pfc_tool())
    else:
        net = PIXELFLY_NET
    if args.dense:
        net = dense_twin(net)
    if net["data"]["kind"] != "fashion-mnist":
        fail(f"net '{net['name']}' learns {net['data']['kind']} data "
             "(this script trains on fashion-mnist)")
    setup = net["train"]
    epochs = args.epochs or setup["epochs"]
    batch = args.batch or setup["batch"]
    seed = setup["seed"] if args.seed is None else args.seed
    if args.threads:
        torch.set_num_threads(args.threads)

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(Path(args.data))
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]

    model = build_model(net, seed)
    optimizer = make_optimizer(model, setup["optimizer"])
    params = sum(p.numel() for p in model.parameters())
    steps = math.ceil(len(x_train) / batch)
    print(f"{net['name']}: {params} parameters; {len(x_train)} train and "
          f"{len(x_test)} test examples; batch {batch}, {steps} steps per epoch; "
          f"{torch.get_num_threads()} thread(s); seed {seed}", file=sys.stderr)
    print(model, file=sys.stderr)
    # Pixelfly kernels compile on first use: here, not in the first epoch's
    # time (pfc train compiles before training too).
    start = time.perf_counter()
    model(x_train[:1]).sum().backward()
    optimizer.zero_grad(set_to_none=True)
    print(f"kernels ready in {time.perf_counter() - start:.2f} s", file=sys.stderr)

    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    summary = {"net": net["name"], "params": params, "epochs": epochs,
               "batch": batch, "seed": seed, "threads": torch.get_num_threads(),
               "torch": torch.__version__}
    progress = Progress(epochs)
    history, step = [], 0
    for epoch in range(epochs):
        order = shuffled_order(len(x_train), seed, epoch)
        model.train()
        loss_sum, correct = 0.0, 0
        start = time.perf_counter()
        for s in range(steps):
            rows = order[s * batch:(s + 1) * batch]
            x, y = x_train[rows], y_train[rows]
            lr = learning_rate(setup, step, steps, epochs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
            if not math.isfinite(loss.item()):
                fail(f"step {step + 1} (epoch {epoch + 1}): the loss is not finite "
                     "(training diverged: lower the learning rate)")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            pfc.clamp_gamma_(model)
            step += 1
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen = min((s + 1) * batch, len(x_train))
            progress.step(epoch + 1, s + 1, steps, loss_sum / seen,
                          seen / (time.perf_counter() - start))
        seconds = time.perf_counter() - start
        test_loss, test_accuracy = evaluate(model, x_test, y_test, batch)
        metrics = {"epoch": epoch + 1, "step": step,
                   "train_loss": loss_sum / len(x_train),
                   "train_accuracy": correct / len(x_train),
                   "test_loss": test_loss, "test_accuracy": test_accuracy,
                   "seconds": seconds, "examples_per_second": len(x_train) / seconds,
                   "lr": lr}
        history.append(metrics)
        progress.epoch(metrics)
        if out:
            write_metrics(out, summary, history)

    summary.update(test_accuracy=history[-1]["test_accuracy"],
                   best_test_accuracy=max(m["test_accuracy"] for m in history),
                   train_seconds=sum(m["seconds"] for m in history))
    if out:
        write_metrics(out, summary, history)
        # Atomic (a temporary file renamed). The tensors and their names are
        # those of pfc train's model.safetensors (fc1.blocks, ..., fc3.weight).
        pfc.save_safetensors(out / "model.safetensors", model.state_dict(),
                             {"pfc.net": net["name"], "pfc.epoch": str(epochs)})
    print(f"{net['name']}: {epochs} epochs, test accuracy "
          f"{100 * summary['test_accuracy']:.2f}% (best "
          f"{100 * summary['best_test_accuracy']:.2f}%), "
          f"{summary['train_seconds']:.1f} s of training"
          + (f"; metrics.csv, metrics.json and model.safetensors in {out}" if out
             else ""))
    return summary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description="Train the Fashion-MNIST Pixelfly MLP (or its dense twin) in "
                    "PyTorch, as pfc train trains specs/fashion-mnist-pixelfly.yaml.")
    parser.add_argument("--spec", help="a net spec to train instead of the built-in "
                        "copy of specs/fashion-mnist-pixelfly.yaml (read with "
                        "`pfc check --json`: $PFC_TOOL or build/bin/pfc)")
    parser.add_argument("--dense", action="store_true",
                        help="the dense twin: nn.Linear for the Pixelfly layers too")
    parser.add_argument("--epochs", type=int, help="epochs (default: the spec's, 20)")
    parser.add_argument("--batch", type=int, help="batch size (default: the spec's, 256)")
    parser.add_argument("--seed", type=int,
                        help="initialisation and shuffle seed (default: the spec's, 1)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads, Pixelfly kernels included "
                             "(default: torch's)")
    parser.add_argument("--limit", type=int, default=0,
                        help="train and test on the first N examples of each set")
    parser.add_argument("--data", default=os.environ.get("PFC_FASHION_MNIST_DIR")
                        or "/usr/share/datasets/fashion-mnist",
                        help="the directory of the four .gz files (default: "
                             "$PFC_FASHION_MNIST_DIR or /usr/share/datasets/"
                             f"fashion-mnist, Debian's {DATA_PACKAGE})")
    parser.add_argument("--out", help="write metrics.csv, metrics.json (every epoch) "
                        "and model.safetensors (at the end) here")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch", "threads", "limit"):
        value = getattr(args, name)
        if value is not None and value < (0 if name in ("threads", "limit") else 1):
            parser.error(f"--{name} must be positive (got {value})")
    if args.seed is not None and not 0 <= args.seed <= MASK64:
        parser.error(f"--seed must be in [0, 2^64) (got {args.seed})")
    train(args)


if __name__ == "__main__":
    main()
