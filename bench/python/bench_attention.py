#!/usr/bin/env python3
"""Pixelfly attention against PyTorch's scaled_dot_product_attention (issue 14).

Times, in one process and on the same threads, pfc's attention (through
``pfc.pixelfly_attention``, the same kernels ``pfc bench`` runs) and
``F.scaled_dot_product_attention`` on the CPU, forward (under no_grad) and
forward + backward, for T from 1024 up, d = 64, b = 32 and 64, supports of
density about 0.05 to 0.3 (butterfly size and factors chosen for it), causal
and not, and each side's peak memory (the largest resident-size growth seen
while it ran, sampled by a thread, in a child process per case so that one
case's memory does not hide another's). Prints a table; --markdown for the
README.

  .venv/bin/python bench/python/bench_attention.py            # T 1024, 4096
  .venv/bin/python bench/python/bench_attention.py --tokens 1024,4096,16384
  .venv/bin/python bench/python/bench_attention.py --quick    # smoke test
"""
import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import threading
import time


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """The largest resident size over the block's run, sampled every ms."""

    def __enter__(self):
        self.start = resident_bytes()
        self.peak = self.start
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, resident_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def pattern_for(tokens: int, block: int, density: float):
    """Butterfly size S and factor count whose support density is nearest
    `density`: S coarse cells of tokens/S tokens, 1 + factors of them per
    row (no global tokens)."""
    padded = -(-tokens // block) * block
    best = None
    size = 2
    while size <= padded // block and padded % size == 0:
        factors = 1
        while 2 ** factors <= size:
            d = (1 + factors) / size
            if best is None or abs(d - density) < abs(best[2] - density):
                best = (size, factors, d)
            factors += 1
        size *= 2
    return best


def run_case(case: dict, queue) -> None:
    import torch
    import torch.nn.functional as F

    import pfc

    torch.set_num_threads(case["threads"])
    torch.manual_seed(0)
    shape = (case["batch"], case["heads"], case["tokens"], 64)
    q, k, v = (torch.randn(shape) for _ in range(3))
    dout = torch.randn(shape)
    size, factors, density = case["pattern"]

    def pixelfly(q, k, v):
        return pfc.pixelfly_attention(
            q, k, v, is_causal=case["causal"], block=case["block"],
            butterfly_size=size, factors=factors, features=case["features"])

    def sdpa(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=case["causal"])

    fn = pixelfly if case["side"] == "pfc" else sdpa
    result = {}
    with torch.no_grad():
        fn(q, k, v)  # compile (pfc) and warm up
        with PeakMemory() as memory:
            times = []
            for _ in range(case["rounds"]):
                start = time.perf_counter()
                fn(q, k, v)
                times.append(time.perf_counter() - start)
        result["forward_ms"] = 1e3 * min(times)
        result["forward_peak_mb"] = memory.growth / 1e6
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    fn(*leaves).backward(dout)  # warm up (pfc compiles its backward)
    with PeakMemory() as memory:
        times = []
        for _ in range(case["rounds"]):
            for t in leaves:
                t.grad = None
            start = time.perf_counter()
            fn(*leaves).backward(dout)
            times.append(time.perf_counter() - start)
    result["train_ms"] = 1e3 * min(times)
    result["train_peak_mb"] = memory.growth / 1e6
    result["density"] = density
    queue.put(result)


def measure(case: dict) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=run_case, args=(case, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        return {"error": f"exit code {process.exitcode}"}
    return queue.get()


def check_against_sdpa(tokens: int, block: int) -> float:
    """pfc with the support covering everything and no features is softmax
    attention: its largest normwise error against SDPA, causal and not."""
    import torch
    import torch.nn.functional as F

    import pfc

    torch.manual_seed(1)
    q, k, v = (torch.randn(1, 2, tokens, 64) for _ in range(3))
    worst = 0.0
    for causal in (False, True):
        got = pfc.pixelfly_attention(q, k, v, is_causal=causal, block=block,
                                     butterfly_size=2, factors=1,
                                     global_tokens=tokens)
        want = F.scaled_dot_product_attention(q.double(), k.double(),
                                              v.double(), is_causal=causal)
        worst = max(worst, float((got.double() - want).norm() / want.norm()))
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", default="1024,4096")
    parser.add_argument("--blocks", default="64,32")
    parser.add_argument("--densities", default="0.125")
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--heads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--causal", default="false,true")
    parser.add_argument("--quick", action="store_true",
                        help="T 256, b 32, one density: a smoke test")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.tokens, args.blocks, args.densities = "256", "32", "0.25"
        args.rounds, args.causal = 1, "true"
    import torch

    header = (f"bench_attention: torch {torch.__version__}, {args.threads} "
              f"threads, batch {args.batch}, heads {args.heads}, d 64, "
              f"m {args.features}; dense: torch F.scaled_dot_product_attention "
              f"on the CPU; load avg {os.getloadavg()[0]:.2f}")
    print(header)
    first_tokens = int(args.tokens.split(",")[0])
    error = check_against_sdpa(first_tokens, int(args.blocks.split(",")[0]))
    failed = not error < 1e-4
    print(f"check vs SDPA (full support, m = 0, T = {first_tokens}): "
          f"{'ok' if not failed else 'MISMATCH'} (normwise {error:.1e})")
    rows = []
    for tokens in (int(t) for t in args.tokens.split(",")):
        for block in (int(b) for b in args.blocks.split(",")):
            for target in (float(d) for d in args.densities.split(",")):
                for causal in (c == "true" for c in args.causal.split(",")):
                    pattern = pattern_for(tokens, block, target)
                    if pattern is None:
                        continue
                    case = dict(tokens=tokens, block=block, causal=causal,
                                pattern=pattern, features=args.features,
                                heads=args.heads, batch=args.batch,
                                threads=args.threads, rounds=args.rounds)
                    pfc_result = measure(dict(case, side="pfc"))
                    torch_result = measure(dict(case, side="torch"))
                    failed |= "error" in pfc_result or "error" in torch_result
                    rows.append((case, pfc_result, torch_result))
                    print(json.dumps({"case": case, "pfc": pfc_result,
                                      "sdpa": torch_result}), file=sys.stderr)

    def cell(result, key, digits=1):
        return "n/a" if key not in result else f"{result[key]:.{digits}f}"

    def ratio(a, b, key):
        return ("n/a" if key not in a or key not in b
                else f"{b[key] / a[key]:.2f}")

    columns = ["T", "b", "S/k", "density", "causal", "pfc fwd ms",
               "SDPA fwd ms", "fwd x", "pfc fwd+bwd ms", "SDPA fwd+bwd ms",
               "fwd+bwd x", "bwd x", "pfc peak MB", "SDPA peak MB"]
    lines = []
    for case, p, t in rows:
        # The backward alone: the training step less the forward.
        for result in (p, t):
            if "train_ms" in result and "forward_ms" in result:
                result["backward_ms"] = (result["train_ms"]
                                         - result["forward_ms"])
        size, factors, density = case["pattern"]
        lines.append([str(case["tokens"]), str(case["block"]),
                      f"{size}/{factors}", f"{density:.3f}",
                      "yes" if case["causal"] else "no",
                      cell(p, "forward_ms"), cell(t, "forward_ms"),
                      ratio(p, t, "forward_ms"), cell(p, "train_ms"),
                      cell(t, "train_ms"), ratio(p, t, "train_ms"),
                      ratio(p, t, "backward_ms"), cell(p, "train_peak_mb"),
                      cell(t, "train_peak_mb")])
    if args.markdown:
        print("| " + " | ".join(columns) + " |")
        print("|" + "|".join("---:" for _ in columns) + "|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(c), *(len(l[i]) for l in lines)) if lines else len(c)
                  for i, c in enumerate(columns)]
        print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
        for line in lines:
            print("  ".join(v.rjust(w) for v, w in zip(line, widths)))
    print("x = SDPA time / pfc time (above 1: pfc is faster); bwd = fwd+bwd "
          "less fwd; peak = the largest resident-size growth during the "
          "timed calls")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
