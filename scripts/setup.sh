#!/usr/bin/env bash
# Installs the Debian packages pfc needs, then the PyPI packages of its Python
# package (python/) into a virtual environment inside the checkout, .venv
# (git-ignored); idempotent and quiet when everything is present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  cmake ninja-build ccache g++ clang libclang-rt-dev python3 python3-venv
  clang-format-19 clang-tidy-19
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  libfmt-dev libgtest-dev nlohmann-json3-dev
  libopenblas-dev
  zlib1g-dev dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
install_debian() {
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when the first attempt cannot find a package.
  if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
[ ${#missing[@]} -eq 0 ] || install_debian

# torch, numpy and pytest for the package and its tests; nanobind and
# scikit-build-core to build it (python/install.sh, run by scripts/build.sh);
# MKL, the dense library pfc's dense layers and benchmarks use beside
# OpenBLAS (opened from .venv/lib at run time).
venv=$root/.venv
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import torch, numpy, pytest, nanobind, scikit_build_core' 2>/dev/null ||
  ! compgen -G "$venv/lib/libmkl_rt.so.*" >/dev/null; then
  echo "setup: installing torch numpy pytest nanobind scikit-build-core mkl into .venv" >&2
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q torch numpy pytest nanobind scikit-build-core mkl
fi
