#!/usr/bin/env bash
# Sets up, builds and runs the main job: trains the Pixelfly MLP
# specs/fashion-mnist-pixelfly.yaml and its dense twin
# specs/fashion-mnist-dense.yaml on Fashion-MNIST for the specs' 20 epochs
# (about a minute for both; $PFC_EPOCHS=N for fewer), prints their test
# accuracy and training time side by side, then times one training step of
# each in the same run (pfc bench --train).
# Runs go to runs/ (metrics.csv, curves.svg, checkpoints).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
pfc="${PFC_BUILD_DIR:-$root/build}/bin/pfc"
epochs=()
[ -n "${PFC_EPOCHS:-}" ] && epochs=(--epochs "$PFC_EPOCHS")
runs="$root/runs"
mkdir -p "$runs"

for net in pixelfly dense; do
  echo "== training fashion-mnist-$net"
  "$pfc" train "$root/specs/fashion-mnist-$net.yaml" "${epochs[@]}" \
    -o "$runs/$net" --json >"$runs/$net.json"
done

python3 - "$runs/pixelfly.json" "$runs/dense.json" <<'PY'
import json, sys
rows = [json.load(open(path)) for path in sys.argv[1:]]
print()
print(f"{'net':<24} {'params':>9} {'epochs':>6} {'test accuracy':>13} {'train seconds':>13}")
for r in rows:
    print(f"{r['net']:<24} {r['params']:>9} {r['epochs']:>6} "
          f"{100 * r['test_accuracy']:>12.2f}% {r['train_seconds']:>13.1f}")
pixelfly, dense = rows
print(f"accuracy pixelfly - dense: {100 * (pixelfly['test_accuracy'] - dense['test_accuracy']):+.2f} points; "
      f"time dense / pixelfly: {dense['train_seconds'] / pixelfly['train_seconds']:.2f}x")
print()
PY
"$pfc" bench --train "$root/specs/fashion-mnist-dense.yaml" \
  "$root/specs/fashion-mnist-pixelfly.yaml"
