#!/usr/bin/env bash
# Configures (once, with the release preset of CMakePresets.json) and builds
# pfc into build/ with Ninja and ccache; installs it into build/install and
# builds the Python package (python/) against that into .venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFC_BUILD_DIR:-$root/build}
jobs=${PFC_JOBS:-2}

if [ ! -f "$build/build.ninja" ]; then
  # clang builds the libFuzzer target too; g++ works for everything else.
  cxx=${CXX:-$(command -v clang++ || command -v g++)}
  cc=${CC:-$(command -v clang || command -v gcc)}
  (cd "$root" && cmake --preset release -B "$build" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" >/dev/null)
fi
cmake --build "$build" -j "$jobs"
cmake --install "$build" --prefix "$build/install" >/dev/null
PFC_BUILD_DIR=$build "$root/python/install.sh"
