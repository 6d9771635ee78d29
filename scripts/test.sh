#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (GoogleTest, lit, the
# fuzzers' corpora, the install test) via ctest; then CI's other jobs, each a
# stage with its wall time:
#   runtime-only  PFC_BUILD_COMPILER=OFF, LLVM's and MLIR's packages
#                 disabled, in a fresh build-runtime/: build, its tests
#   sanitizers    the debug-asan preset (ASan + UBSan) in build-asan/: the
#                 GoogleTest executables, every unit test (quick, jit, cuda)
#   lint          clang-format and clang-tidy on the changed files
#                 (scripts/lint.sh)
# The times of each, measured on the 2-core build machine, are in the README
# ("Tests"). .ci/run runs this on a clean clone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFC_BUILD_DIR:-$root/build}
jobs=${PFC_JOBS:-2}
cd "$root"

times=()
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "==== stage $name"
  "$@"
  times+=("$(printf '%-12s %5d s' "$name" $((SECONDS - start)))")
  echo "==== stage $name passed in $((SECONDS - start)) s"
}

main_suite() {
  "$root/scripts/build.sh"
  (cd "$build" && ctest --output-on-failure -j "$jobs")
}

runtime_only() {
  rm -rf "$root/build-runtime"
  cmake --preset runtime-only >/dev/null
  cmake --build --preset runtime-only -j "$jobs"
  ctest --preset runtime-only -j "$jobs"
}

sanitizers() {
  [ -f "$root/build-asan/build.ninja" ] || cmake --preset debug-asan >/dev/null
  cmake --build --preset debug-asan -j "$jobs"
  ctest --preset debug-asan -j "$jobs"
}

stage setup "$root/scripts/setup.sh"
stage main main_suite
stage runtime-only runtime_only
stage sanitizers sanitizers
stage lint "$root/scripts/lint.sh"

echo "==== all stages passed"
printf '  %s\n' "${times[@]}"
