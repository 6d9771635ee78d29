#!/usr/bin/env python3
"""Tuned against default schedules on the shapes of the CPU bench.

Usage: bench/autotune-table.py [PFC] [--tokens T] [--budget S]. Runs
`pfc autotune --json` on square 1024-4096 layers (b = 16 and 32, densities
near 5 and 19 %) and the two GPT-2 MLP layers, with a kernel cache of its
own, and prints a table of the default schedule's time, the tuned one's and
their ratio. The tuner always times the default schedule too, so the tuned
kernel is never slower than it, up to timing noise.
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SQUARES = [(n, b, s, k) for n in (1024, 2048, 4096) for b in (16, 32)
           for s, k in (((64, "2, 4") if n // b >= 64 else (32, "2")),
                        (16, "2, 4"))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pfc", nargs="?",
                        default=os.path.join(ROOT, "build", "bin", "pfc"))
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--budget", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, PFC_CACHE_DIR=os.path.join(work, "cache"))
        specs = []
        for n, b, s, k in SQUARES:
            path = os.path.join(work, "sq%d_b%d_s%d.yaml" % (n, b, s))
            with open(path, "w") as f:
                f.write("pfc: 1\nlayer: {name: sq%d_b%d_S%d, in_features: %d, "
                        "out_features: %d, block: %d, butterfly: {size: %d, "
                        "strides: [%s]}, bias: false}\n" % (n, b, s, n, n, b, s, k))
            specs.append(path)
        specs += [os.path.join(ROOT, "specs", "layers", name)
                  for name in ("mlp_fc1.yaml", "mlp_fc2.yaml")]
        print("| layer | candidates | default ms | tuned ms | speed-up | tuned schedule | tuning s |")
        print("|---|---|---|---|---|---|---|")
        for path in specs:
            out = subprocess.run(
                [args.pfc, "autotune", path, "--tokens", str(args.tokens),
                 "--budget", str(args.budget), "--json"],
                env=env, check=True, capture_output=True, text=True).stdout
            report = json.loads(out)
            print("| %s | %d | %.3f | %.3f | %.2f | %s | %.1f |" % (
                report["layer"], len(report["candidates"]),
                report["default_ms"], report["chosen_ms"], report["speedup"],
                report["chosen"], report["seconds"]))


main()
