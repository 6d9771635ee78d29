#!/usr/bin/env bash
# GPU check for the CUDA back end, to run on a machine with an NVIDIA GPU
# (sm_80 or sm_90), its driver and NVRTC. Builds the CUDA tests, requires
# that the GPU tests run (not skip) and pass, then compiles every shipped
# layer ahead of time for sm_80 and sm_90.
#   bench/gpu/check.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv
ninja -C "$build" -j"$(nproc)" pfc pfc-cuda-tests

# Every CUDA test; the GPU ones must run here, not skip.
"$build"/bin/pfc-cuda-tests --gtest_brief=0 2>&1 | tee "$out/tests.log"
if grep -q "GPU test skipped" "$out/tests.log"; then
  echo "check.sh: the GPU tests skipped on a machine meant to have a GPU" >&2
  exit 1
fi

# Ahead-of-time kernels of every shipped layer: .cu, plan, PTX and cubins.
for spec in specs/layers/*.yaml; do
  "$build"/bin/pfc compile "$spec" --target cuda -o "$out/$(basename "$spec" .yaml)"
done
echo "check.sh: CUDA back end OK"
