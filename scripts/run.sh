#!/usr/bin/env bash
# Sets up, builds and runs the main job on a shipped example: plan GPT-2 small
# within its budget, then draw the block mask of one planned MLP layer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
pfc="${PFC_BUILD_DIR:-$root/build}/bin/pfc"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$pfc" plan "$root/specs/models/gpt2-small.yaml" --emit-specs "$out"
echo
"$pfc" mask "$out/mlp_fc.yaml"
