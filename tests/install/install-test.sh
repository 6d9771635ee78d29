#!/usr/bin/env bash
# Installs the build BUILD into temporary prefixes and uses it from outside,
# as a user would: tests/install/consumer, a CMake project doing
# find_package(pfc), is configured, built and run against the runtime
# component alone, and must not link LLVM or MLIR. With the compiler
# (COMPILER=ON), the whole installation's `pfc compile` writes a layer that
# the consumer loads and checks, and the compiler component's targets must
# resolve. Run by ctest (tests/install/CMakeLists.txt).
#   install-test.sh SOURCE BUILD COMPILER CXX GENERATOR
set -euo pipefail
source_dir=$1 build=$2 compiler=$3 cxx=$4 generator=$5
work=$(mktemp -d /tmp/pfc-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

stage() { echo "== $*"; }
fail() { echo "install-test: error: $*" >&2; exit 1; }

stage "cmake --install (runtime component) into $work/runtime"
cmake --install "$build" --prefix "$work/runtime" --component runtime >/dev/null
[ -f "$work/runtime/lib/cmake/pfc/pfcConfig.cmake" ] ||
  fail "no lib/cmake/pfc/pfcConfig.cmake installed"
[ -f "$work/runtime/include/pfc/runtime.h" ] || fail "no pfc/runtime.h installed"
# The runtime's headers must not need LLVM or MLIR.
if grep -rlE '#include [<"](llvm|mlir)/' "$work/runtime/include"; then
  fail "the runtime headers above include LLVM or MLIR"
fi
if ls "$work/runtime/lib" | grep '^libPfc' | grep -vE '^libPfc(Core|Runtime|Train)[.]a$'; then
  fail "the runtime component installed a library of the compiler (above)"
fi
[ ! -e "$work/runtime/include/pfc/Cli" ] || fail "the tools' pfc/Cli headers were installed"


stage "consumer: configure, build against the installed runtime"
consumer=$work/consumer-build
cmake -S "$source_dir/tests/install/consumer" -B "$consumer" -G "$generator" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/runtime" \
  -DCMAKE_DISABLE_FIND_PACKAGE_LLVM=ON -DCMAKE_DISABLE_FIND_PACKAGE_MLIR=ON \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
cmake --build "$consumer" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "build"; }
program=$consumer/pfc-consumer

stage "the consumer links no LLVM or MLIR"
if ldd "$program" | grep -iE 'llvm|mlir'; then
  fail "pfc-consumer loads LLVM or MLIR (above)"
fi
if nm -C "$program" | grep -E ' (llvm|mlir)::' | head -5 | grep .; then
  fail "pfc-consumer contains LLVM or MLIR code (above)"
fi

if [ "$compiler" != ON ]; then
  stage "run"
  "$program"
  exit 0
fi

stage "cmake --install (everything) into $work/full"
cmake --install "$build" --prefix "$work/full" >/dev/null
for tool in pfc pfc-opt pfc-translate; do
  [ -x "$work/full/bin/$tool" ] || fail "no bin/$tool installed"
done
[ -f "$work/full/include/pfc/Dialect/PfcOps.h.inc" ] ||
  fail "no generated pfc/Dialect/PfcOps.h.inc installed"

stage "find_package(pfc COMPONENTS compiler) resolves every target"
cmake -S "$source_dir/tests/install/consumer" -B "$work/compiler-build" \
  -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" -DPFC_CONSUMER_COMPILER=ON \
  -DCMAKE_PREFIX_PATH="$work/full" >"$work/compiler.log" 2>&1 ||
  { cat "$work/compiler.log"; fail "configure with the compiler component"; }

stage "run, with a layer the installed pfc compiled"
PFC_CACHE_DIR=$work/cache "$work/full/bin/pfc" compile \
  "$source_dir/specs/layers/gate_odd.yaml" -o "$work/gate_odd" >/dev/null
"$program" "$work/gate_odd"
