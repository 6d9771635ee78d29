#!/usr/bin/env bash
# Sets up, builds and runs the main job on a shipped example: compile the
# GPT-2 MLP layer specs/layers/mlp_fc1.yaml ahead of time, initialise its
# parameters, run its forward on random tokens with the in-process JIT, and
# time it against dense OpenBLAS in one bench line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
pfc="${PFC_BUILD_DIR:-$root/build}/bin/pfc"
spec="$root/specs/layers/${1:-mlp_fc1}.yaml"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$pfc" compile "$spec" -o "$out/kernel"
"$pfc" init "$spec" -o "$out/params.safetensors"
# 256 random tokens as an f32 .npy array [256, in_features].
in_features=$("$pfc" check "$spec" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["layer"]["in_features"])')
python3 - "$out/x.npy" "$in_features" <<'PY'
import random, struct, sys
path, n, t = sys.argv[1], int(sys.argv[2]), 256
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (t, n)
header += " " * ((64 - (11 + len(header)) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (t * n), *(random.uniform(-1, 1) for _ in range(t * n))))
PY
"$pfc" run "$spec" --params "$out/params.safetensors" --input "$out/x.npy" -o "$out/y.npy"
echo "run: $out/y.npy written ($(stat -c %s "$out/y.npy") bytes)"
"$pfc" bench "$spec" --tokens 1024
