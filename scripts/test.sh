#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (GoogleTest and lit) via ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${PFC_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${PFC_JOBS:-2}"
