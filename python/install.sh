#!/usr/bin/env bash
# Builds and installs pfc's Python package (python/) into the repository's
# virtual environment (.venv), against the pfc installed in build/install.
# Safe to run again: pip replaces the installed package, and the build
# directory (build/python) and ccache keep rebuilds short.
#
#   python/install.sh     # needs .venv with torch numpy pytest nanobind
#                         # scikit-build-core (scripts/setup.sh makes it) and
#                         # build/install (scripts/build.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/pip ]; then
  echo "python/install.sh: no .venv; create it first:" >&2
  echo "  /usr/bin/python3 -m venv .venv && .venv/bin/pip install torch numpy pytest nanobind scikit-build-core" >&2
  exit 1
fi
# -C (--config-settings) needs pip >= 23.1 (Debian's venv brings 23.0).
if ! .venv/bin/pip install --help | grep -q -- '-C, --config-settings'; then
  .venv/bin/pip install -q --upgrade pip
fi
# The pfc that scripts/build.sh installs into its build directory.
build=${PFC_BUILD_DIR:-$PWD/build}
CMAKE_PREFIX_PATH=$build/install .venv/bin/pip install -q --no-build-isolation ./python \
  -Ccmake.define.CMAKE_CXX_COMPILER=clang++ \
  -Ccmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache
